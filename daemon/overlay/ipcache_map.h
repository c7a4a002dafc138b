/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The overlay's kernel side: the pinned weft_ipcache the ipcache (ipcache.c)
 * writes through, and weft_overlay_config. Both at the pin of the layout
 * weftd runs (a live upgrade may move them: overlay_upgrade_reopen()).
 */
#ifndef WEFTD_OVERLAY_IPCACHE_MAP_H
#define WEFTD_OVERLAY_IPCACHE_MAP_H

#include "daemon/datapath/maps.h"
#include "daemon/overlay/ipcache.h"

/* (Re)open weft_ipcache at @layout's pin under @bpffs into *@fd (an open
 * one is closed once the new one is in). 0 or -errno (logged). */
int ipcache_map_open(const char *bpffs, const struct maps_layout *layout, int *fd);
/* The ops that write the ipcache's changes to the map whose fd *@fd holds
 * (read at each call, so a reopen needs no new ops). */
void ipcache_map_ops(int *fd, struct ipcache_ops *ops);
/* Take what a previous weftd left in the map into @ic (ipcache_adopt()): a
 * kept device keeps working while the model replays. 0 or -errno. */
int ipcache_map_adopt(int fd, struct ipcache *ic);
/* weft_overlay_config's one entry: the VXLAN device's ifindex. 0 or -errno
 * (logged). */
int overlay_config_write(const char *bpffs, const struct maps_layout *layout, int ifindex);

#endif
