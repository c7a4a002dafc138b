/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's state as Prometheus text (exposition format 0.0.4): what the
 * datapath counted, how full every map is, the policy engine, conntrack, the
 * API requests and upgrades, and the cluster source. Counts only: never an
 * address, a port or anything of a pod's traffic beyond the verdict counters.
 */
#ifndef WEFTD_METRICS_PROMETHEUS_H
#define WEFTD_METRICS_PROMETHEUS_H

#include <stdio.h>

#include "daemon/weftd.h"

/* Write every metric to @out. 0 or -errno. */
int prometheus_write(struct weftd *d, FILE *out);

#endif
