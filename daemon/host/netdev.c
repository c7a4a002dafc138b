// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/route.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "nlh.h"
#include "daemon/host/netdev.h"

struct netdev {
	struct nl_sock *sk;
};

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
		err = nlh_errno(err);
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
		return nlh_errno(err);
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
	int err = nlh_link_del(nd->sk, name);

	/* Deleting one veth end removes its peer; a racing delete is fine too. */
	return err == -ENODEV ? 0 : err;
}

static int link_mtu(struct netdev *nd, int ifindex)
{
	struct rtnl_link *link = NULL;
	int err, mtu;

	err = rtnl_link_get_kernel(nd->sk, ifindex, NULL, &link);
	if (err < 0)
		return nlh_errno(err);
	mtu = (int)rtnl_link_get_mtu(link);
	rtnl_link_put(link);
	return mtu > 0 ? mtu : -ENOENT;
}

int netdev_default_route_mtu(struct netdev *nd)
{
	struct nl_cache *routes = NULL;
	struct nl_object *obj;
	int err, ifindex = 0;

	err = rtnl_route_alloc_cache(nd->sk, AF_INET, 0, &routes);
	if (err < 0)
		return nlh_errno(err);
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
	return link_mtu(nd, ifindex);
}

int netdev_delete_index(struct netdev *nd, int ifindex)
{
	struct rtnl_link *link;
	int err;

	link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_ifindex(link, ifindex);
	err = nlh_errno(rtnl_link_delete(nd->sk, link));
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

	err = nlh_errno(rtnl_link_alloc_cache(nd->sk, AF_UNSPEC, &cache));
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

int netdev_addr_mtu(struct netdev *nd, uint32_t addr)
{
	struct nl_cache *addrs = NULL;
	struct nl_object *obj;
	int err, ifindex = 0;

	err = rtnl_addr_alloc_cache(nd->sk, &addrs);
	if (err < 0)
		return nlh_errno(err);
	for (obj = nl_cache_get_first(addrs); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *a = (struct rtnl_addr *)obj;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4 ||
		    memcmp(nl_addr_get_binary_addr(local), &addr, 4))
			continue;
		ifindex = rtnl_addr_get_ifindex(a);
		break;
	}
	nl_cache_free(addrs);
	if (ifindex <= 0)
		return -EADDRNOTAVAIL;
	return link_mtu(nd, ifindex);
}

/* Does the existing @link match @v, apart from the MTU? */
static bool vxlan_matches(struct rtnl_link *link, const struct netdev_vxlan *v)
{
	struct nl_addr *local = NULL;
	uint32_t port = 0;
	bool ok;

	if (!rtnl_link_is_vxlan(link) || rtnl_link_vxlan_get_collect_metadata(link) != 1 ||
	    rtnl_link_vxlan_get_port(link, &port) < 0 || port != v->port ||
	    rtnl_link_vxlan_get_learning(link) != 0 ||
	    rtnl_link_vxlan_get_local(link, &local) < 0 || !local)
		return false;
	ok = nl_addr_get_len(local) == 4 && !memcmp(nl_addr_get_binary_addr(local), &v->local, 4);
	nl_addr_put(local);
	return ok;
}

static int vxlan_create(struct netdev *nd, const struct netdev_vxlan *v)
{
	struct rtnl_link *link;
	struct nl_addr *local;
	int err;

	link = rtnl_link_vxlan_alloc();
	local = nl_addr_build(AF_INET, &v->local, 4);
	if (!link || !local) {
		err = -ENOMEM;
		goto put;
	}
	rtnl_link_set_name(link, v->name);
	rtnl_link_set_mtu(link, (unsigned int)v->mtu);
	err = nlh_errno(rtnl_link_vxlan_set_collect_metadata(link, 1));
	if (!err)
		err = nlh_errno(rtnl_link_vxlan_set_port(link, v->port));
	if (!err)
		err = nlh_errno(rtnl_link_vxlan_set_local(link, local));
	/* Learning would fill an FDB that external mode never reads. */
	if (!err)
		err = nlh_errno(rtnl_link_vxlan_set_learning(link, 0));
	if (!err)
		err = nlh_errno(rtnl_link_add(nd->sk, link, NLM_F_CREATE | NLM_F_EXCL));
put:
	if (local)
		nl_addr_put(local);
	if (link)
		rtnl_link_put(link);
	return err;
}

/* Up, NOARP, @mtu. NOARP: the host's packets routed into the device then get
 * the device's own MAC as destination without any neighbour resolution (the
 * inner MACs mean nothing to weft_from_overlay on the far side). */
static int fill_vxlan(struct rtnl_link *change, const void *mtu)
{
	rtnl_link_set_mtu(change, (unsigned int)*(const int *)mtu);
	rtnl_link_set_flags(change, IFF_UP | IFF_NOARP);
	return 0;
}

static int vxlan_configure(struct netdev *nd, int ifindex, int mtu)
{
	return nlh_link_change(nd->sk, ifindex, fill_vxlan, &mtu);
}

