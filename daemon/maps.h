/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's handles on the maps every per-pod program shares, pinned at
 * <bpffs>/weft_endpoints, <bpffs>/weft_metrics and <bpffs>/weft_policy_progs. The first endpoint load
 * creates and pins them (libbpf), later loads reuse them; weftd opens the pins
 * lazily and keeps the fds.
 */
#ifndef WEFTD_MAPS_H
#define WEFTD_MAPS_H

#include <limits.h>
#include <stdint.h>

#include "bpf/datapath.h"
#include "config.h"

#define MAP_ENDPOINTS "weft_endpoints"
#define MAP_METRICS "weft_metrics"
/* Prog array of each endpoint's weft_to_pod_local; the loader fills it. */
#define MAP_POLICY_PROGS "weft_policy_progs"

struct maps {
	char bpffs[WEFTD_DIR_MAX];
	int endpoints_fd;
	int metrics_fd;
};

void maps_init(struct maps *m, const char *bpffs);
void maps_close(struct maps *m);
/* Path of a shared map's pin. */
void maps_pin_path(const struct maps *m, const char *name, char *buf, size_t sz);

int maps_endpoint_put(struct maps *m, const struct weft_ip_key *key,
		      const struct weft_endpoint_info *info);
/* Removes @key only while it still belongs to @endpoint_id, so a stale delete
 * never takes out a newer endpoint's entry. Missing is fine. */
int maps_endpoint_delete(struct maps *m, const struct weft_ip_key *key, uint32_t endpoint_id);

/* Calls @fn for every non-zero metrics row, summed over CPUs. -ENOENT when no
 * endpoint was ever loaded (the map is not pinned yet). */
typedef void (*maps_metrics_fn)(int dir, int reason, uint64_t packets, uint64_t bytes,
				void *ctx);
int maps_metrics_foreach(struct maps *m, maps_metrics_fn fn, void *ctx);

#endif
