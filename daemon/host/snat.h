/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod -> outside the cluster: masquerade to the node's address, done by the
 * kernel's nftables NAT (conntrack keeps the mapping and un-NATs replies).
 * weftd owns one table, `ip weft`, in its network namespace:
 *
 *   set cluster_pod_cidrs   every node's pod range (interval set)
 *   chain postrouting       nat postrouting (srcnat):
 *     ip saddr <this node's pod range> ip daddr != @cluster_pod_cidrs masquerade
 *
 * The table is replaced whole in one `nft -f -` transaction (add, delete and
 * re-create: atomic, and a no-op for connections already NATed, whose
 * mappings live in conntrack). Only packets the host stack routes reach it:
 * pod -> pod and pod -> remote node traffic goes through BPF and the tunnel.
 */
#ifndef WEFTD_SNAT_H
#define WEFTD_SNAT_H

#include "addr.h"

#define SNAT_TABLE "weft"

/* Install or replace the table: masquerade traffic from @local leaving for
 * anything outside @cidrs (sorted; IPv4 prefixes, others are skipped). 0 or -errno
 * (-ENOENT when nft is not installed); nft's own message goes to stderr. */
int snat_apply(const struct weft_prefix *local, const struct weft_prefix *cidrs, size_t n);

#endif
