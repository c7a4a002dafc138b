/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Looking up local endpoints by address, for either family. */
#ifndef WEFT_BPF_ENDPOINT_H
#define WEFT_BPF_ENDPOINT_H

#include "common.h"
#include "eth.h"
#include "ipv4.h"
#include "maps.h"

/*
 * The whole key is zeroed first: it is hashed byte for byte, padding and the
 * unused address words included, and weftd writes zeros there. (The verifier
 * also rejects a map key with uninitialised stack bytes.)
 */
static __always_inline struct weft_endpoint_info *endpoint_lookup_ipv4(__be32 addr)
{
	struct weft_ip_key key;

	__builtin_memset(&key, 0, sizeof(key));
	key.family = WEFT_FAMILY_IPV4;
	key.addr[0] = addr;
	return bpf_map_lookup_elem(&weft_endpoints, &key);
}

/*
 * The pod whose host veth is @ifindex, from weft_veths: what the programs
 * know about it (one copy of them serves every pod). NULL when weftd has not
 * written the entry, or removed it: the caller drops (fail closed).
 */
static __always_inline const struct weft_veth *veth_lookup_ifindex(__u32 ifindex)
{
	return bpf_map_lookup_elem(&weft_veths, &ifindex);
}

/* The pod whose host veth @skb is on (veth_lookup_ifindex()). */
static __always_inline const struct weft_veth *veth_lookup(const struct __sk_buff *skb)
{
	return veth_lookup_ifindex(skb->ifindex);
}

/*
 * Route an IPv4 packet to the local endpoint @ep, as the host would have:
 * one hop, so TTL goes down by one, and the MACs of the destination's veth
 * link. The caller then tail-calls the destination's weft_to_pod_local
 * (@dst_id), which runs the destination's to-pod checks and delivers with
 * bpf_redirect_peer(). The redirect to the egress of the destination's host
 * veth set up here is the fallback for an empty slot in weft_policy_progs:
 * its weft_to_pod runs there.
 *
 * Used by weft_from_pod (pod to pod) and weft_from_overlay (remote to pod).
 * A map lookup does not change packet data, so @eth and @ip are still valid
 * after the caller's endpoint lookup.
 */
static __always_inline enum weft_reason endpoint_route_ipv4(struct ethhdr *eth, struct iphdr *ip,
							    const struct weft_endpoint_info *ep,
							    int *action, __u32 *dst_id)
{
	if (ip->ttl <= 1)
		return WEFT_DROP_TTL_EXCEEDED;
	ipv4_dec_ttl(ip);
	eth_addr_copy(eth->h_source, ep->host_mac);
	eth_addr_copy(eth->h_dest, ep->pod_mac);
	*dst_id = ep->endpoint_id;
	*action = bpf_redirect(ep->ifindex, 0);
	return WEFT_FWD_LOCAL;
}

/* IPv6 slots in here: family 6, all four words of the address. */

#endif
