// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "daemon/datapath/bpffs.h"
#include "daemon/endpoint/state.h"
#include "log.h"

static bool is_fs(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == magic;
}

bool bpffs_is_bpffs(const char *path)
{
	return is_fs(path, BPF_FS_MAGIC);
}

/* mode=0700 as systemd mounts /sys/fs/bpf: pins are root's alone. */
static int mount_bpffs(const char *dir, struct bpffs_mount *m)
{
	if (mount("bpf", dir, "bpf", 0, "mode=0700") < 0) {
		int err = -errno;

		pr_warn("bpffs: cannot mount a bpf filesystem on %s: %s", dir, strerror(-err));
		return err;
	}
	pr_info("bpffs: mounted a bpf filesystem on %s", dir);
	snprintf(m->path, sizeof(m->path), "%s", dir);
	return 0;
}

int bpffs_prepare(const char *root, struct bpffs_mount *m)
{
	char parent[PATH_MAX];
	int err;

	m->path[0] = '\0';
	if (bpffs_is_bpffs(root))
		return 0;
	snprintf(parent, sizeof(parent), "%s", root);
	dirname(parent);
	/* Nothing can be created on sysfs, so a root under an unmounted
	 * /sys/fs/bpf can only work with the node's bpffs mounted there; sysfs
	 * keeps no files in that directory, so the mount hides nothing. */
	if (!bpffs_is_bpffs(parent) && is_fs(parent, SYSFS_MAGIC)) {
		err = mount_bpffs(parent, m);
		if (err)
			return err;
	}
	if (bpffs_is_bpffs(parent)) {
		if (mkdir(root, 0700) < 0 && errno != EEXIST) {
			err = -errno;
			pr_warn("bpffs: cannot create %s: %s", root, strerror(-err));
			bpffs_unmount(m);
			return err;
		}
		return 0;
	}
	err = state_mkdir_p(root, 0700);
	if (err) {
		pr_warn("bpffs: cannot create %s: %s", root, strerror(-err));
		return err;
	}
	return mount_bpffs(root, m);
}

void bpffs_unmount(struct bpffs_mount *m)
{
	if (!m->path[0])
		return;
	if (umount2(m->path, MNT_DETACH) < 0)
		pr_warn("bpffs: cannot unmount the bpffs mounted on %s: %s", m->path,
			strerror(errno));
	else
		pr_info("bpffs: unmounted %s", m->path);
	m->path[0] = '\0';
}
