// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The node's overlay programs, attached by weftd with tcx on its VXLAN device
 * (weft_vxlan, collect_md), loaded once per node:
 *
 *   weft_from_overlay  tcx ingress = decapsulated frames from other nodes:
 *                      the sender must be a known node and the inner
 *                      source behind it; a local pod gets them the way
 *                      weft_from_pod delivers locally; anything else (this
 *                      node's own address) goes to the host stack
 *   weft_to_overlay    tcx egress  = frames leaving through the device: those
 *                      from weft_from_pod already carry their tunnel key; the
 *                      host's own (routed to remote pod ranges via the device)
 *                      get theirs here from weft_ipcache
 *
 * The maps are the per-pod programs' (weftd reuses them by pin path); there
 * are no per-node constants, so one object fits every node.
 */
#include <linux/if_packet.h>

#include "lib/common.h"
#include "lib/maps.h"
#include "lib/metrics.h"
#include "lib/eth.h"
#include "lib/ipv4.h"
#include "lib/endpoint.h"
#include "lib/overlay.h"

/* --- from the overlay ----------------------------------------------------- */

static __always_inline enum weft_reason from_overlay_ipv4(struct __sk_buff *skb, int *action,
							  __u32 *dst_id)
{
	struct weft_endpoint_info *ep;
	struct bpf_tunnel_key key;
	struct ethhdr *eth;
	struct iphdr *ip;

	/*
	 * The inner destination MAC is whatever the sender had (its pod's
	 * gateway, or its VXLAN device), never ours, so the device marked the
	 * frame PACKET_OTHERHOST and the IP layer would drop it. Every frame
	 * that gets here was tunnelled to this node on purpose: it is ours.
	 */
	if (bpf_skb_change_type(skb, PACKET_HOST))
		return WEFT_DROP_INVALID_PACKET;
	if (!ipv4_parse(skb, &eth, &ip))
		return WEFT_DROP_INVALID_PACKET;
	/*
	 * The collect_md device gives every packet it decapsulates its tunnel
	 * info, so there always is a sender to check. Only a packet without
	 * one (BPF_PROG_TEST_RUN, which cannot supply it) skips the check.
	 * The helper only reads, so eth and ip stay valid.
	 */
	if (!bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0) &&
	    !tunnel_source_ok(bpf_htonl(key.remote_ipv4), ip->saddr))
		return WEFT_DROP_TUNNEL_SOURCE;

	ep = endpoint_lookup_ipv4(ip->daddr);
	if (!ep)
		return WEFT_FWD_HOST;
	return endpoint_route_ipv4(eth, ip, ep, action, dst_id);
}

SEC("tcx/ingress")
int weft_from_overlay(struct __sk_buff *skb)
{
	struct ethhdr *eth = eth_hdr(skb);
	enum weft_reason reason;
	int action = TC_ACT_OK;
	__u32 dst_id = 0;
	bool explain;
	int ret;

	if (!eth)
		reason = WEFT_DROP_INVALID_PACKET;
	else if (eth->h_proto == bpf_htons(ETH_P_IP))
		reason = from_overlay_ipv4(skb, &action, &dst_id);
	else
		/* IPv6 slots in here; the device is NOARP, so no ARP either. */
		reason = WEFT_DROP_UNSUPPORTED_L3;

	/* As in weft_from_pod: counted once here, then the destination's
	 * weft_to_pod_local (same program type and attach type, as the
	 * program array requires), or the redirect to its host veth when the
	 * slot is empty.
	 *
	 * The destination's ingress policy runs on every one of these paths:
	 * weft_to_pod_local and the host veth's weft_to_pod both run
	 * to_pod(), conntrack and policy included, and a packet handed to
	 * the host stack (forward-host) that the host routes on to a pod
	 * leaves through that pod's host veth, so its weft_to_pod. None of
	 * them is taken for the node's own traffic: skb->ingress_ifindex is
	 * the VXLAN device's, and the source is a remote pod or node. */
	explain = explain_run(skb);
	ret = weft_verdict(skb, WEFT_DIR_OVERLAY, reason, action, 0, explain);
	if (reason == WEFT_FWD_LOCAL && ret == TC_ACT_REDIRECT) {
		if (explain)
			EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_TARGET1], dst_id);
		bpf_tail_call(skb, &weft_policy_progs, dst_id);
	}
	return ret;
}

/* --- into the overlay ----------------------------------------------------- */

static __always_inline enum weft_reason to_overlay(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key;
	struct ethhdr *eth;
	struct iphdr *ip;
	__be32 remote;

	/* weft_from_pod set the key before its redirect: nothing to add. */
	if (!bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0))
		return WEFT_FWD_TUNNEL;

	eth = eth_hdr(skb);
	if (!eth)
		return WEFT_DROP_INVALID_PACKET;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		/* e.g. IPv6 neighbour discovery of the device itself. */
		return WEFT_DROP_UNSUPPORTED_L3;
	if (!ipv4_parse(skb, &eth, &ip))
		return WEFT_DROP_INVALID_PACKET;
	remote = ipcache_tunnel_ipv4(ipcache_lookup_ipv4(ip->daddr));
	if (!remote)
		return WEFT_DROP_NO_TUNNEL;
	if (tunnel_set_ipv4(skb, remote))
		return WEFT_DROP_TUNNEL_KEY;
	return WEFT_FWD_TUNNEL;
}

SEC("tcx/egress")
int weft_to_overlay(struct __sk_buff *skb)
{
	return weft_verdict(skb, WEFT_DIR_TO_OVERLAY, to_overlay(skb), TC_ACT_OK, 0,
			    explain_run(skb));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
