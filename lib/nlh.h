/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rtnetlink pieces both the plugin and weftd use, on libnl-route-3.
 * weftctl does not link libnl: it must never reference this file, which is
 * why these live apart from the rest of lib/ (libweft.a is a static archive,
 * so only the objects a binary references are linked into it).
 * All return 0 or -errno; a missing link is -ENODEV.
 */
#ifndef WEFT_NLH_H
#define WEFT_NLH_H

struct nl_sock;
struct rtnl_link;

/* libnl has its own error space (NLE_*, either sign); weft speaks errno. */
int nlh_errno(int nlerr);

/* One RTM_NEWLINK: a veth pair @name/@peer_name, both down, MTU @mtu (if > 0).
 * The peer is created straight in @peer_nsfd (IFLA_NET_NS_FD inside
 * VETH_INFO_PEER, so it never exists here), or next to @name when @peer_nsfd < 0. */
int nlh_veth_create(struct nl_sock *sk, const char *name, const char *peer_name, int peer_nsfd,
		    int mtu);

/* Delete the link @name (a veth takes its peer along); -ENODEV when missing. */
int nlh_link_del(struct nl_sock *sk, const char *name);

/* What changes in a link: @fill sets it on @change (a name, an MTU, a namespace,
 * flags, ...). 0 or -errno, which aborts the change. */
typedef int (*nlh_link_fill_fn)(struct rtnl_link *change, const void *arg);

/* RTM_NEWLINK on the existing link @ifindex, addressed by index: one request,
 * no look-up (libnl's rtnl_link_change() wants an original and a change). */
int nlh_link_change(struct nl_sock *sk, int ifindex, nlh_link_fill_fn fill, const void *arg);

#endif