/* No IPv6 link-local address on the device: it would only send router
 * solicitations and MLD reports into the tunnel, where weft_to_overlay drops
 * them. Best effort (IPv6 may be off in this kernel). */
static int fill_no_ipv6_addr(struct rtnl_link *change, const void *arg)
{
	(void)arg;
	return nlh_errno(rtnl_link_inet6_set_addr_gen_mode(change, IN6_ADDR_GEN_MODE_NONE));
}

static void vxlan_no_ipv6_addr(struct netdev *nd, int ifindex)
{
	int err = nlh_link_change(nd->sk, ifindex, fill_no_ipv6_addr, NULL);

	if (err)
		pr_debug("vxlan ifindex %d: IPv6 addrgenmode none: %s", ifindex, strerror(-err));
}

int netdev_vxlan_ensure(struct netdev *nd, const struct netdev_vxlan *v, int *ifindex,
			bool *created)
{
	struct rtnl_link *link = NULL;
	int err;

	*created = false;
	err = nlh_errno(rtnl_link_get_kernel(nd->sk, 0, v->name, &link));
	if (err && err != -ENODEV)
		return err;
	if (!err) {
		bool keep = vxlan_matches(link, v);

		*ifindex = rtnl_link_get_ifindex(link);
		rtnl_link_put(link);
		link = NULL;
		if (!keep) {
			pr_info("%s: settings differ (port, local address or mode), re-creating it",
				v->name);
			err = netdev_delete_index(nd, *ifindex);
			if (err)
				return err;
			err = -ENODEV;
		}
	}
	if (err == -ENODEV) {
		err = vxlan_create(nd, v);
		if (err)
			return err;
		*created = true;
		err = nlh_errno(rtnl_link_get_kernel(nd->sk, 0, v->name, &link));
		if (err)
			return err;
		*ifindex = rtnl_link_get_ifindex(link);
		rtnl_link_put(link);
	}
	/* Before the device goes up, which is when a link-local is made. */
	vxlan_no_ipv6_addr(nd, *ifindex);
	return vxlan_configure(nd, *ifindex, v->mtu);
}

/* A route object for @dst/@len through @ifindex; NULL when out of memory. */
static struct rtnl_route *route_build(uint32_t dst, int len, int ifindex)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *a = nl_addr_build(AF_INET, &dst, 4);

	if (!r || !nh || !a)
		goto fail;
	nl_addr_set_prefixlen(a, len);
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, NETDEV_RTPROT_WEFT);
	rtnl_route_set_scope(r, RT_SCOPE_LINK);
	rtnl_route_set_dst(r, a);
	nl_addr_put(a);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(r, nh);
	return r;
fail:
	if (a)
		nl_addr_put(a);
	if (nh)
		rtnl_route_nh_free(nh);
	if (r)
		rtnl_route_put(r);
	return NULL;
}

int netdev_route_replace(struct netdev *nd, uint32_t dst, int len, int ifindex, uint32_t src)
{
	struct rtnl_route *r = route_build(dst, len, ifindex);
	struct nl_addr *s;
	int err;

	if (!r)
		return -ENOMEM;
	s = nl_addr_build(AF_INET, &src, 4);
	if (!s) {
		rtnl_route_put(r);
		return -ENOMEM;
	}
	/* The node IP as source: the VXLAN device has no address, and replies
	 * from remote pods come back to it through their node's tunnel. */
	rtnl_route_set_pref_src(r, s);
	nl_addr_put(s);
	err = nlh_errno(rtnl_route_add(nd->sk, r, NLM_F_CREATE | NLM_F_REPLACE));
	rtnl_route_put(r);
	return err;
}

int netdev_route_delete(struct netdev *nd, uint32_t dst, int len, int ifindex)
{
	struct rtnl_route *r = route_build(dst, len, ifindex);
	int err;

	if (!r)
		return -ENOMEM;
	err = rtnl_route_delete(nd->sk, r, 0);
	rtnl_route_put(r);
	/* The kernel says ESRCH for a route that is not there. */
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR)
		return 0;
	return nlh_errno(err);
}

int netdev_route_foreach(struct netdev *nd, int ifindex,
			 void (*fn)(void *ctx, uint32_t dst, int len), void *ctx)
{
	struct nl_cache *routes = NULL;
	struct nl_object *obj;
	int err;

	err = rtnl_route_alloc_cache(nd->sk, AF_INET, 0, &routes);
	if (err < 0)
		return nlh_errno(err);
	for (obj = nl_cache_get_first(routes); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_route *r = (struct rtnl_route *)obj;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		uint32_t a;

		if (rtnl_route_get_protocol(r) != NETDEV_RTPROT_WEFT ||
		    rtnl_route_get_nnexthops(r) != 1 ||
		    rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0)) != ifindex || !dst ||
		    nl_addr_get_len(dst) != 4)
			continue;
		memcpy(&a, nl_addr_get_binary_addr(dst), 4);
		fn(ctx, a, (int)nl_addr_get_prefixlen(dst));
	}
	nl_cache_free(routes);
	return 0;
}
