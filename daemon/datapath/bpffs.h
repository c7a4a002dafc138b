/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFTD_BPFFS_H
#define WEFTD_BPFFS_H

#include <limits.h>
#include <stdbool.h>

/* What bpffs_prepare() mounted, so a start that never serves can undo it. */
struct bpffs_mount {
	char path[PATH_MAX]; /* empty: weftd mounted nothing */
};

/* True when @path is on a bpf filesystem. */
bool bpffs_is_bpffs(const char *path);
/*
 * Make @root usable as the pin root, checking before any mount:
 *  - @root is on bpffs already: nothing to do;
 *  - its parent is on bpffs (e.g. /sys/fs/bpf/weft on a node that mounted
 *    /sys/fs/bpf): mkdir @root;
 *  - its parent is a sysfs directory that is not mounted (/sys/fs/bpf on a
 *    node without systemd's mount): mount the node's bpffs on the parent, as
 *    systemd would, then mkdir @root;
 *  - otherwise (a private root, as the tests use): mkdir -p @root and mount a
 *    bpffs on @root itself.
 * @m records a mount made here. 0 or -errno; on error nothing stays mounted.
 */
int bpffs_prepare(const char *root, struct bpffs_mount *m);
/* Undo the mount bpffs_prepare() made, if any (and every pin under it). */
void bpffs_unmount(struct bpffs_mount *m);

#endif
