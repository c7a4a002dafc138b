/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Classic tc, the way weft holds a pod's programs on its host veth: a clsact
 * qdisc and one direct-action cls_bpf filter per direction, at weft's own
 * priority and handle (tc filter show: "pref 1 ... handle 0x77656674", "weft").
 *
 * Why not tcx, as for the node's own devices: a tcx attach swaps the device's
 * entry array and waits for a full RCU grace period holding rtnl
 * (tcx_entry_sync -> synchronize_rcu), 8-37 ms on an idle HZ=250 node, twice
 * per pod, and every other netlink user on the node waits with it. The first
 * cls_bpf filter on a fresh clsact only waits for an expedited grace period
 * (mini_qdisc_pair_swap), and the veth is still down then (no dev_deactivate):
 * well under a millisecond for both. A replace (upgrades, repairs) swaps the
 * program in place: each packet runs either the old or the new one.
 *
 * What tcx's links gave and this does not: a filter has no owner, so
 * `tc filter del` removes it. weftd watches every tc change on the node
 * (tc_watch.h) and puts its filter back at once, logged and counted.
 */
#ifndef WEFTD_TC_H
#define WEFTD_TC_H

#include <stdint.h>

enum tc_dir { TC_INGRESS, TC_EGRESS };

/* weft's filter on each hook: the first priority, so no other classic
 * filter runs before it, and a handle that says whose it is. */
#define WEFT_TC_PRIO   1
#define WEFT_TC_HANDLE 0x77656674u /* "weft" */

/* Put @prog_fd as weft's filter on @ifindex's @dir hook, creating the clsact
 * qdisc when missing, replacing weft's filter when present. 0 or -errno. */
int tc_attach(int ifindex, enum tc_dir dir, int prog_fd);
/* The program id of weft's filter there; -ENOENT when there is none (or no
 * clsact), -ENODEV when the device is gone. */
int tc_query(int ifindex, enum tc_dir dir, uint32_t *prog_id);
/* Remove weft's filter there; a missing filter, qdisc or device is fine. The
 * clsact qdisc stays: deleting it would pay a grace period on an up device,
 * and it goes with the veth. 0 or -errno. */
int tc_detach(int ifindex, enum tc_dir dir);

const char *tc_dir_name(enum tc_dir dir);

#endif
