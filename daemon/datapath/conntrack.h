/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's side of weft_conntrack (bpf/datapath.h, "Conntrack"): the
 * programs create and refresh entries and treat expired ones as missing;
 * weftd removes the expired ones, so the LRU map holds live flows and its
 * fill level means something. The programs' clock is CLOCK_MONOTONIC (read
 * at tick resolution, bpf_ktime_get_coarse_ns()): pass now_ns() (lib/clock.h).
 */
#ifndef WEFTD_CONNTRACK_H
#define WEFTD_CONNTRACK_H

#include <stdint.h>

#include "bpf/datapath.h"

struct ct_gc_stats {
	unsigned int live;    /* entries not expired at now_ns */
	unsigned int expired; /* entries expired at now_ns */
	unsigned int removed; /* of those, deleted by this walk */
};

/*
 * Walk weft_conntrack (@map_fd) and delete every entry whose expires_ns is
 * before @now_ns. An entry is read again just before its delete, so a flow
 * that a packet refreshed meanwhile stays (the window left is one syscall).
 * 0 and @out filled, or -errno (logged) when the map cannot be read.
 */
int ct_gc(int map_fd, uint64_t now_ns, struct ct_gc_stats *out);

/* The same walk without deleting: live and expired entries (removed 0). */
int ct_count(int map_fd, uint64_t now_ns, struct ct_gc_stats *out);
/* Remove every flow from or to one of @addrs (an endpoint that went: a new
 * pod given its address must not inherit its flows, replies included).
 * "expired" counts the matching entries here. */
int ct_purge_addrs(int map_fd, const struct weft_ip_key *addrs, int n, struct ct_gc_stats *out);

/* Every entry, expired or not, a batch of reads at a time. A non-zero
 * return from @fn stops the walk and is returned. */
typedef int (*ct_visit_fn)(void *ctx, const struct weft_ct_key *k, const struct weft_ct_entry *e);
int ct_for_each(int map_fd, ct_visit_fn fn, void *ctx);

#endif
