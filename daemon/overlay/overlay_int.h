/* SPDX-License-Identifier: Apache-2.0 */
/* The overlay's state, shared by overlay.c and overlay_repair.c. */
#ifndef WEFTD_OVERLAY_INT_H
#define WEFTD_OVERLAY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/overlay/overlay.h"

struct ipcache;
struct weft_prefix;

struct overlay {
	struct overlay_params p;
	char node_name[256];
	struct netdev *nd;
	struct cluster *cl;
	int ifindex;
	int ipcache_fd;
	struct ipcache *ic;
	struct identities *ids;
	/* The pod ranges the SNAT table excludes now, sorted. */
	struct weft_prefix *snat_cidrs;
	size_t nr_snat_cidrs;
	/* A node event changed the set of ranges: overlay_flush() rewrites the
	 * table once per batch of events, not once per node (5,000 nodes
	 * replayed at start would sort 5,000 ranges 5,000 times). */
	bool snat_dirty;
	/* Pod events write their ipcache entries at the end of the model's
	 * batch (on_batch_end), in one call for a page of the initial sync;
	 * the first pod's name and the count are for a failure's message. */
	char batch_pod[600];
	unsigned int batch_pods;
	/* What overlay_repair() put back: the device, the programs alone. */
	unsigned long long repairs_vxlan;
	unsigned long long repairs_programs;
	/* The last repair failed: its warning is not repeated every tick. */
	bool repair_failed;
};

/* The route to every remote node's pod range again (the kernel dropped them
 * with a deleted device), and the SNAT table rewritten on the next flush. */
void overlay_routes_again(struct overlay *ov);

/*
 * Put back what someone else removed (overlay_repair.c), on every tick: the
 * VXLAN device (deleted: made again with the same settings, its programs,
 * weft_overlay_config and the routes with it) and the programs' tcx links
 * (detached). Logs what it repaired; counts it in repairs_*.
 */
void overlay_repair(struct overlay *ov);

#endif
