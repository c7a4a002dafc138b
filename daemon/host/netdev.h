/* SPDX-License-Identifier: Apache-2.0 */
/* Link look-ups in weftd's own network namespace, over one libnl socket kept
 * open for the daemon's lifetime (no per-request socket setup). */
#ifndef WEFTD_NETDEV_H
#define WEFTD_NETDEV_H

#include <stdbool.h>
#include <stdint.h>

struct netdev;

int netdev_open(struct netdev **out);
void netdev_close(struct netdev *nd);
/* ifindex and MAC of @name; -ENODEV when there is no such link. */
int netdev_lookup(struct netdev *nd, const char *name, int *ifindex, uint8_t mac[6]);
/* True when a link with @name exists and has @ifindex. */
int netdev_exists(struct netdev *nd, const char *name, int ifindex);
/* Delete @name; a missing link is fine. 0 or -errno. */
int netdev_delete(struct netdev *nd, const char *name);
/* Delete link @ifindex; a missing link is fine. 0 or -errno. */
int netdev_delete_index(struct netdev *nd, int ifindex);
/* Delete every link named @prefix_a or @prefix_b followed by digits only;
 * the number deleted or -errno. */
int netdev_delete_numbered(struct netdev *nd, const char *prefix_a, const char *prefix_b);
/* MTU of the device that carries the IPv4 default route, or -ENOENT. */
int netdev_default_route_mtu(struct netdev *nd);

/* MTU of the device that holds the local IPv4 address @addr (network order),
 * -EADDRNOTAVAIL when no device here has it. */
int netdev_addr_mtu(struct netdev *nd, uint32_t addr);

struct netdev_vxlan {
	const char *name;
	uint16_t port;	/* UDP destination port */
	uint32_t local; /* underlay source address, IPv4 network order */
	int mtu;
};

/*
 * The external-mode (collect_md) VXLAN device @v, up and NOARP, learning off.
 * An existing device of that name is kept when it already matches (a weftd
 * restart leaves the overlay running), its MTU adjusted; one that differs is
 * deleted and made again. *@ifindex is the device's, *@created tells whether
 * it is new. 0 or -errno.
 */
int netdev_vxlan_ensure(struct netdev *nd, const struct netdev_vxlan *v, int *ifindex,
			bool *created);

/* weftd's routes carry this protocol number, so they are told from others. */
#define NETDEV_RTPROT_WEFT 87

/* "@dst/@len dev @ifindex src @src proto weft" in the main table, replacing
 * any route to that prefix. Addresses IPv4, network order. */
int netdev_route_replace(struct netdev *nd, uint32_t dst, int len, int ifindex, uint32_t src);
/* Delete weft's route to @dst/@len through @ifindex; a missing one is fine. */
int netdev_route_delete(struct netdev *nd, uint32_t dst, int len, int ifindex);
/* Call @fn for every IPv4 route of weft's through @ifindex (dst, len). */
int netdev_route_foreach(struct netdev *nd, int ifindex,
			 void (*fn)(void *ctx, uint32_t dst, int len), void *ctx);

#endif
