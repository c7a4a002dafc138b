/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every tc change on the node, as rtnetlink announces it (RTNLGRP_TC): what
 * weftd needs to notice at once when another tool removes or replaces the
 * cls_bpf filters that hold a pod's programs (tc.h). Read on weftd's loop.
 */
#ifndef WEFTD_TC_WATCH_H
#define WEFTD_TC_WATCH_H

struct tc_watch;

int tc_watch_open(struct tc_watch **out);
void tc_watch_close(struct tc_watch *w);
/* For the loop's epoll: readable when changes are queued. */
int tc_watch_fd(const struct tc_watch *w);

/*
 * Read what is queued and call @changed(ifindex, ctx) once per device whose
 * filters or clsact qdisc were deleted, or that got a filter at weft's handle
 * (ours, or someone's replacing ours: the callback tells). @changed(0, ctx)
 * means changes were lost (the socket overflowed): check every device.
 * 0 or -errno.
 */
int tc_watch_read(struct tc_watch *w, void (*changed)(int ifindex, void *ctx), void *ctx);

#endif
