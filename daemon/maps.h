/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's handles on the maps every per-pod program shares, pinned at
 * <bpffs>/weft_<name> (maps_shared below). The first load of a BPF object
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
/* LPM trie of remote pod ranges, node and pod addresses (overlay.c fills it). */
#define MAP_IPCACHE "weft_ipcache"
/* One entry: the VXLAN device's ifindex (overlay.c). */
#define MAP_OVERLAY_CONFIG "weft_overlay_config"

/* Every map the BPF objects share by pin path, in one list for the loaders. */
extern const char *const maps_shared[];
extern const size_t maps_nr_shared;

struct maps {
	char bpffs[WEFTD_DIR_MAX];
	int endpoints_fd;
	int metrics_fd;
};

struct bpf_object;

/* Point every shared map of @obj at its pin under @bpffs: libbpf reuses the
 * pinned map when there is one, else creates and pins it at load. -ENOENT
 * when @obj lacks one; *@failed names the map on any error. */
int maps_set_pins(struct bpf_object *obj, const char *bpffs, const char **failed);

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
