/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bringing weftd's state back in line with the node after it was down:
 * DELs the plugin recorded while weftd was unreachable (lib/pending.h),
 * endpoints whose host veth is gone, and what no endpoint owns: pin
 * directories, weft_endpoints entries, weft_policy_progs slots and IPAM
 * allocations (the last only once old enough not to be an ADD in flight;
 * CNI GC takes the younger ones).
 */
#ifndef WEFTD_RECONCILE_H
#define WEFTD_RECONCILE_H

#include "daemon/weftd.h"

/* An allocation younger than this may belong to an ADD that is still
 * running (the plugin waits up to 10 s per weftd call). */
#define RECONCILE_IPAM_GRACE_S 60

/* Finish the recorded DELs; called at start and on every tick. */
void reconcile_pending(struct weftd *d);
/* Pins, weft_endpoints entries and weft_policy_progs slots that no endpoint
 * owns; also part of the gc operation. */
void reconcile_orphans(struct weftd *d);
/* Everything above, at start, before weftd serves. */
void reconcile_at_start(struct weftd *d);

#endif
