// SPDX-License-Identifier: Apache-2.0
/*
 * The spare policy maps' pool (daemon/policy/spares.c) against a real map
 * of maps shaped like weft_policy_maps: its thread installs empty maps at
 * the ids it is given, ADDs take them oldest first, DELs give them back,
 * a full pool has the thread remove them, and no id the pool holds is
 * given out twice. Needs root (BPF maps); skipped otherwise.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/datapath.h"
#include "daemon/policy/spares.h"
#include "log.h"
#include "testing.h"

#define OUTER_SLOTS 256

static int make_outer(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, inner_opts, .map_flags = WEFT_POLICY_MAP_FLAGS);
	int inner, outer;

	inner = bpf_map_create(WEFT_POLICY_MAP_TYPE, "tmpl", sizeof(struct weft_policy_key),
			       sizeof(struct weft_policy_value), WEFT_POLICY_MAP_MIN_ENTRIES,
			       &inner_opts);
	if (inner < 0)
		return -errno;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = inner);
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "outer", 4, 4, OUTER_SLOTS, &opts);
	close(inner);
	return outer < 0 ? -errno : outer;
}

/* The id of the map in slot @id, 0 when empty. */
static uint32_t slot(int outer, uint32_t id)
{
	uint32_t map_id = 0;

	if (bpf_map_lookup_elem(outer, &id, &map_id))
		return 0;
	return map_id;
}

static bool map_is_empty(uint32_t map_id)
{
	struct weft_policy_key key;
	bool empty;
	int fd = bpf_map_get_fd_by_id(map_id);

	if (fd < 0)
		return false;
	empty = bpf_map_get_next_key(fd, NULL, &key) && errno == ENOENT;
	close(fd);
	return empty;
}

static unsigned int count_slots(int outer)
{
	unsigned int n = 0;

	for (uint32_t id = 0; id < OUTER_SLOTS; id++)
		n += slot(outer, id) != 0;
	return n;
}

/* Wait (5 s at most) until the pool has @ready ready and nothing queued. */
static bool wait_settled(struct spares *s, unsigned int ready)
{
	struct spares_stats st;

	for (int i = 0; i < 500; i++) {
		spares_get_stats(s, &st);
		if (st.ready == ready && !st.queued)
			return true;
		usleep(10000);
	}
	printf("# ready %u queued %u (wanted %u ready)\n", st.ready, st.queued, ready);
	return false;
}

/* Free ids for the pool: every id above @after but those "in use" (ids
 * 5 and 6 stand for endpoints), none past the outer map's size. */
static uint32_t next_free(void *ctx, uint32_t after)
{
	(void)ctx;
	for (uint32_t id = after + 1; id < OUTER_SLOTS; id++) {
		if (id != 5 && id != 6)
			return id;
	}
	return 0;
}

