// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netlink.h"
#include "netns.h"

int nlh_open(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk)
		return -ENOMEM;
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret) {
		pr_warn("netlink: cannot connect: %s", nl_geterror(ret));
		nl_socket_free(sk);
		return nlh_errno(ret);
	}
	*out = sk;
	return 0;
}

static int open_here(void *out)
{
	/* The socket stays bound to the namespace it was created in. */
	return nlh_open(out);
}

int nlh_open_in_netns(int nsfd, struct nl_sock **out)
{
	return netns_run(nsfd, open_here, out);
}

void nlh_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

static void fill_link(struct rtnl_link *l, struct nlh_link *out)
{
	struct nl_addr *mac = rtnl_link_get_addr(l);

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(l);
	out->flags = rtnl_link_get_flags(l);
	out->mtu = (int)rtnl_link_get_mtu(l);
	if (mac)
		nl_addr2str(mac, out->mac, sizeof(out->mac));
}

int nlh_link_get(struct nl_sock *sk, const char *name, struct nlh_link *out)
{
	struct rtnl_link *l;
	int ret;

	ret = rtnl_link_get_kernel(sk, 0, name, &l);
	if (ret)
		return nlh_errno(ret);
	fill_link(l, out);
	rtnl_link_put(l);
	return 0;
}

int nlh_link_get_index(struct nl_sock *sk, int ifindex, char name[IFNAMSIZ])
{
	struct rtnl_link *l;
	int ret;

	ret = rtnl_link_get_kernel(sk, ifindex, NULL, &l);
	if (ret)
		return nlh_errno(ret);
	snprintf(name, IFNAMSIZ, "%s", rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "");
	rtnl_link_put(l);
	return 0;
}

int nlh_link_up(struct nl_sock *sk, int ifindex)
{
	struct rtnl_link *l, *change;
	int ret;

	ret = rtnl_link_get_kernel(sk, ifindex, NULL, &l);
	if (ret)
		return nlh_errno(ret);
	change = rtnl_link_alloc();
	if (!change) {
		ret = -NLE_NOMEM;
		goto put_l;
	}
	rtnl_link_set_flags(change, IFF_UP);
	ret = rtnl_link_change(sk, l, change, 0);
	rtnl_link_put(change);
put_l:
	rtnl_link_put(l);
	return nlh_errno(ret);
}

int nlh_link_foreach(struct nl_sock *sk, int (*cb)(const char *name, int ifindex, void *arg),
		     void *arg)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int ret;

	ret = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (ret)
		return nlh_errno(ret);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		ret = cb(rtnl_link_get_name(l), rtnl_link_get_ifindex(l), arg);
		if (ret)
			break;
	}
	nl_cache_free(cache);
	return ret;
}

/* @a with prefix length @len, as libnl wants it. NULL when out of memory. */
static struct nl_addr *to_nl_addr(const struct weft_addr *a, unsigned int len)
{
	struct nl_addr *n;

	n = nl_addr_build(a->family, a->addr, weft_addr_bits(a) / 8);
	if (n)
		nl_addr_set_prefixlen(n, len);
	return n;
}

/* Same family and the same leading @len bits; @len < 0: all bits, any prefix
 * length on @n; else @n's prefix length must be @len too. */
static int nl_addr_matches(struct nl_addr *n, const struct weft_addr *a, int len)
{
	const unsigned char *nb = nl_addr_get_binary_addr(n), *ab = a->addr;
	unsigned int nlen = nl_addr_get_len(n), plen = nl_addr_get_prefixlen(n), bits;

	if (nl_addr_get_family(n) != a->family)
		return 0;
	if (len >= 0 && (int)plen != len)
		return 0;
	bits = len >= 0 ? plen : weft_addr_bits(a);
	if (bits == 0)
		return 1;
	if (nlen * 8 < bits)
		return 0;
	if (memcmp(nb, ab, bits / 8))
		return 0;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		return (nb[bits / 8] & mask) == (ab[bits / 8] & mask);
	}
	return 1;
}

int nlh_addr_add(struct nl_sock *sk, int ifindex, const struct weft_prefix *a)
{
	struct rtnl_addr *addr;
	struct nl_addr *local;
	int ret;

	addr = rtnl_addr_alloc();
	local = to_nl_addr(&a->addr, a->len);
	if (!addr || !local) {
		ret = -NLE_NOMEM;
		goto put;
	}
	rtnl_addr_set_ifindex(addr, ifindex);
	ret = rtnl_addr_set_local(addr, local);
	if (!ret)
		ret = rtnl_addr_add(sk, addr, NLM_F_EXCL);
put:
	nl_addr_put(local);
	rtnl_addr_put(addr);
	return nlh_errno(ret);
}

int nlh_addr_present(struct nl_sock *sk, int ifindex, const struct weft_addr *a)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int ret, found = 0;

	ret = rtnl_addr_alloc_cache(sk, &cache);
	if (ret)
		return nlh_errno(ret);
	for (o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ad = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(ad);

		found = rtnl_addr_get_ifindex(ad) == ifindex && local &&
			nl_addr_matches(local, a, -1);
	}
	nl_cache_free(cache);
	return found;
}

int nlh_route_add(struct nl_sock *sk, int ifindex, const struct weft_prefix *dst,
		  const struct weft_addr *gw, int scope)
{
	struct rtnl_route *rt;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *d = NULL, *g = NULL;
	int ret = -NLE_NOMEM;

	rt = rtnl_route_alloc();
	d = to_nl_addr(&dst->addr, dst->len);
	if (gw)
		g = to_nl_addr(gw, weft_addr_bits(gw));
	nh = rtnl_route_nh_alloc();
	if (!rt || !d || !nh || (gw && !g))
		goto put;
	rtnl_route_set_family(rt, (uint8_t)dst->addr.family);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_BOOT);
	rtnl_route_set_scope(rt, (uint8_t)scope);
	ret = rtnl_route_set_dst(rt, d);
	if (ret)
		goto put;
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (g)
		rtnl_route_nh_set_gateway(nh, g);
	rtnl_route_add_nexthop(rt, nh);
	nh = NULL; /* the route owns it now */
	ret = rtnl_route_add(sk, rt, NLM_F_EXCL);
put:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(g);
	nl_addr_put(d);
	if (rt)
		rtnl_route_put(rt);
	return nlh_errno(ret);
}

int nlh_route_present(struct nl_sock *sk, int ifindex, const struct weft_prefix *dst,
		      const struct weft_addr *gw)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int ret, found = 0;

	ret = rtnl_route_alloc_cache(sk, dst->addr.family, 0, &cache);
	if (ret)
		return nlh_errno(ret);
	for (o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct rtnl_nexthop *nh;
		struct nl_addr *d = rtnl_route_get_dst(rt), *g;

		if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || !d ||
		    !nl_addr_matches(d, &dst->addr, dst->len) || rtnl_route_get_nnexthops(rt) < 1)
			continue;
		nh = rtnl_route_nexthop_n(rt, 0);
		if (rtnl_route_nh_get_ifindex(nh) != ifindex)
			continue;
		g = rtnl_route_nh_get_gateway(nh);
		found = !gw || (g && nl_addr_matches(g, gw, -1));
	}
	nl_cache_free(cache);
	return found;
}
