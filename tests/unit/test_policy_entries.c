// SPDX-License-Identifier: Apache-2.0
/*
 * daemon/policy/entries.c: the policy entry set (keys as the datapath looks
 * them up, the smaller cookie kept whatever the order, 200,000 entries) and
 * the diff the engine writes, in its order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "array.h"
#include "daemon/policy/entries.h"
#include "testing.h"

#define BIG 200000

static void test_key(void)
{
	static const struct {
		uint16_t port;
		uint8_t prefixlen;
		uint16_t want;
	} cases[] = {
		{80, 16, 80},	   {1007, 13, 1000}, {1023, 12, 1008},
		{65535, 1, 32768}, {65535, 0, 0},    {12345, 0, 0},
	};
	struct weft_policy_key k, zero;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		k = policy_key(300, WEFT_POLICY_EGRESS, IPPROTO_UDP, cases[i].port,
			       cases[i].prefixlen);
		CHECK_INT(ntohs(k.port), cases[i].want, "port %u/%u masks to %u", cases[i].port,
			  cases[i].prefixlen, cases[i].want);
		CHECK(k.peer == 300 && k.direction == WEFT_POLICY_EGRESS &&
			      k.protocol == IPPROTO_UDP && k.port_prefixlen == cases[i].prefixlen &&
			      !k.pad && !k.pad2,
		      "the other fields as given, pads zero");
	}
	k = policy_meta_key(WEFT_POLICY_INGRESS);
	CHECK(k.peer == WEFT_POLICY_META_PEER && !k.protocol && !k.port && !k.port_prefixlen,
	      "the meta key");
	CHECK(policy_key_is_meta(&k), "is meta");
	memset(&zero, 0, sizeof(zero));
	k = policy_key(WEFT_POLICY_ANY_PEER, WEFT_POLICY_INGRESS, 0, 0, 0);
	CHECK(!memcmp(&k, &zero, sizeof(k)), "the open ingress key is all zero (and is a key)");
}

static void test_set(void)
{
	struct weft_policy_key a = policy_key(300, WEFT_POLICY_INGRESS, IPPROTO_TCP, 80, 16),
			       b = policy_key(300, WEFT_POLICY_INGRESS, IPPROTO_TCP, 81, 16),
			       zero = policy_key(0, WEFT_POLICY_INGRESS, 0, 0, 0);
	const struct weft_policy_value *got;
	struct policy_entries *e;

	if (policy_entries_new(&e))
		return;
	CHECK(!policy_entries_get(e, &a), "empty set has nothing");
	CHECK_INT(policy_entries_add(e, &a, &(struct weft_policy_value){.rule = 7}), 0, "add");
	CHECK_INT(policy_entries_add(e, &a, &(struct weft_policy_value){.rule = 3}), 0, "again");
	CHECK_INT(policy_entries_add(e, &a, &(struct weft_policy_value){.rule = 5}), 0, "again");
	got = policy_entries_get(e, &a);
	CHECK(got && got->rule == 3, "an existing key keeps the smaller cookie (got %u)",
	      got ? got->rule : 0);
	CHECK(!policy_entries_get(e, &b), "port 81 is another key");
	CHECK_INT(policy_entries_add(e, &zero, &(struct weft_policy_value){.shapes = 1}), 0,
		  "the all-zero key");
	CHECK_INT(policy_entries_add(e, &zero, &(struct weft_policy_value){.shapes = 4}), 0,
		  "again");
	got = policy_entries_get(e, &zero);
	CHECK(got && got->shapes == 5, "is stored, with the union of the shapes");
	CHECK_INT(policy_entries_count(e), 2, "two entries");
	policy_entries_clear(e);
	CHECK_INT(policy_entries_count(e), 0, "cleared");
	CHECK(!policy_entries_get(e, &a) && !policy_entries_get(e, &zero), "nothing left");
	policy_entries_free(e);
}

static int count_entries(void *ctx, const struct weft_policy_key *k,
			 const struct weft_policy_value *v)
{
	(void)k;
	(void)v;
	++*(size_t *)ctx;
	return 0;
}

static int stop_at_first(void *ctx, const struct weft_policy_key *k,
			 const struct weft_policy_value *v)
{
	count_entries(ctx, k, v);
	return -EINTR;
}

static struct weft_policy_key big_key(size_t i)
{
	return policy_key(WEFT_IDENTITY_FIRST_POD + (uint32_t)(i / 1000), i % 2,
			  i % 3 ? IPPROTO_TCP : IPPROTO_UDP, (uint16_t)(i % 1000), 16);
}

static void test_big(void)
{
	struct policy_entries *e;
	size_t ok = 0, visited = 0;

	if (policy_entries_new(&e))
		return;
	for (size_t i = 0; i < BIG; i++) {
		struct weft_policy_key k = big_key(i);

		if (!policy_entries_add(e, &k,
					&(struct weft_policy_value){.rule = (uint32_t)i + 1}))
			ok++;
	}
	CHECK_INT(ok, BIG, "%d adds", BIG);
	CHECK_INT(policy_entries_count(e), BIG, "%d entries", BIG);
	ok = 0;
	for (size_t i = 0; i < BIG; i++) {
		struct weft_policy_key k = big_key(i);
		const struct weft_policy_value *v = policy_entries_get(e, &k);

		ok += v && v->rule == i + 1;
	}
	CHECK_INT(ok, BIG, "each found with its value");
	CHECK_INT(policy_entries_for_each(e, count_entries, &visited), 0, "walk");
	CHECK_INT(visited, BIG, "visits each once");
	visited = 0;
	CHECK_INT(policy_entries_for_each(e, stop_at_first, &visited), -EINTR,
		  "a walk stops at non-zero");
	CHECK_INT(visited, 1, "after one");
	policy_entries_clear(e);
	CHECK_INT(policy_entries_count(e), 0, "cleared");
	policy_entries_free(e);
}

/* ---- diff ------------------------------------------------------------------ */