static void test_fill_take_give(int outer)
{
	struct spares_stats st;
	struct spares *s = NULL;
	uint32_t id, first_map;
	bool ok;

	CHECK_INT(spares_open(&s, 4), 0, "pool opens");
	if (!s)
		return;
	spares_fill(s, outer, next_free, NULL);
	ok = wait_settled(s, 4);
	CHECK(ok, "the thread installs 4 spares");
	for (id = 1; id <= 4; id++) {
		CHECK(slot(outer, id) != 0, "slot %u holds a map", id);
		CHECK(map_is_empty(slot(outer, id)), "the map in slot %u is empty (allows nothing)",
		      id);
		CHECK(spares_holds(s, id), "the pool holds id %u", id);
	}
	CHECK(!spares_holds(s, 7), "the pool does not hold an id it was not given");
	CHECK_INT(count_slots(outer), 4, "no other slot written");

	first_map = slot(outer, 1);
	CHECK(spares_take(s, &id), "an ADD takes a ready spare");
	CHECK_INT(id, 1, "oldest first");
	CHECK(!spares_holds(s, 1), "a taken id is the caller's");
	CHECK_INT(slot(outer, 1), first_map, "its map stays in place: nothing to wait for");

	/* Refill skips the ids in use (5, 6) and the ones held. */
	spares_fill(s, outer, next_free, NULL);
	ok = wait_settled(s, 4);
	CHECK(ok, "refilled to 4");
	CHECK(slot(outer, 7) != 0 && !slot(outer, 5) && !slot(outer, 6),
	      "the refill took the next free id (7), not the ids in use");

	/* A DEL gives id 1 back: ready again, beyond the target. */
	spares_give(s, outer, 1);
	spares_get_stats(s, &st);
	CHECK_INT(st.ready, 5, "a given slot is ready");
	CHECK_INT(st.given, 1, "counted as given");
	spares_give(s, outer, 1);
	spares_get_stats(s, &st);
	CHECK_INT(st.ready, 5, "giving a held id twice changes nothing");

	/* Take them all: then a miss. */
	for (int i = 0; i < 5; i++)
		spares_take(s, &id);
	CHECK(!spares_take(s, &id), "none ready: a miss");
	spares_get_stats(s, &st);
	CHECK_INT(st.missed, 1, "the miss is counted");
	CHECK_INT(st.failed, 0, "no kernel refusal");
	spares_close(s);
	CHECK(slot(outer, 2) != 0, "closing leaves the maps in place (the next start adopts them)");
}

static void test_remove_and_full(int outer)
{
	struct spares_stats st;
	struct spares *s = NULL;
	uint32_t id;

	CHECK_INT(spares_open(&s, 1), 0, "pool opens");
	if (!s)
		return;
	/* A big map no endpoint has: the thread removes it. */
	id = 200;
	{
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = WEFT_POLICY_MAP_FLAGS);
		int fd = bpf_map_create(WEFT_POLICY_MAP_TYPE, "big", sizeof(struct weft_policy_key),
					sizeof(struct weft_policy_value), 4096, &o);

		CHECK(fd >= 0 && !bpf_map_update_elem(outer, &id, &fd, BPF_ANY), "slot 200 set");
		if (fd >= 0)
			close(fd);
	}
	spares_remove(s, outer, id);
	CHECK(spares_holds(s, id), "held until removed");
	CHECK(wait_settled(s, 0), "the removal is done");
	CHECK_INT(slot(outer, id), 0, "slot 200 is empty");
	CHECK(!spares_holds(s, id), "and no longer held");

	/* More than SPARES_MAX given: the rest are removed. */
	for (id = 100; id < 100 + SPARES_MAX + 3; id++) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = WEFT_POLICY_MAP_FLAGS);
		int fd = bpf_map_create(WEFT_POLICY_MAP_TYPE, "given",
					sizeof(struct weft_policy_key),
					sizeof(struct weft_policy_value), 16, &o);

		if (fd < 0 || bpf_map_update_elem(outer, &id, &fd, BPF_ANY))
			break;
		close(fd);
		spares_give(s, outer, id);
	}
	CHECK(wait_settled(s, SPARES_MAX), "the pool keeps SPARES_MAX");
	spares_get_stats(s, &st);
	CHECK_INT(st.removed, 4, "the 3 beyond SPARES_MAX (and slot 200) are removed");
	CHECK_INT(slot(outer, 100 + SPARES_MAX + 2), 0, "the last one's slot is empty");
	CHECK(slot(outer, 100) != 0, "the first ones stay");
	spares_close(s);
}

int main(void)
{
	int outer;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for BPF maps\n");
		return 0;
	}
	log_set_level(LOG_LEVEL_WARN);
	outer = make_outer();
	if (outer < 0) {
		printf("1..0 # SKIP cannot create a map of maps: %s\n", strerror(-outer));
		return 0;
	}
	test_fill_take_give(outer);
	close(outer);
	outer = make_outer();
	test_remove_and_full(outer);
	close(outer);
	return test_done();
}
