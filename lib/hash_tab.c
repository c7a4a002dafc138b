// SPDX-License-Identifier: Apache-2.0
/* A small open-addressing table (see cluster_internal.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemon/cluster/cluster_internal.h"

#define TAB_MIN_CAP 16

void cl_tab_put(struct cl_tab *t, uint64_t hash, void *obj)
{
	size_t i = hash & (t->cap - 1);

	while (t->s[i].obj)
		i = (i + 1) & (t->cap - 1);
	t->s[i] = (struct cl_tab_slot){hash, obj};
	t->len++;
}

int cl_tab_reserve(struct cl_tab *t, size_t want)
{
	struct cl_tab old = *t;
	size_t cap = t->cap ? t->cap : TAB_MIN_CAP;

	while (want > cap / 4 * 3)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	t->s = calloc(cap, sizeof(*t->s));
	if (!t->s) {
		*t = old;
		return -ENOMEM;
	}
	t->cap = cap;
	t->len = 0;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.s[i].obj)
			cl_tab_put(t, old.s[i].hash, old.s[i].obj);
	}
	free(old.s);
	return 0;
}

size_t cl_tab_slot_of(const struct cl_tab *t, uint64_t hash, const void *obj)
{
	if (!t->cap)
		return SIZE_MAX;
	for (size_t i = hash & (t->cap - 1); t->s[i].obj; i = (i + 1) & (t->cap - 1)) {
		if (t->s[i].obj == obj)
			return i;
	}
	return SIZE_MAX;
}

void cl_tab_remove_at(struct cl_tab *t, size_t i)
{
	size_t mask = t->cap - 1, j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!t->s[j].obj)
			break;
		home = t->s[j].hash & mask;
		/* Leave the entry where it is if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->s[i] = t->s[j];
		i = j;
	}
	t->s[i].obj = NULL;
	t->len--;
}

void cl_tab_clear(struct cl_tab *t)
{
	free(t->s);
	*t = (struct cl_tab){};
}

void *cl_tab_next(const struct cl_tab *t, size_t *i)
{
	for (; *i < t->cap; (*i)++) {
		if (t->s[*i].obj)
			return t->s[(*i)++].obj;
	}
	return NULL;
}
