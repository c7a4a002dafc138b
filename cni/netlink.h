// SPDX-License-Identifier: Apache-2.0
/*
 * The few rtnetlink operations the plugin needs, on libnl-route-3. Every
 * function works in the namespace its socket was created in, so the pod side
 * is handled through a second socket opened inside the pod namespace.
 * All return 0 or -errno (a missing link is -ENODEV).
 */
#ifndef WEFT_CNI_NETLINK_H
#define WEFT_CNI_NETLINK_H

#include <net/if.h>

#include "addr.h"
#include "nlh.h"

struct nl_sock;

struct nlh_link {
	int ifindex;
	unsigned int flags; /* IFF_* */
	int mtu;
	char mac[32]; /* "aa:bb:cc:dd:ee:ff" */
};

/* A route socket in the current namespace. */
int nlh_open(struct nl_sock **sk);
/* A route socket bound to the namespace @nsfd; the caller's namespace is kept. */
int nlh_open_in_netns(int nsfd, struct nl_sock **sk);
void nlh_close(struct nl_sock *sk);

int nlh_link_get(struct nl_sock *sk, const char *name, struct nlh_link *out);
int nlh_link_get_index(struct nl_sock *sk, int ifindex, char name[IFNAMSIZ]);
int nlh_link_up(struct nl_sock *sk, int ifindex);
/* Call @cb for every link; a non-zero return from @cb stops the walk and is returned. */
int nlh_link_foreach(struct nl_sock *sk, int (*cb)(const char *name, int ifindex, void *arg),
		     void *arg);

/* @a->len is the prefix length to install. */
int nlh_addr_add(struct nl_sock *sk, int ifindex, const struct weft_prefix *a);
/* 1 when @a is on @ifindex (any prefix length), 0 when not. */
int nlh_addr_present(struct nl_sock *sk, int ifindex, const struct weft_addr *a);

/* Main table route to @dst out of @ifindex, via @gw if not NULL. */
int nlh_route_add(struct nl_sock *sk, int ifindex, const struct weft_prefix *dst,
		  const struct weft_addr *gw, int scope);
/* 1 when such a route exists in the main table (gw NULL: any or none), 0 when not. */
int nlh_route_present(struct nl_sock *sk, int ifindex, const struct weft_prefix *dst,
		      const struct weft_addr *gw);

#endif
