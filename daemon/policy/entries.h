/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One endpoint's policy map as the compiler builds it in memory: a set of
 * (struct weft_policy_key -> struct weft_policy_value), with the diff the
 * engine needs to write only what changed into the BPF map. An open-addressing
 * table of fixed-size slots (no allocation per entry), so 100,000 entries cost
 * a few milliseconds to build and to compare.
 */
#ifndef WEFTD_POLICY_ENTRIES_H
#define WEFTD_POLICY_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/datapath.h"

struct policy_entries;

/* A key with the pads zero and the port (host order) masked to @prefixlen
 * bits and stored in network order, as the datapath looks it up. */
struct weft_policy_key policy_key(uint32_t peer, enum weft_policy_dir dir, uint8_t protocol,
				  uint16_t port, uint8_t prefixlen);
/* The meta key of @dir. */
struct weft_policy_key policy_meta_key(enum weft_policy_dir dir);
static inline bool policy_key_is_meta(const struct weft_policy_key *k)
{
	return k->peer == WEFT_POLICY_META_PEER;
}

/* 0 or -ENOMEM. */
int policy_entries_new(struct policy_entries **out);
void policy_entries_free(struct policy_entries *e);
/* Empty, keeping the memory for the next compile. */
void policy_entries_clear(struct policy_entries *e);

/*
 * Add @v under @k. A key already there keeps the smaller rule cookie (so the
 * result does not depend on the order policies are compiled in) and the
 * union of both shapes. 0 or -ENOMEM (the set is unchanged then).
 */
int policy_entries_add(struct policy_entries *e, const struct weft_policy_key *k,
		       const struct weft_policy_value *v);
/* The value under @k, or NULL. Valid until the next add or clear. */
const struct weft_policy_value *policy_entries_get(const struct policy_entries *e,
						   const struct weft_policy_key *k);
size_t policy_entries_count(const struct policy_entries *e);

typedef int (*policy_entry_fn)(void *ctx, const struct weft_policy_key *k,
			       const struct weft_policy_value *v);

/* @fn on every entry, in no particular order; stops at and returns the first
 * non-zero from @fn. */
int policy_entries_for_each(const struct policy_entries *e, policy_entry_fn fn, void *ctx);

/*
 * What turns @old (NULL: empty) into @cur: @upsert for every entry of @cur
 * that @old lacks or holds with another value, then @remove for every entry of
 * @old that @cur lacks. In that order, and the meta entries last among the
 * upserts, so a map written in this order never denies, midway, a flow that
 * both sets allow, and a meta entry names a shape only once the entries of
 * that shape are in. Stops at and returns the first non-zero from a callback.
 */
int policy_entries_diff(const struct policy_entries *old, const struct policy_entries *cur,
			policy_entry_fn upsert,
			int (*remove)(void *ctx, const struct weft_policy_key *k), void *ctx);

#endif
