/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pod's programs stay on its veth: when another tool deletes or replaces
 * weft's tc filters (or the clsact qdisc under them), weftd notices from the
 * tc change itself (tc_watch.h), puts the pinned programs back, says so in its
 * log and counts it (weft_datapath_repairs_total). Also once at start, for
 * what changed while weftd was down.
 */
#ifndef WEFTD_ENDPOINT_REPAIR_H
#define WEFTD_ENDPOINT_REPAIR_H

#include "daemon/weftd.h"

/* Subscribe to tc changes: d->tc_watch. 0 or -errno. */
int repair_open(struct weftd *d);
void repair_close(struct weftd *d);
/* The loop's callback when d->tc_watch is readable. */
void repair_run(void *ctx);
/* Check, and repair, every endpoint's filters. */
void repair_all(struct weftd *d);

#endif
