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

/* Delete @key if it is still expired at @now_ns: true when it went. */
static bool ct_remove_expired(int map_fd, const struct weft_ct_key *key, uint64_t now_ns)
{
	struct weft_ct_entry e;

	if (bpf_map_lookup_elem(map_fd, key, &e) || e.expires_ns >= now_ns)
		return false;
	/* ENOENT: the LRU evicted it first, which is the same outcome. */
	return bpf_map_delete_elem(map_fd, key) == 0;
}

static int ct_walk(int map_fd, uint64_t now_ns, bool remove, struct ct_gc_stats *out)
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
			if (b->vals[i].expires_ns >= now_ns) {
				out->live++;
				continue;
			}
			out->expired++;
			if (remove && ct_remove_expired(map_fd, &b->keys[i], now_ns))
				out->removed++;
		}
	}
out_free:
	free(b);
	return err;
}

int ct_gc(int map_fd, uint64_t now_ns, struct ct_gc_stats *out)
{
	return ct_walk(map_fd, now_ns, true, out);
}

int ct_count(int map_fd, uint64_t now_ns, struct ct_gc_stats *out)
{
	return ct_walk(map_fd, now_ns, false, out);
}
