// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "daemon/datapath/bpffs.h"
#include "log.h"
#include "daemon/endpoint/state.h"

bool bpffs_is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

int bpffs_prepare(const char *root, bool *mounted)
{
	char parent[PATH_MAX];
	int err;

	*mounted = false;
	if (bpffs_is_bpffs(root))
		return 0;
	snprintf(parent, sizeof(parent), "%s", root);
	if (bpffs_is_bpffs(dirname(parent))) {
		if (mkdir(root, 0700) < 0 && errno != EEXIST) {
			err = -errno;
			pr_warn("bpffs: cannot create %s: %s", root, strerror(-err));
			return err;
		}
		return 0;
	}
	err = state_mkdir_p(root, 0700);
	if (err) {
		pr_warn("bpffs: cannot create %s: %s", root, strerror(-err));
		return err;
	}
	if (mount("bpf", root, "bpf", 0, "mode=0700") < 0) {
		err = -errno;
		pr_warn("bpffs: cannot mount bpffs on %s: %s", root, strerror(-err));
		return err;
	}
	pr_info("bpffs: mounted a bpf filesystem on %s", root);
	*mounted = true;
	return 0;
}
