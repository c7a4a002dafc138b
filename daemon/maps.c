// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "maps.h"

const char *const maps_shared[] = {
	MAP_ENDPOINTS, MAP_METRICS, MAP_POLICY_PROGS, MAP_IPCACHE, MAP_OVERLAY_CONFIG,
};
const size_t maps_nr_shared = sizeof(maps_shared) / sizeof(maps_shared[0]);

int maps_set_pins(struct bpf_object *obj, const char *bpffs, const char **failed)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	for (size_t i = 0; i < maps_nr_shared; i++) {
		*failed = maps_shared[i];
		map = bpf_object__find_map_by_name(obj, maps_shared[i]);
		if (!map)
			return -ENOENT;
		snprintf(path, sizeof(path), "%s/%s", bpffs, maps_shared[i]);
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

void maps_init(struct maps *m, const char *bpffs)
{
	snprintf(m->bpffs, sizeof(m->bpffs), "%s", bpffs);
	m->endpoints_fd = -1;
	m->metrics_fd = -1;
}

void maps_close(struct maps *m)
{
	if (m->endpoints_fd >= 0)
		close(m->endpoints_fd);
	if (m->metrics_fd >= 0)
		close(m->metrics_fd);
	m->endpoints_fd = m->metrics_fd = -1;
}

void maps_pin_path(const struct maps *m, const char *name, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/%s", m->bpffs, name);
}

static int map_fd(struct maps *m, const char *name, int *cached)
{
	char path[PATH_MAX];
	int fd;

	if (*cached >= 0)
		return *cached;
	maps_pin_path(m, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	*cached = fd;
	return fd;
}

int maps_endpoint_put(struct maps *m, const struct weft_ip_key *key,
		      const struct weft_endpoint_info *info)
{
	int fd = map_fd(m, MAP_ENDPOINTS, &m->endpoints_fd);

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, key, info, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int maps_endpoint_delete(struct maps *m, const struct weft_ip_key *key, uint32_t endpoint_id)
{
	struct weft_endpoint_info info;
	int fd = map_fd(m, MAP_ENDPOINTS, &m->endpoints_fd);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, key, &info) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (info.endpoint_id != endpoint_id)
		return 0;
	if (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int maps_metrics_foreach(struct maps *m, maps_metrics_fn fn, void *ctx)
{
	struct weft_metrics_value *vals;
	int fd, ncpus, err = 0;

	fd = map_fd(m, MAP_METRICS, &m->metrics_fd);
	if (fd < 0)
		return fd;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0)
		return ncpus;
	/* Per-CPU values come back as one 8-byte aligned slot per possible CPU;
	 * the struct is 16 bytes so its array already has that layout. */
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 idx = 0; idx < WEFT_METRICS_ENTRIES; idx++) {
		uint64_t packets = 0, bytes = 0;
		int reason = (int)(idx % WEFT_REASON_MAX);

		if (bpf_map_lookup_elem(fd, &idx, vals) < 0) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpus; c++) {
			packets += vals[c].packets;
			bytes += vals[c].bytes;
		}
		if (!packets && !bytes)
			continue;
		/* The index holds |reason|; drops are the codes <= WEFT_DROP_MIN. */
		if (reason >= -WEFT_DROP_MIN)
			reason = -reason;
		fn((int)(idx / WEFT_REASON_MAX), reason, packets, bytes, ctx);
	}
	free(vals);
	return err;
}
