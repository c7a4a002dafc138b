/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node's overlay, driven by the cluster model: the VXLAN device, its BPF
 * programs, weft_ipcache, the routes the host uses to reach remote pods, and
 * the SNAT table. Built only with --cluster-file (without cluster state
 * there are no other nodes).
 *
 * From each cluster event (an observer of the model):
 *   remote node    pod range -> tunnel to its InternalIP; its IP -> identity
 *                  remote-node, tunnelled; route "range dev weft_vxlan src
 *                  <node IP>" for the host's own packets
 *   this node      its IP -> identity host, not tunnelled
 *   pod            each IP -> its identity; tunnelled to its node unless it
 *                  runs here
 * Only the prefixes an event touches are rewritten, and only when their
 * value changes (ipcache.c): unrelated endpoints never see a write.
 */
#ifndef WEFTD_OVERLAY_H
#define WEFTD_OVERLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/cluster/cluster.h"

struct bpf_object;
struct maps_layout;

struct netdev;
struct identities;

#define OVERLAY_DEVICE	     "weft_vxlan"
#define OVERLAY_DEFAULT_PORT 4789 /* IANA VXLAN */
/* Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
#define OVERLAY_IPV4_OVERHEAD 50

struct overlay_params {
	const char *node_name;
	struct weft_addr node_ip;    /* IPv4: the tunnel endpoint and source */
	struct weft_prefix pod_cidr; /* this node's */
	uint16_t port;
	int mtu; /* the device's, = the pod MTU */
	const char *bpf_dir;
	const char *bpffs;
	/* The running shared maps' layouts (weftd's, updated by an upgrade):
	 * which pins the overlay's programs and map writes use. */
	const struct maps_layout *layout;
	/* The start-up upgrade failed: the programs running on the device
	 * (the old build, on the old layout's maps) stay; loading the refused
	 * build's overlay object would mix builds or layouts. */
	bool keep_programs;
	/* The node's pod identities, shared with the policy engine (which
	 * owns them): the ipcache values use the same numbers. */
	struct identities *ids;
};

struct overlay;

/* Device, programs, then the model's current state (and every later change)
 * into the ipcache, routes and SNAT. 0 or -errno (logged); nothing of the
 * model is kept on failure, the device and pins are (they serve the pods). */
int overlay_open(struct overlay **out, const struct overlay_params *p, struct netdev *nd,
		 struct cluster *cl);
/* Frees weftd's side only: device, routes, programs and the SNAT table stay
 * so traffic flows while weftd is down, like the endpoints' pins. The
 * cluster must be freed first (it holds the observer). */
void overlay_close(struct overlay *ov);
/* Live upgrade (upgrade.c), after every endpoint runs the new programs and
 * with the new layout in *p.layout: @obj's programs (overlay_prog_load)
 * swapped into the overlay links, the maps reopened. 0 or -errno (logged). */
int overlay_upgrade(struct overlay *ov, struct bpf_object *obj);
/* Reopen the shared maps at *p.layout (an upgrade rolled back). */
int overlay_upgrade_reopen(struct overlay *ov);
/* From the 1 s tick: retry ipcache writes that failed. */
void overlay_tick(struct overlay *ov);
/* After a batch of cluster changes: what is done once per batch (the SNAT
 * table when the set of pod ranges changed). */
void overlay_flush(struct overlay *ov);
/* For `status`: device, ifindex, port, node IP, node count, ipcache size. */
json_t *overlay_status(const struct overlay *ov);

#endif