struct rec {
	char log[16][32]; /* "+80 r5", "-81", "+meta" */
	size_t n;
};

static int rec_upsert(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	struct rec *r = ctx;

	if (r->n < ARRAY_SIZE(r->log)) {
		if (policy_key_is_meta(k))
			snprintf(r->log[r->n++], sizeof(r->log[0]), "+meta%u s%x", k->direction,
				 v->shapes);
		else
			snprintf(r->log[r->n++], sizeof(r->log[0]), "+%u r%u", ntohs(k->port),
				 v->rule);
	}
	return 0;
}

static int rec_remove(void *ctx, const struct weft_policy_key *k)
{
	struct rec *r = ctx;

	if (r->n < ARRAY_SIZE(r->log))
		snprintf(r->log[r->n++], sizeof(r->log[0]), "-%u", ntohs(k->port));
	return 0;
}

static void add_port(struct policy_entries *e, uint16_t port, uint32_t rule)
{
	struct weft_policy_key k = policy_key(300, WEFT_POLICY_INGRESS, IPPROTO_TCP, port, 16);

	policy_entries_add(e, &k, &(struct weft_policy_value){.rule = rule});
}

static void add_meta(struct policy_entries *e, uint32_t shapes)
{
	struct weft_policy_key k = policy_meta_key(WEFT_POLICY_INGRESS);

	policy_entries_add(e, &k, &(struct weft_policy_value){.shapes = shapes});
}

static bool logged(const struct rec *r, const char *what, size_t *at)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->log[i], what)) {
			*at = i;
			return true;
		}
	}
	return false;
}

static void test_diff(void)
{
	struct policy_entries *old, *cur;
	size_t at_new, at_changed, at_meta, at_removed, unused;
	struct rec r = {};

	if (policy_entries_new(&old) || policy_entries_new(&cur))
		return;
	add_meta(old, 1);
	add_port(old, 80, 5); /* unchanged */
	add_port(old, 81, 5); /* removed */
	add_port(old, 82, 5); /* changed */
	add_meta(cur, 3);
	add_port(cur, 80, 5);
	add_port(cur, 82, 4);
	add_port(cur, 83, 5); /* new */

	CHECK_INT(policy_entries_diff(old, cur, rec_upsert, rec_remove, &r), 0, "diff");
	CHECK_INT(r.n, 4, "four writes: new, changed, meta, removed");
	CHECK(logged(&r, "+83 r5", &at_new), "the new entry is upserted");
	CHECK(logged(&r, "+82 r4", &at_changed), "the changed one too");
	CHECK(logged(&r, "+meta0 s3", &at_meta), "and the changed meta entry");
	CHECK(logged(&r, "-81", &at_removed), "the gone one removed");
	CHECK(!logged(&r, "+80 r5", &unused), "the unchanged one is not written");
	CHECK(at_meta > at_new && at_meta > at_changed, "meta after the other upserts");
	CHECK(at_removed > at_meta, "removals last");

	memset(&r, 0, sizeof(r));
	CHECK_INT(policy_entries_diff(NULL, cur, rec_upsert, rec_remove, &r), 0, "diff from none");
	CHECK_INT(r.n, 4, "every entry upserted");
	CHECK_STR(r.log[3], "+meta0 s3", "meta last");

	memset(&r, 0, sizeof(r));
	CHECK_INT(policy_entries_diff(cur, cur, rec_upsert, rec_remove, &r), 0, "diff to itself");
	CHECK_INT(r.n, 0, "writes nothing");
	policy_entries_free(old);
	policy_entries_free(cur);
}

int main(void)
{
	test_key();
	test_set();
	test_big();
	test_diff();
	return test_done();
}
