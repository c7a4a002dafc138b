// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
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
