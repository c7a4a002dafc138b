// SPDX-License-Identifier: Apache-2.0
/* The open-addressing table of hash_tab.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "hash_tab.h"

#define TAB_MIN_CAP 16

void hash_tab_put(struct hash_tab *t, uint64_t hash, void *obj)
{
	size_t i = hash & (t->cap - 1);

	while (t->s[i].obj)
		i = (i + 1) & (t->cap - 1);
	t->s[i] = (struct hash_tab_slot){hash, obj};
	t->len++;
}

int hash_tab_reserve(struct hash_tab *t, size_t want)
{
	struct hash_tab old = *t;
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
			hash_tab_put(t, old.s[i].hash, old.s[i].obj);
	}
	free(old.s);
	return 0;
}

int hash_tab_add(struct hash_tab *t, uint64_t hash, void *obj)
{
	int err = hash_tab_reserve(t, t->len + 1);

	if (!err)
		hash_tab_put(t, hash, obj);
	return err;
}

void *hash_tab_find(const struct hash_tab *t, uint64_t hash,
		    bool (*eq)(const void *obj, const void *key), const void *key)
{
	if (!t->cap)
		return NULL;
	for (size_t i = hash & (t->cap - 1); t->s[i].obj; i = (i + 1) & (t->cap - 1)) {
		if (t->s[i].hash == hash && eq(t->s[i].obj, key))
			return t->s[i].obj;
	}
	return NULL;
}

size_t hash_tab_slot_of(const struct hash_tab *t, uint64_t hash, const void *obj)
{
	if (!t->cap)
		return SIZE_MAX;
	for (size_t i = hash & (t->cap - 1); t->s[i].obj; i = (i + 1) & (t->cap - 1)) {
		if (t->s[i].obj == obj)
			return i;
	}
	return SIZE_MAX;
}

void hash_tab_remove_at(struct hash_tab *t, size_t i)
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

bool hash_tab_remove(struct hash_tab *t, uint64_t hash, const void *obj)
{
	size_t at = hash_tab_slot_of(t, hash, obj);

	if (at == SIZE_MAX)
		return false;
	hash_tab_remove_at(t, at);
	return true;
}

void hash_tab_clear(struct hash_tab *t)
{
	free(t->s);
	*t = (struct hash_tab){};
}

void *hash_tab_next(const struct hash_tab *t, size_t *i)
{
	for (; *i < t->cap; (*i)++) {
		if (t->s[*i].obj)
			return t->s[(*i)++].obj;
	}
	return NULL;
}
