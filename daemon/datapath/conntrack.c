// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/datapath.h"
#include "log.h"
#include "daemon/datapath/conntrack.h"

/* Entries read per syscall. A hash map's batch never splits a bucket, so a
 * bucket larger than this fails with ENOSPC; buckets hold a handful. */
#define CT_BATCH 1024

struct ct_batch {
	struct weft_ct_key keys[CT_BATCH];
	struct weft_ct_entry vals[CT_BATCH];
};

/* Which entries a walk counts as doomed (and removes, if asked). */
struct ct_filter {
	bool (*doomed)(const struct ct_filter *f, const struct weft_ct_key *k,
		       const struct weft_ct_entry *e);
	uint64_t now_ns;
	const struct weft_ip_key *addrs;
	int n_addrs;
};

static bool is_expired(const struct ct_filter *f, const struct weft_ct_key *k,
		       const struct weft_ct_entry *e)
{
	(void)k;
	return e->expires_ns < f->now_ns;
}

static bool addr_is(const struct weft_ip_key *a, uint8_t family, const __u32 *addr)
{
	return a->family == family && !memcmp(a->addr, addr, sizeof(a->addr));
}

static bool has_addr(const struct ct_filter *f, const struct weft_ct_key *k,
		     const struct weft_ct_entry *e)
{
	(void)e;
	for (int i = 0; i < f->n_addrs; i++)
		if (addr_is(&f->addrs[i], k->family, k->saddr) ||
		    addr_is(&f->addrs[i], k->family, k->daddr))
			return true;
	return false;
}

/* Delete @key if it is still doomed now (re-read: the datapath may have
 * refreshed it since the batch): true when it went. */
static bool ct_remove(int map_fd, const struct weft_ct_key *key, const struct ct_filter *f)
{
	struct weft_ct_entry e;

	if (bpf_map_lookup_elem(map_fd, key, &e) || !f->doomed(f, key, &e))
		return false;
	/* ENOENT: the LRU evicted it first, which is the same outcome. */
	return bpf_map_delete_elem(map_fd, key) == 0;
}

static int ct_walk(int map_fd, const struct ct_filter *f, bool remove, struct ct_gc_stats *out)
{
	/* The batch cursor of a hash map is a bucket index; room for a key
	 * keeps it valid for any map type's cursor. */
	struct weft_ct_key cursor;
	struct ct_batch *b;
	bool first = true, last = false;
	__u32 n;
	int err = 0;

	memset(out, 0, sizeof(*out));
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	while (!last) {
		n = CT_BATCH;
		if (bpf_map_lookup_batch(map_fd, first ? NULL : &cursor, &cursor, b->keys, b->vals,
					 &n, NULL)) {
			/* ENOENT: this was the last batch (n may still be > 0). */
			if (errno != ENOENT) {
				err = -errno;
				pr_warn("conntrack: reading weft_conntrack: %s", strerror(-err));
				goto out_free;
			}
			last = true;
		}
		first = false;
		for (__u32 i = 0; i < n; i++) {
			if (!f->doomed(f, &b->keys[i], &b->vals[i])) {
				out->live++;
				continue;
			}
			out->expired++;
			if (remove && ct_remove(map_fd, &b->keys[i], f))
				out->removed++;
		}
	}
out_free:
	free(b);
	return err;
}

int ct_gc(int map_fd, uint64_t now_ns, struct ct_gc_stats *out)
{
	struct ct_filter f = {.doomed = is_expired, .now_ns = now_ns};

	return ct_walk(map_fd, &f, true, out);
}

int ct_count(int map_fd, uint64_t now_ns, struct ct_gc_stats *out)
{
	struct ct_filter f = {.doomed = is_expired, .now_ns = now_ns};

	return ct_walk(map_fd, &f, false, out);
}

int ct_purge_addrs(int map_fd, const struct weft_ip_key *addrs, int n, struct ct_gc_stats *out)
{
	struct ct_filter f = {.doomed = has_addr, .addrs = addrs, .n_addrs = n};

	return ct_walk(map_fd, &f, true, out);
}
