/* SPDX-License-Identifier: Apache-2.0 */
/* Which MTU the pods get. */
#ifndef WEFTD_MTU_H
#define WEFTD_MTU_H

#include "daemon/cluster/cluster.h"

struct netdev;

/*
 * The pod MTU: the node network's, less the VXLAN overhead when there is an
 * overlay (@node_ip not NULL). The node network's is @node_mtu (--mtu) when
 * set, else that of the device holding @node_ip, else that of the default
 * route's device, else WEFTD_DEFAULT_MTU: a node without either still runs.
 */
int pod_mtu(struct netdev *nd, int node_mtu, const struct weft_addr *node_ip);

#endif
