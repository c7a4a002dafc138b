// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "daemon/datapath/maps.h"

#define MAPS_DEF(id, name_, type_, key, value, entries, flags_, layout_, inner)                         \
	[WEFT_MAP_##id] = {                                                                        \
		.name = #name_,                                                                    \
		.type = type_,                                                                     \
		.key_size = sizeof(key),                                                           \
		.value_size = sizeof(value),                                                       \
		.max_entries = entries,                                                            \
		.flags = flags_,                                                                   \
		.layout = layout_,                                                                 \
	},

const struct maps_def maps_defs[WEFT_MAP_NR] = {WEFT_SHARED_MAPS(MAPS_DEF)};

int maps_set_pins(struct bpf_object *obj, const char *bpffs, const struct maps_layout *layout,
		  const char **failed)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	for (int i = 0; i < WEFT_MAP_NR; i++) {
		*failed = maps_defs[i].name;
		map = bpf_object__find_map_by_name(obj, maps_defs[i].name);
		if (!map)
			return -ENOENT;
		maps_pin_path_v(bpffs, i, layout->v[i], path, sizeof(path));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

void maps_init(struct maps *m, const char *bpffs)
{
	snprintf(m->bpffs, sizeof(m->bpffs), "%s", bpffs);
	for (int i = 0; i < WEFT_MAP_NR; i++) {
		m->layout.v[i] = 1;
		m->fds[i] = -1;
	}
}

void maps_set_layout(struct maps *m, const struct maps_layout *layout)
{
	maps_close(m);
	m->layout = *layout;
}

void maps_close(struct maps *m)
{
	for (int i = 0; i < WEFT_MAP_NR; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
}

void maps_pin_path_v(const char *bpffs, enum weft_map which, uint32_t version, char *buf, size_t sz)
{
	if (version <= 1)
		snprintf(buf, sz, "%s/%s", bpffs, maps_defs[which].name);
	else
		snprintf(buf, sz, "%s/%s_v%u", bpffs, maps_defs[which].name, version);
}

void maps_pin_path(const struct maps *m, enum weft_map which, char *buf, size_t sz)
{
	maps_pin_path_v(m->bpffs, which, m->layout.v[which], buf, sz);
}

int maps_fd(struct maps *m, enum weft_map which)
{
	int *cached = &m->fds[which];
	struct bpf_map_info info = {0};
	char path[PATH_MAX];
	__u32 len = sizeof(info);
	int fd, err;

	if (*cached >= 0)
		return *cached;
	maps_pin_path(m, which, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (which == WEFT_MAP_ENDPOINTS) {
		if (bpf_map_get_info_by_fd(fd, &info, &len) < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		m->endpoints_value_size = info.value_size;
	}
	*cached = fd;
	return fd;
}

const char *maps_update_strerror(int fd, const char *name, int err, char *buf, size_t sz)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	switch (-err) {
	case E2BIG:
	case ENOSPC:
		if (fd >= 0 && !bpf_map_get_info_by_fd(fd, &info, &len))
			snprintf(buf, sz, "map %s full (%u entries)", name, info.max_entries);
		else
			snprintf(buf, sz, "map %s full", name);
		break;
	case EPERM:
	case ENOMEM:
		snprintf(buf, sz,
			 "map %s: %s (the locked-memory limit, RLIMIT_MEMLOCK, or the memory "
			 "cgroup's limit reached?)",
			 name, strerror(-err));
		break;
	default:
		snprintf(buf, sz, "map %s: %s", name, strerror(-err));
	}
	return buf;
}

int maps_update_errno(int err)
{
	return err == -ENOSPC ? -E2BIG : err;
}

/* Another layout's value may be longer than ours (it only grows at the end):
 * values go through a buffer of the map's own size, zero past our struct. */
#define EP_VALUE_MAX 256

int maps_endpoint_put(struct maps *m, const struct weft_ip_key *key,
		      const struct weft_endpoint_info *info)
{
	int fd = maps_fd(m, WEFT_MAP_ENDPOINTS);
	uint8_t buf[EP_VALUE_MAX] = {0};

	if (fd < 0)
		return fd;
	if (m->endpoints_value_size > sizeof(buf) || m->endpoints_value_size < sizeof(*info))
		return -EPROTO;
	memcpy(buf, info, sizeof(*info));
	if (bpf_map_update_elem(fd, key, buf, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int maps_endpoint_delete(struct maps *m, const struct weft_ip_key *key, uint32_t endpoint_id)
{
	int fd = maps_fd(m, WEFT_MAP_ENDPOINTS);
	uint8_t buf[EP_VALUE_MAX];
	struct weft_endpoint_info info;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (m->endpoints_value_size > sizeof(buf) || m->endpoints_value_size < sizeof(info))
		return -EPROTO;
	if (bpf_map_lookup_elem(fd, key, buf) < 0)
		return errno == ENOENT ? 0 : -errno;
	memcpy(&info, buf, sizeof(info));
	if (info.endpoint_id != endpoint_id)
		return 0;
	if (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int maps_endpoint_set_identity(struct maps *m, const struct weft_ip_key *key,
			       uint32_t endpoint_id, uint32_t identity)
{
	int fd = maps_fd(m, WEFT_MAP_ENDPOINTS);
	uint8_t buf[EP_VALUE_MAX];
	struct weft_endpoint_info info;

	if (fd < 0)
		return fd;
	if (m->endpoints_value_size > sizeof(buf) || m->endpoints_value_size < sizeof(info))
		return -EPROTO;
	if (bpf_map_lookup_elem(fd, key, buf) < 0)
		return -errno;
	memcpy(&info, buf, sizeof(info));
	if (info.endpoint_id != endpoint_id || info.identity == identity)
		return 0;
	info.identity = identity;
	memcpy(buf, &info, sizeof(info));
	/* BPF_EXIST: an entry deleted meanwhile is not brought back. */
	if (bpf_map_update_elem(fd, key, buf, BPF_EXIST) < 0)
		return -errno;
	return 0;
}

int maps_endpoint_foreach(struct maps *m, maps_endpoint_fn fn, void *ctx)
{
	int fd = maps_fd(m, WEFT_MAP_ENDPOINTS);
	struct weft_ip_key key, next;
	struct weft_endpoint_info info;
	uint8_t buf[EP_VALUE_MAX];
	void *prev = NULL;

	if (fd < 0)
		return fd;
	if (m->endpoints_value_size > sizeof(buf) || m->endpoints_value_size < sizeof(info))
		return -EPROTO;
	/* Fetch the next key before calling @fn, which may delete the entry. */
	if (bpf_map_get_next_key(fd, prev, &next) < 0)
		return errno == ENOENT ? 0 : -errno;
	for (;;) {
		key = next;
		bool more = !bpf_map_get_next_key(fd, &key, &next);

		if (!bpf_map_lookup_elem(fd, &key, buf)) {
			memcpy(&info, buf, sizeof(info));
			fn(&key, info.endpoint_id, ctx);
		}
		if (!more)
			return 0;
	}
}

int maps_ipcache_walk(int fd, maps_ipcache_fn fn, void *ctx)
{
	struct weft_ipcache_key key, next;
	struct weft_ipcache_value val;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		/* Gone between the two calls: the walk goes on from its key. */
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		err = fn(ctx, &key, &val);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

int maps_ipcache_foreach(struct maps *m, maps_ipcache_fn fn, void *ctx)
{
	int fd = maps_fd(m, WEFT_MAP_IPCACHE);

	return fd < 0 ? fd : maps_ipcache_walk(fd, fn, ctx);
}

int maps_metrics_foreach(struct maps *m, maps_metrics_fn fn, void *ctx)
{
	struct weft_metrics_value *vals;
	int fd, ncpus, err = 0;

	fd = maps_fd(m, WEFT_MAP_METRICS);
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

/* Entries of a hash-like map, counted by walking its keys. */
static long count_keys(int fd, uint32_t key_size)
{
	uint8_t key[64], next[64];
	void *prev = NULL;
	long n = 0;

	if (key_size > sizeof(key))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

json_t *maps_usage_json(struct maps *m)
{
	json_t *out = json_object();

	for (int i = 0; out && i < WEFT_MAP_NR; i++) {
		const struct maps_def *def = &maps_defs[i];
		int fd = maps_fd(m, i);
		json_t *row;
		long n = -1;

		if (fd < 0)
			continue;
		switch (def->type) {
		case BPF_MAP_TYPE_HASH:
		case BPF_MAP_TYPE_LRU_HASH:
		case BPF_MAP_TYPE_LPM_TRIE: n = count_keys(fd, def->key_size); break;
		default: break; /* arrays: every slot exists */
		}
		row = json_pack("{s:I}", "maxEntries", (json_int_t)def->max_entries);
		if (row && n >= 0)
			json_object_set_new(row, "entries", json_integer(n));
		json_object_set_new(out, def->name, row);
	}
	return out;
}
