/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_HASH_TAB_H
#define WEFT_HASH_TAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A table of object pointers by a 64-bit hash the caller computes (mixed
 * down to the low bits, hash_mix64(): the table masks with them) and keys
 * the caller compares: the table never looks inside an object.
 *
 * Linear probing, at most 3/4 full, deletion by shifting the run back (no
 * tombstones, so a long-lived table never degrades). The stored hash makes
 * probing cheap and growth free of re-hashing. Duplicates are allowed (an
 * index of pod IPs needs them); a table of unique keys looks up before it
 * adds. A zeroed struct is an empty table.
 */
struct hash_tab_slot {
	uint64_t hash;
	void *obj; /* NULL: empty */
};

struct hash_tab {
	struct hash_tab_slot *s;
	size_t cap; /* 0 or a power of two */
	size_t len;
};

/* Make room for @want entries, so the puts that follow cannot fail. 0 or -ENOMEM. */
int hash_tab_reserve(struct hash_tab *t, size_t want);
/* Needs room: hash_tab_reserve() first. */
void hash_tab_put(struct hash_tab *t, uint64_t hash, void *obj);
/* hash_tab_reserve() for one more, then hash_tab_put(). 0 or -ENOMEM. */
int hash_tab_add(struct hash_tab *t, uint64_t hash, void *obj);
/* The first object under @hash for which @eq(obj, @key) holds, or NULL. */
void *hash_tab_find(const struct hash_tab *t, uint64_t hash,
		    bool (*eq)(const void *obj, const void *key), const void *key);
/* Slot holding exactly @obj under @hash, or SIZE_MAX. */
size_t hash_tab_slot_of(const struct hash_tab *t, uint64_t hash, const void *obj);
void hash_tab_remove_at(struct hash_tab *t, size_t i);
/* Remove exactly @obj (stored under @hash); true when it was there. */
bool hash_tab_remove(struct hash_tab *t, uint64_t hash, const void *obj);
/* Frees the slots, not the objects. */
void hash_tab_clear(struct hash_tab *t);
/* Next object of @t from position *@i on (start at 0), or NULL at the end.
 * The order is the slots', not the insertion's. */
void *hash_tab_next(const struct hash_tab *t, size_t *i);

#endif
