// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "netdev.h"

struct netdev {
	struct nl_sock *sk;
};

/* libnl has its own error space; weft speaks errno. */
static int nl_to_errno(int nlerr)
{
	switch (abs(nlerr)) {
	case 0: return 0;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV: return -ENODEV;
	case NLE_PERM: return -EPERM;
	case NLE_BUSY: return -EBUSY;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	}
	return -EIO;
}

int netdev_open(struct netdev **out)
{
	struct netdev *nd;
	int err;

	nd = calloc(1, sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	nd->sk = nl_socket_alloc();
	if (!nd->sk) {
		err = -ENOMEM;
		goto free_nd;
	}
	err = nl_connect(nd->sk, NETLINK_ROUTE);
	if (err < 0) {
		err = nl_to_errno(err);
		pr_warn("netdev: cannot open a netlink socket: %s", strerror(-err));
		goto free_sock;
	}
	*out = nd;
	return 0;
free_sock:
	nl_socket_free(nd->sk);
free_nd:
	free(nd);
	return err;
}

void netdev_close(struct netdev *nd)
{
	if (!nd)
		return;
	nl_socket_free(nd->sk);
	free(nd);
}

int netdev_lookup(struct netdev *nd, const char *name, int *ifindex, uint8_t mac[6])
{
	struct rtnl_link *link = NULL;
	struct nl_addr *addr;
	int err;

	err = rtnl_link_get_kernel(nd->sk, 0, name, &link);
	if (err < 0)
		return nl_to_errno(err);
	*ifindex = rtnl_link_get_ifindex(link);
	addr = rtnl_link_get_addr(link);
	if (!addr || nl_addr_get_len(addr) != 6) {
		err = -EINVAL; /* not an Ethernet device */
		goto put_link;
	}
	memcpy(mac, nl_addr_get_binary_addr(addr), 6);
	err = 0;
put_link:
	rtnl_link_put(link);
	return err;
}

int netdev_exists(struct netdev *nd, const char *name, int ifindex)
{
	struct rtnl_link *link = NULL;
	int found;

	if (rtnl_link_get_kernel(nd->sk, 0, name, &link) < 0)
		return 0;
	found = rtnl_link_get_ifindex(link) == ifindex;
	rtnl_link_put(link);
	return found;
}

int netdev_delete(struct netdev *nd, const char *name)
{
	struct rtnl_link *link = NULL;
	int err;

	err = rtnl_link_get_kernel(nd->sk, 0, name, &link);
	if (err < 0) {
		err = nl_to_errno(err);
		return err == -ENODEV ? 0 : err;
	}
	err = rtnl_link_delete(nd->sk, link);
	rtnl_link_put(link);
	err = nl_to_errno(err);
	/* Deleting one veth end removes its peer; a racing delete is fine too. */
	return err == -ENODEV ? 0 : err;
}

int netdev_default_route_mtu(struct netdev *nd)
{
	struct nl_cache *routes = NULL;
	struct rtnl_link *link = NULL;
	struct nl_object *obj;
	int err, ifindex = 0, mtu;

	err = rtnl_route_alloc_cache(nd->sk, AF_INET, 0, &routes);
	if (err < 0)
		return nl_to_errno(err);
	for (obj = nl_cache_get_first(routes); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_route *r = (struct rtnl_route *)obj;
		struct rtnl_nexthop *nh;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    nl_addr_get_prefixlen(rtnl_route_get_dst(r)) != 0 ||
		    rtnl_route_get_nnexthops(r) < 1)
			continue;
		nh = rtnl_route_nexthop_n(r, 0);
		ifindex = rtnl_route_nh_get_ifindex(nh);
		if (ifindex > 0)
			break;
	}
	nl_cache_free(routes);
	if (ifindex <= 0)
		return -ENOENT;
	err = rtnl_link_get_kernel(nd->sk, ifindex, NULL, &link);
	if (err < 0)
		return nl_to_errno(err);
	mtu = (int)rtnl_link_get_mtu(link);
	rtnl_link_put(link);
	return mtu > 0 ? mtu : -ENOENT;
}

int netdev_veth_create(struct netdev *nd, const char *name, const char *peer_name, int mtu,
		       int *ifindex)
{
	struct rtnl_link *veth, *peer, *link = NULL;
	int err;

	veth = rtnl_link_veth_alloc();
	if (!veth)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, name);
	rtnl_link_set_name(peer, peer_name);
	if (mtu > 0) {
		rtnl_link_set_mtu(veth, (unsigned int)mtu);
		rtnl_link_set_mtu(peer, (unsigned int)mtu);
	}
	err = nl_to_errno(rtnl_link_add(nd->sk, veth, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	if (err)
		return err;
	err = nl_to_errno(rtnl_link_get_kernel(nd->sk, 0, name, &link));
	if (err)
		return err;
	*ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return 0;
}

int netdev_rename(struct netdev *nd, int ifindex, const char *name)
{
	struct rtnl_link *orig, *change;
	int err = -ENOMEM;

	orig = rtnl_link_alloc();
	change = rtnl_link_alloc();
	if (!orig || !change)
		goto put_links;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_name(change, name);
	err = nl_to_errno(rtnl_link_change(nd->sk, orig, change, 0));
put_links:
	if (change)
		rtnl_link_put(change);
	if (orig)
		rtnl_link_put(orig);
	return err;
}

int netdev_delete_index(struct netdev *nd, int ifindex)
{
	struct rtnl_link *link;
	int err;

	link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_ifindex(link, ifindex);
	err = nl_to_errno(rtnl_link_delete(nd->sk, link));
	rtnl_link_put(link);
	return err == -ENODEV ? 0 : err;
}

/* @prefix followed by digits only, e.g. wfp12. */
static bool name_is_numbered(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	if (!name || strncmp(name, prefix, len) || !name[len])
		return false;
	for (name += len; *name; name++) {
		if (*name < '0' || *name > '9')
			return false;
	}
	return true;
}

int netdev_delete_numbered(struct netdev *nd, const char *prefix_a, const char *prefix_b)
{
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	int err, n = 0;

	err = nl_to_errno(rtnl_link_alloc_cache(nd->sk, AF_UNSPEC, &cache));
	if (err)
		return err;
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_link *l = (struct rtnl_link *)obj;
		const char *name = rtnl_link_get_name(l);

		if (!name_is_numbered(name, prefix_a) && !name_is_numbered(name, prefix_b))
			continue;
		/* Deleting one end of a pair takes the other: ENODEV is fine. */
		err = netdev_delete_index(nd, rtnl_link_get_ifindex(l));
		if (err)
			break;
		n++;
	}
	nl_cache_free(cache);
	return err ? err : n;
}
