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

/* The block's size for @l's labels and @extra more bytes of strings. */
static size_t strings_size(const struct cl_labels *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->v[i].key) + 1 + strlen(l->v[i].value) + 1;
	return n;
}

/* Copy @s to *@at, advancing it; the copy. */
static char *put_string(char **at, const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = memcpy(*at, s, n);

	*at += n;
	return copy;
}

int cl_labels_add(struct cl_labels *l, const char *key, const char *value)
{
	struct cl_label *v;
	size_t at, size;
	bool found;
	char *str;

	at = labels_pos(l, key, &found);
	if (found)
		return -EEXIST;
	/* One block: the array, then its strings. A set is built once and
	 * then only read, so the copy per add costs less than a malloc per
	 * string would keep (two per label, for every pod and peer). */
	size = (l->n + 1) * sizeof(*v) + strings_size(l) + strlen(key) + 1 + strlen(value) + 1;
	v = malloc(size);
	if (!v)
		return -ENOMEM;
	str = (char *)(v + l->n + 1);
	for (size_t i = 0, j = 0; i <= l->n; i++) {
		const struct cl_label *from = i == at ? NULL : &l->v[j++];

		v[i].key = put_string(&str, from ? from->key : key);
		v[i].value = put_string(&str, from ? from->value : value);
	}
	free(l->v);
	l->v = v;
	l->n++;
	return 0;
}

int cl_labels_copy(struct cl_labels *dst, const struct cl_labels *src)
{
	struct cl_label *v;
	char *str;

	*dst = (struct cl_labels){0};
	if (!src->n)
		return 0;
	v = malloc(src->n * sizeof(*v) + strings_size(src));
	if (!v)
		return -ENOMEM;
	str = (char *)(v + src->n);
	for (size_t i = 0; i < src->n; i++) {
		v[i].key = put_string(&str, src->v[i].key);
		v[i].value = put_string(&str, src->v[i].value);
	}
	dst->v = v;
	dst->n = src->n;
	return 0;
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
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

json_t *cl_labels_json(const struct cl_labels *l)
{
	json_t *o = json_object();

	for (size_t i = 0; o && l && i < l->n; i++)
		json_object_set_new(o, l->v[i].key, json_string(l->v[i].value));
	return o;
}
