/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipBlock identities: one node-local number per distinct prefix that some
 * policy names as an ipBlock cidr or except, held while any policy names it,
 * and the weft_policy_cidrs LPM trie that maps addresses to them (longest
 * prefix wins). The compiler allows, for an ipBlock, the identities of every
 * registered prefix within its cidr and not within an except; since every
 * such boundary is itself in the trie, the longest match says exactly on
 * which side of it an address is, pod addresses included.
 *
 * Map writes wait for cidrs_flush(): the engine writes the policy maps that
 * name new identities first, so an address never maps to an identity that
 * no entry knows yet while its old one still had entries.
 */
#ifndef WEFTD_POLICY_CIDRS_H
#define WEFTD_POLICY_CIDRS_H

#include <stdint.h>

#include "addr.h"

struct cidrs;

int cidrs_new(struct cidrs **out);
void cidrs_free(struct cidrs *c);
/* Take in what weft_policy_cidrs (@map_fd) holds from an earlier weftd:
 * each prefix keeps its identity if a policy names it again, the rest goes
 * at the next flush. Once, when the map is first opened. */
int cidrs_adopt(struct cidrs *c, int map_fd);

/* Take a reference on @p; its identity is allocated on the first.
 * 0, -ENOSPC when every ipBlock identity is taken, -ENOMEM. */
int cidrs_ref(struct cidrs *c, const struct weft_prefix *p);
/* Drop one; the identity is freed (and the map entry queued for removal)
 * with the last. Unknown prefixes are ignored. */
void cidrs_unref(struct cidrs *c, const struct weft_prefix *p);
/* The identity of @p, 0 when not registered. */
uint32_t cidrs_identity(const struct cidrs *c, const struct weft_prefix *p);
/* The prefix of ipBlock identity @id, or NULL. */
const struct weft_prefix *cidrs_prefix(const struct cidrs *c, uint32_t id);
/* Every registered prefix within @p (itself included), with its identity. */
int cidrs_for_each_within(const struct cidrs *c, const struct weft_prefix *p,
			  int (*fn)(void *ctx, const struct weft_prefix *q, uint32_t id), void *ctx);
/* Write the queued additions and removals to weft_policy_cidrs (@map_fd;
 * -1: not pinned yet, all stays queued). 0 or the first error (logged;
 * failed writes stay queued for the next flush). */
int cidrs_flush(struct cidrs *c, int map_fd);
unsigned int cidrs_count(const struct cidrs *c);

#endif
