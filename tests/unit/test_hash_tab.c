// SPDX-License-Identifier: Apache-2.0
/* lib/hash_tab.c: look-ups, duplicates, removal that keeps every run
 * reachable (no tombstones), growth, and the walk. */
#include <stdlib.h>

#include "hash.h"
#include "hash_tab.h"
#include "testing.h"

#define N 5000

static bool int_eq(const void *obj, const void *key)
{
	return *(const int *)obj == *(const int *)key;
}

static uint64_t int_hash(int v)
{
	return hash_mix64((uint64_t)v);
}

static int *find(const struct hash_tab *t, int v)
{
	return hash_tab_find(t, int_hash(v), int_eq, &v);
}

int main(void)
{
	static int vals[N];
	struct hash_tab t = {0};
	int missing = -1, other = 7, *obj;
	size_t i = 0, seen = 0, found = 0;
	bool ok = true;

	CHECK(!find(&t, 1), "an empty table finds nothing");
	CHECK(!hash_tab_next(&t, &i), "an empty table walks nothing");
	for (int v = 0; v < N; v++) {
		vals[v] = v;
		ok &= !hash_tab_add(&t, int_hash(v), &vals[v]);
	}
	CHECK(ok && t.len == N, "%d adds, len %zu", N, t.len);
	CHECK(t.len <= t.cap / 4 * 3, "at most 3/4 full: %zu of %zu", t.len, t.cap);
	for (int v = 0; v < N; v++)
		found += find(&t, v) == &vals[v];
	CHECK_INT(found, N, "every value found by its key");
	CHECK(!find(&t, missing), "a missing key is not found");

	/* Remove every other one: the rest stay reachable across the shifts. */
	for (int v = 0; v < N; v += 2)
		ok &= hash_tab_remove(&t, int_hash(v), &vals[v]);
	CHECK(ok && t.len == N / 2, "half removed, len %zu", t.len);
	CHECK(!hash_tab_remove(&t, int_hash(0), &vals[0]), "removing twice says it was not there");
	found = 0;
	for (int v = 0; v < N; v++)
		found += v % 2 ? find(&t, v) == &vals[v] : !find(&t, v);
	CHECK_INT(found, N, "the odd ones found, the even ones gone");

	/* Duplicates: the same key under two objects, removed one by one. */
	CHECK(!hash_tab_add(&t, int_hash(7), &other), "a duplicate key is allowed");
	CHECK(hash_tab_slot_of(&t, int_hash(7), &other) != SIZE_MAX, "the duplicate has a slot");
	CHECK(hash_tab_remove(&t, int_hash(7), &vals[7]) && find(&t, 7) == &other,
	      "removing one object leaves the other under the key");

	for (i = 0; (obj = hash_tab_next(&t, &i));)
		seen++;
	CHECK_INT(seen, t.len, "the walk visits every object once");
	hash_tab_clear(&t);
	CHECK(!t.len && !t.cap && !find(&t, 1), "cleared");
	return test_done();
}
