/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's start with a cluster source (--cluster-file, --kubeconfig or
 * in-cluster): the cluster model and its source, then this node's own Node
 * object, which must be there before anything else (its InternalIP for the
 * overlay, its spec.podCIDR unless --pod-cidr).
 */
#ifndef WEFTD_CLUSTER_WAIT_H
#define WEFTD_CLUSTER_WAIT_H

#include "daemon/cluster/cluster.h"
#include "daemon/weftd.h"

/*
 * Open d->cluster and d->source from d->cfg, then wait until the source
 * has given this node's Node with an IPv4 InternalIP (and spec.podCIDR without
 * --pod-cidr), as a kubelet-started node waits for its podCIDR instead of
 * failing and being restarted in a loop. Fills *@cidr and *@ip, and
 * d->cfg.pod_cidr when it came from the Node. 0, -EINTR when @sigfd became
 * readable (a SIGTERM ends the wait), or -errno (logged). What was opened
 * stays in @d for the caller to close, on failure too.
 */
int cluster_wait_open(struct weftd *d, int sigfd, struct weft_prefix *cidr, struct weft_addr *ip);

#endif
