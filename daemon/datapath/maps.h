/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's handles on the maps every per-pod program shares, pinned under the
 * bpffs root: weft_endpoints, weft_metrics, weft_policy_progs, weft_ipcache and
 * weft_overlay_config (both BPF objects use them), each with a
 * layout version (bpf/datapath.h). Layout 1 is pinned under the bare name,
 * layout N > 1 as "<name>_v<N>" (bpffs reserves dots), so an upgrade that changes a layout builds
 * the new map next to the old one. The first endpoint load creates and pins them (libbpf), later
 * loads reuse them; weftd opens the pins lazily and keeps the fds until the layout changes.
 */
#ifndef WEFTD_MAPS_H
#define WEFTD_MAPS_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>

#include "bpf/datapath.h"
#include "daemon/config.h"

/* weftd's row of each shared map (WEFT_SHARED_MAPS), indexed by enum weft_map. */
struct maps_def {
	const char *name;
	uint32_t type; /* enum bpf_map_type */
	uint32_t key_size;
	uint32_t value_size; /* of this build's layout */
	uint32_t max_entries;
	uint32_t flags;
	uint32_t layout; /* this build's layout version */
};

extern const struct maps_def maps_defs[WEFT_MAP_NR];

/* A layout per shared map, as the BPF object declares them (weft_map_layout). */
struct maps_layout {
	uint32_t v[WEFT_MAP_NR];
};

struct maps {
	char bpffs[WEFTD_DIR_MAX];
	struct maps_layout layout; /* of the maps the running programs use */
	int fds[WEFT_MAP_NR];	       /* opened on first use (maps_fd), -1 until then */
	uint32_t endpoints_value_size; /* of the pinned map, >= our struct or not */
};

struct bpf_object;

/* Point every shared map of @obj at its pin under @bpffs for @layout: libbpf
 * reuses the pinned map when there is one, else creates and pins it at load.
 * -ENOENT when @obj lacks one; *@failed names the map on any error. */
int maps_set_pins(struct bpf_object *obj, const char *bpffs, const struct maps_layout *layout,
		  const char **failed);

void maps_init(struct maps *m, const char *bpffs);
void maps_close(struct maps *m);
/* Switch to the pins of @layout (after an upgrade); cached fds are dropped. */
void maps_set_layout(struct maps *m, const struct maps_layout *layout);
/* Pin path of shared map @which at layout @version. */
void maps_pin_path_v(const char *bpffs, enum weft_map which, uint32_t version, char *buf,
		     size_t sz);
/* Pin path of shared map @which at the current layout. */
void maps_pin_path(const struct maps *m, enum weft_map which, char *buf, size_t sz);

/* The shared map @which at the current layout, opened from its pin on first
 * use and kept until the layout changes. -ENOENT before the first load has
 * pinned it. The fd stays the cache's: do not close it. */
int maps_fd(struct maps *m, enum weft_map which);

/*
 * Why an update of map @name (@fd, -1 when not at hand) failed with @err
 * (-errno), for an error reply: "map weft_endpoints full (65536 entries)"
 * for E2BIG and ENOSPC (a full hash map, a full LPM trie), the memory limit
 * for EPERM and ENOMEM (RLIMIT_MEMLOCK on kernels that still charge it, the
 * memory cgroup otherwise), else "map NAME: strerror". Returns @buf.
 */
const char *maps_update_strerror(int fd, const char *name, int err, char *buf, size_t sz);

/* E2BIG for a map that is full, whatever errno said it (ENOSPC would read
 * as an exhausted address pool to the plugin); @err (-errno) otherwise. */
int maps_update_errno(int err);

int maps_endpoint_put(struct maps *m, const struct weft_ip_key *key,
		      const struct weft_endpoint_info *info);
/* Removes @key only while it still belongs to @endpoint_id, so a stale delete
 * never takes out a newer endpoint's entry. Missing is fine. */
int maps_endpoint_delete(struct maps *m, const struct weft_ip_key *key, uint32_t endpoint_id);
/* Set the identity of @key's entry while it belongs to @endpoint_id. */
int maps_endpoint_set_identity(struct maps *m, const struct weft_ip_key *key,
			       uint32_t endpoint_id, uint32_t identity);
/* Calls @fn for every weft_endpoints entry (key, endpoint id); @fn may delete
 * the entry it is given. -ENOENT when the map is not pinned yet. */
typedef void (*maps_endpoint_fn)(const struct weft_ip_key *key, uint32_t endpoint_id, void *ctx);
int maps_endpoint_foreach(struct maps *m, maps_endpoint_fn fn, void *ctx);

/* For `status`: {"<map>": {"entries", "maxEntries"}} of every pinned
 * shared map (entries for the hash-like ones: arrays have every slot). */
json_t *maps_usage_json(struct maps *m);

/* Calls @fn for every non-zero metrics row, summed over CPUs. -ENOENT when no
 * endpoint was ever loaded (the map is not pinned yet). */
/* Every entry of weft_ipcache as the kernel holds it (an LPM trie: one
 * get-next-key and one lookup per entry). A non-zero return from @fn stops
 * the walk and is returned; -ENOENT when the map is not pinned yet. */
typedef int (*maps_ipcache_fn)(void *ctx, const struct weft_ipcache_key *key,
			       const struct weft_ipcache_value *val);
int maps_ipcache_foreach(struct maps *m, maps_ipcache_fn fn, void *ctx);
/* The same walk over an ipcache map's @fd (the overlay's own). */
int maps_ipcache_walk(int fd, maps_ipcache_fn fn, void *ctx);

typedef void (*maps_metrics_fn)(int dir, int reason, uint64_t packets, uint64_t bytes, void *ctx);
int maps_metrics_foreach(struct maps *m, maps_metrics_fn fn, void *ctx);

#endif
