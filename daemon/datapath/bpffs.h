/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFTD_BPFFS_H
#define WEFTD_BPFFS_H

#include <stdbool.h>

/* True when @path is on a bpf filesystem. */
bool bpffs_is_bpffs(const char *path);
/*
 * Make @root usable as the pin root: fine if it already is on bpffs; a plain
 * mkdir if its parent is (e.g. /sys/fs/bpf/weft); otherwise mkdir -p and mount
 * a private bpffs there (*@mounted true then). 0 or -errno.
 */
int bpffs_prepare(const char *root, bool *mounted);

#endif
