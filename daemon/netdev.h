/* SPDX-License-Identifier: Apache-2.0 */
/* Link look-ups in weftd's own network namespace, over one libnl socket kept
 * open for the daemon's lifetime (no per-request socket setup). */
#ifndef WEFTD_NETDEV_H
#define WEFTD_NETDEV_H

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
/* A veth pair @name/@peer_name, both down, here; *ifindex is @name's. */
int netdev_veth_create(struct netdev *nd, const char *name, const char *peer_name, int mtu,
		       int *ifindex);
/* Rename the (down) link @ifindex to @name. 0 or -errno. */
int netdev_rename(struct netdev *nd, int ifindex, const char *name);
/* Delete link @ifindex; a missing link is fine. 0 or -errno. */
int netdev_delete_index(struct netdev *nd, int ifindex);
/* Delete every link named @prefix_a or @prefix_b followed by digits only;
 * the number deleted or -errno. */
int netdev_delete_numbered(struct netdev *nd, const char *prefix_a, const char *prefix_b);
/* MTU of the device that carries the IPv4 default route, or -ENOENT. */
int netdev_default_route_mtu(struct netdev *nd);

#endif
