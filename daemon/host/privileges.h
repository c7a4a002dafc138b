/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's least privilege: at start, before any thread, it keeps only the
 * capabilities it uses (PRIVILEGES_KEPT, and why each, in privileges.c),
 * clears the inheritable and ambient sets, narrows the bounding set to the
 * same list (so nft, which weftd spawns, gets no more), and sets
 * no-new-privs. The DaemonSet grants exactly this list (manifests/weft.yaml).
 */
#ifndef WEFTD_PRIVILEGES_H
#define WEFTD_PRIVILEGES_H

#include <stdint.h>

/* The kept set as a bit mask (bit N = capability N), as /proc/PID/status
 * prints CapEff. */
uint64_t privileges_kept_mask(void);
/* Drop the rest. 0, or -errno (logged, naming the capability) when a
 * capability weftd needs is missing or the sets cannot be changed. */
int privileges_drop(void);

#endif
