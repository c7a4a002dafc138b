// SPDX-License-Identifier: Apache-2.0
/*
 * weftd's conntrack GC (daemon/datapath/conntrack.c) on a real LRU hash with
 * weft_conntrack's key and value: expired entries go, live ones stay, the
 * walk spans several batches, and an entry expiring exactly now is live.
 */
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bpf/datapath.h"
#include "clock.h"
#include "daemon/datapath/conntrack.h"
#include "log.h"
#include "testing.h"

#define N_FLOWS 3000 /* about three batches */
#define SEC	1000000000ull

static struct weft_ct_key flow_key(unsigned int i)
{
	struct weft_ct_key k;

	memset(&k, 0, sizeof(k));
	k.family = WEFT_FAMILY_IPV4;
	k.protocol = 6;
	k.sport = htons(10000 + i % 50000);
	k.dport = htons(443);
	k.saddr[0] = htonl(0x0a000000 + i);
	k.daddr[0] = htonl(0xc6336401);
	return k;
}

static int ct_map(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "weft_ct_test", sizeof(struct weft_ct_key),
				sizeof(struct weft_ct_entry), 16384, NULL);

	CHECK(fd >= 0, "an LRU hash like weft_conntrack (%s)", fd < 0 ? strerror(errno) : "ok");
	return fd;
}

static void test_empty(void)
{
	struct ct_gc_stats st;
	int fd = ct_map();

	if (fd < 0)
		return;
	CHECK_INT(ct_gc(fd, now_ns(), &st), 0, "empty: gc succeeds");
	CHECK(st.live == 0 && st.expired == 0 && st.removed == 0, "empty: nothing counted");
	close(fd);
}

static void test_gc(void)
{
	uint64_t now = now_ns();
	struct weft_ct_entry e, got;
	struct weft_ct_key k;
	struct ct_gc_stats st;
	unsigned int present = 0, wrong = 0;
	int fd = ct_map();

	if (fd < 0)
		return;
	/* Every third flow expired a second ago, the rest live for a minute. */
	for (unsigned int i = 0; i < N_FLOWS; i++) {
		memset(&e, 0, sizeof(e));
		e.expires_ns = i % 3 ? now + 60 * SEC : now - SEC;
		e.packets_fwd = i;
		k = flow_key(i);
		if (bpf_map_update_elem(fd, &k, &e, BPF_NOEXIST))
			wrong++;
	}
	CHECK_INT(wrong, 0, "gc: %u flows written", N_FLOWS);

	CHECK_INT(ct_count(fd, now, &st), 0, "count: succeeds");
	CHECK(st.live == 2000 && st.expired == 1000 && st.removed == 0,
	      "count: 2000 live, 1000 expired, none removed (got %u, %u, %u)", st.live, st.expired,
	      st.removed);

	CHECK_INT(ct_gc(fd, now, &st), 0, "gc: succeeds");
	CHECK(st.live == 2000 && st.expired == 1000 && st.removed == 1000,
	      "gc: 2000 live, 1000 expired and removed (got %u, %u, %u)", st.live, st.expired,
	      st.removed);
	wrong = 0;
	for (unsigned int i = 0; i < N_FLOWS; i++) {
		k = flow_key(i);
		if (bpf_map_lookup_elem(fd, &k, &got) == 0) {
			present++;
			wrong += !(i % 3) || got.packets_fwd != i;
		} else {
			wrong += i % 3 != 0;
		}
	}
	CHECK(present == 2000 && wrong == 0, "gc: exactly the live flows remain (%u, %u wrong)",
	      present, wrong);

	CHECK_INT(ct_gc(fd, now, &st), 0, "gc again: succeeds");
	CHECK(st.live == 2000 && st.expired == 0 && st.removed == 0, "gc again: nothing to remove");
	close(fd);
}

static void test_edge(void)
{
	struct weft_ct_key k = flow_key(1);
	struct weft_ct_entry e = {.expires_ns = 5 * SEC};
	struct ct_gc_stats st;
	int fd = ct_map();

	if (fd < 0)
		return;
	CHECK_INT(bpf_map_update_elem(fd, &k, &e, BPF_ANY), 0, "edge: one flow");
	CHECK_INT(ct_gc(fd, 5 * SEC, &st), 0, "edge: gc at its expiry");
	CHECK(st.live == 1 && st.removed == 0, "edge: expires_ns == now is still live");
	CHECK_INT(ct_gc(fd, 5 * SEC + 1, &st), 0, "edge: gc a nanosecond later");
	CHECK(st.live == 0 && st.removed == 1, "edge: then it goes");
	close(fd);

	CHECK_INT(ct_gc(-1, 0, &st), -EBADF, "edge: a bad fd is an error");
}

/* An endpoint's flows go with it, from it and to it; others stay. */
static void test_purge(void)
{
	struct weft_ct_entry e = {.expires_ns = UINT64_MAX};
	struct weft_ip_key gone = {.family = WEFT_FAMILY_IPV4};
	struct ct_gc_stats st;
	struct weft_ct_key k;
	int fd = ct_map();

	if (fd < 0)
		return;
	for (unsigned int i = 0; i < 10; i++) {
		k = flow_key(i);
		bpf_map_update_elem(fd, &k, &e, BPF_ANY);
	}
	/* A reply-side flow: the endpoint as the destination. */
	k = flow_key(20);
	k.daddr[0] = flow_key(3).saddr[0];
	bpf_map_update_elem(fd, &k, &e, BPF_ANY);
	gone.addr[0] = flow_key(3).saddr[0];
	CHECK_INT(ct_purge_addrs(fd, &gone, 1, &st), 0, "purge: walks");
	CHECK_INT(st.removed, 2, "purge: the flow from the address and the one to it");
	CHECK_INT(st.live, 9, "purge: the other flows stay");
	k = flow_key(3);
	CHECK(bpf_map_lookup_elem(fd, &k, &e) < 0, "purge: the endpoint's flow is gone");
	k = flow_key(4);
	CHECK(bpf_map_lookup_elem(fd, &k, &e) == 0, "purge: another endpoint's flow is kept");
	close(fd);
}

int main(void)
{
	log_set_level(LOG_LEVEL_WARN);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for bpf_map_create\n");
		return 0;
	}
	test_empty();
	test_gc();
	test_edge();
	test_purge();
	return test_done();
}
