// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "nlh.h"

int nlh_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0: return 0;
	case NLE_EXIST: return -EEXIST;
	case NLE_NODEV: return -ENODEV;
	case NLE_OBJ_NOTFOUND: return -ENODEV;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_INVAL: return -EINVAL;
	case NLE_BUSY: return -EBUSY;
	case NLE_RANGE: return -ERANGE;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_NOACCESS: return -EACCES;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	default: return -EIO;
	}
}

int nlh_veth_create(struct nl_sock *sk, const char *name, const char *peer_name, int peer_nsfd,
		    int mtu)
{
	struct rtnl_link *veth, *peer;
	int ret;

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
	if (peer_nsfd >= 0)
		rtnl_link_set_ns_fd(peer, peer_nsfd);
	ret = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	return nlh_errno(ret);
}

int nlh_link_del(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l;
	int ret;

	ret = rtnl_link_get_kernel(sk, 0, name, &l);
	if (ret)
		return nlh_errno(ret);
	ret = rtnl_link_delete(sk, l);
	rtnl_link_put(l);
	return nlh_errno(ret);
}

int nlh_link_change(struct nl_sock *sk, int ifindex, nlh_link_fill_fn fill, const void *arg)
{
	struct rtnl_link *orig, *change;
	int err = -ENOMEM;

	orig = rtnl_link_alloc();
	change = rtnl_link_alloc();
	if (!orig || !change)
		goto put_links;
	rtnl_link_set_ifindex(orig, ifindex);
	err = fill(change, arg);
	if (!err)
		err = nlh_errno(rtnl_link_change(sk, orig, change, 0));
put_links:
	if (change)
		rtnl_link_put(change);
	if (orig)
		rtnl_link_put(orig);
	return err;
}
