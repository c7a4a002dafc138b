// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "daemon/overlay/ipcache_map.h"
#include "log.h"

static int map_update(void *ctx, const struct weft_ipcache_key *key,
		      const struct weft_ipcache_value *val)
{
	const int *fd = ctx;

	return bpf_map_update_elem(*fd, key, val, BPF_ANY) < 0 ? -errno : 0;
}

static int map_update_batch(void *ctx, const struct weft_ipcache_key *keys,
			    const struct weft_ipcache_value *vals, unsigned int *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	const int *fd = ctx;
	__u32 n = *count;
	int err;

	err = bpf_map_update_batch(*fd, keys, vals, &n, &opts) < 0 ? -errno : 0;
	*count = n;
	return err;
}

static int map_delete(void *ctx, const struct weft_ipcache_key *key)
{
	const int *fd = ctx;

	return bpf_map_delete_elem(*fd, key) < 0 ? -errno : 0;
}

void ipcache_map_ops(int *fd, struct ipcache_ops *ops)
{
	*ops = (struct ipcache_ops){.update = map_update,
				    .delete = map_delete,
				    .update_batch = map_update_batch,
				    .ctx = fd};
}

int ipcache_map_open(const char *bpffs, const struct maps_layout *layout, int *fd)
{
	char path[PATH_MAX];
	int nfd, err;

	maps_pin_path_v(bpffs, WEFT_MAP_IPCACHE, layout->v[WEFT_MAP_IPCACHE], path, sizeof(path));
	nfd = bpf_obj_get(path);
	if (nfd < 0) {
		err = -errno;
		pr_warn("overlay: cannot open %s: %s", path, strerror(-err));
		return err;
	}
	if (*fd >= 0)
		close(*fd);
	*fd = nfd;
	return 0;
}

static int adopt_one(void *ctx, const struct weft_ipcache_key *key,
		     const struct weft_ipcache_value *val)
{
	return ipcache_adopt(ctx, key, val);
}

int ipcache_map_adopt(int fd, struct ipcache *ic)
{
	int err = maps_ipcache_walk(fd, adopt_one, ic);

	if (err)
		pr_warn("ipcache: taking the entries of the previous weftd: %s", strerror(-err));
	return err;
}

int overlay_config_write(const char *bpffs, const struct maps_layout *layout, int ifindex)
{
	struct weft_overlay_config cfg = {.vxlan_ifindex = (uint32_t)ifindex};
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err = 0;

	maps_pin_path_v(bpffs, WEFT_MAP_OVERLAY_CONFIG, layout->v[WEFT_MAP_OVERLAY_CONFIG], path,
			sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_update_elem(fd, &key, &cfg, BPF_ANY) < 0) {
		err = -errno;
		pr_warn("overlay: cannot write %s: %s", path, strerror(-err));
	}
	if (fd >= 0)
		close(fd);
	return err;
}
