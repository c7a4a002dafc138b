/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The VXLAN overlay: ipcache look-ups and the tunnel key of a packet. */
#ifndef WEFT_BPF_OVERLAY_H
#define WEFT_BPF_OVERLAY_H

#include "common.h"
#include "maps.h"

/* The longest prefix in weft_ipcache that holds @addr, or NULL. The key is
 * zeroed whole for the same reason as endpoint_lookup_ipv4()'s. */
static __always_inline struct weft_ipcache_value *ipcache_lookup_ipv4(__be32 addr)
{
	struct weft_ipcache_key key;

	__builtin_memset(&key, 0, sizeof(key));
	key.prefixlen = WEFT_IPCACHE_PREFIX_BASE + 32;
	key.family = WEFT_FAMILY_IPV4;
	key.addr[0] = addr;
	return bpf_map_lookup_elem(&weft_ipcache, &key);
}

/* The IPv4 node that @v says to tunnel to, network order; 0 when none. */
static __always_inline __be32 ipcache_tunnel_ipv4(const struct weft_ipcache_value *v)
{
	if (!v || v->tunnel_family != WEFT_FAMILY_IPV4)
		return 0;
	return v->tunnel_addr[0];
}

/* The VXLAN device's ifindex; 0 while weftd has set up no overlay. */
static __always_inline __u32 overlay_ifindex(void)
{
	struct weft_overlay_config *cfg;
	__u32 key = 0;

	cfg = bpf_map_lookup_elem(&weft_overlay_config, &key);
	return cfg ? cfg->vxlan_ifindex : 0;
}

/*
 * Tell the collect_md VXLAN device where this packet goes: outer destination
 * @remote (network order), weft's VNI. DF on the outer header: the pod MTU
 * leaves room for the encapsulation, so an outer packet that does not fit
 * the underlay is a misconfiguration to surface, not to fragment. A zero
 * UDP checksum is what VXLAN over IPv4 normally uses (RFC 7348 5).
 * Returns 0 or the helper's -errno.
 */
static __always_inline int tunnel_set_ipv4(struct __sk_buff *skb, __be32 remote)
{
	struct bpf_tunnel_key key;

	__builtin_memset(&key, 0, sizeof(key));
	key.remote_ipv4 = bpf_ntohl(remote); /* the helper takes host order */
	key.tunnel_id = WEFT_VXLAN_VNI;
	key.tunnel_ttl = 64;
	return bpf_skb_set_tunnel_key(skb, &key, sizeof(key),
				      BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT);
}

/*
 * May the node at @remote (outer source, network order) send a packet from
 * @saddr (inner source)? Only when @remote is a node weft knows (its own
 * address in weft_ipcache, tunnelled to itself) and @saddr is tunnelled to
 * that same node: one of its pods, its pod range, or its own address. So a
 * host on the underlay that is no node, or a node sending with another
 * node's pod addresses, cannot inject into local pods.
 */
static __always_inline bool tunnel_source_ok(__be32 remote, __be32 saddr)
{
	struct weft_ipcache_value *node = ipcache_lookup_ipv4(remote);

	if (!node || !(node->flags & WEFT_IPC_F_NODE) || ipcache_tunnel_ipv4(node) != remote)
		return false;
	return ipcache_tunnel_ipv4(ipcache_lookup_ipv4(saddr)) == remote;
}

#endif
