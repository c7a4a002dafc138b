/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What --metrics-addr serves: /metrics (Prometheus text), /healthz (weftd's
 * loop answers) and /readyz (the cluster source has listed every kind and the
 * programs on disk are the ones that run; 503 with the reason otherwise).
 */
#ifndef WEFTD_METRICS_ENDPOINTS_H
#define WEFTD_METRICS_ENDPOINTS_H

#include "daemon/weftd.h"

/* Listen on d->cfg.metrics_addr into d->metrics. 0 or -errno (logged). */
int metrics_open(struct weftd *d);
/* From the loop: the fd is readable. */
void metrics_run(void *weftd);
/* From the loop's tick: close connections past their deadline. */
void metrics_tick(struct weftd *d);
void metrics_close(struct weftd *d);

#endif
