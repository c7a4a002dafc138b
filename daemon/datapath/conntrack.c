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

int ct_for_each(int map_fd, ct_visit_fn fn, void *ctx)
{
	/* The batch cursor of a hash map is a bucket index; room for a key
	 * keeps it valid for any map type's cursor. */
	struct weft_ct_key cursor;
	struct ct_batch *b;
	bool first = true, last = false;
	__u32 n;
	int err = 0;

	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	while (!last && !err) {
		n = CT_BATCH;
		if (bpf_map_lookup_batch(map_fd, first ? NULL : &cursor, &cursor, b->keys, b->vals,
					 &n, NULL)) {
			/* ENOENT: this was the last batch (n may still be > 0). */
			if (errno != ENOENT) {
				err = -errno;
				pr_warn("conntrack: reading weft_conntrack: %s", strerror(-err));
				goto free_batch;
			}
			last = true;
		}
		first = false;
		for (__u32 i = 0; i < n && !err; i++)
			err = fn(ctx, &b->keys[i], &b->vals[i]);
	}
free_batch:
	free(b);
	return err;
}

struct ct_walk {
	const struct ct_filter *f;
	int map_fd;
	bool remove;
	struct ct_gc_stats *out;
};

static int walk_one(void *ctx, const struct weft_ct_key *k, const struct weft_ct_entry *e)
{
	struct ct_walk *w = ctx;

	if (!w->f->doomed(w->f, k, e)) {
		w->out->live++;
		return 0;
	}
	w->out->expired++;
	if (w->remove && ct_remove(w->map_fd, k, w->f))
		w->out->removed++;
	return 0;
}

static int ct_walk(int map_fd, const struct ct_filter *f, bool remove, struct ct_gc_stats *out)
{
	struct ct_walk w = {.f = f, .map_fd = map_fd, .remove = remove, .out = out};

	memset(out, 0, sizeof(*out));
	return ct_for_each(map_fd, walk_one, &w);
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
