// SPDX-License-Identifier: Apache-2.0
/* Label sets: sorted by key, so two compare element by element. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster/cluster.h"

/* Index of @key, or of where it would go, with *found set. */
static size_t labels_pos(const struct cl_labels *l, const char *key, bool *found)
{
	size_t lo = 0, hi = l->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid].key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int cl_labels_add(struct cl_labels *l, const char *key, const char *value)
{
	struct cl_label *v, lab;
	bool found;
	size_t at;

	at = labels_pos(l, key, &found);
	if (found)
		return -EEXIST;
	lab.key = strdup(key);
	lab.value = strdup(value);
	if (!lab.key || !lab.value)
		goto err_free_label;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		goto err_free_label;
	memmove(&v[at + 1], &v[at], (l->n - at) * sizeof(*v));
	v[at] = lab;
	l->v = v;
	l->n++;
	return 0;

err_free_label:
	free(lab.key);
	free(lab.value);
	return -ENOMEM;
}

const char *cl_labels_get(const struct cl_labels *l, const char *key)
{
	bool found;
	size_t at = labels_pos(l, key, &found);

	return found ? l->v[at].value : NULL;
}

bool cl_labels_equal(const struct cl_labels *a, const struct cl_labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].key, b->v[i].key) || strcmp(a->v[i].value, b->v[i].value))
			return false;
	}
	return true;
}

void cl_labels_clear(struct cl_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
