// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The per-pod programs, attached by weftd as tc filters on each pod's
 * host-side veth:
 *
 *   weft_from_pod      tc ingress = frames the pod sends: anti-spoofing, the
 *                      gateway's ARP answer, conntrack and egress policy,
 *                      local delivery, remote pods through the VXLAN
 *                      device, else the host stack
 *   weft_to_pod        tc egress  = frames going into the pod: conntrack
 *                      and ingress policy
 *   weft_to_pod_local  never attached: weft_from_pod of another local pod
 *                      tail-calls it through weft_policy_progs[endpoint id]
 *                      to deliver straight into that pod (bpf_redirect_peer)
 *
 * The object is loaded once per node and serves every pod: what a program
 * needs to know about its pod (endpoint id, address, MACs) it reads from
 * weft_veths by the veth it runs on, so a new pod costs a map update and two
 * filters, not a verifier run. weft_to_pod_local finds its pod by the
 * packet's destination in weft_endpoints instead: it runs on the sender's skb.
 *
 * Every handler returns a reason (and sets *action for forwards that are not
 * TC_ACT_OK); the entry point hands both to weft_verdict(), the one exit.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/rodata.h"
#include "lib/metrics.h"
#include "lib/eth.h"
#include "lib/arp.h"
#include "lib/ipv4.h"
#include "lib/endpoint.h"
#include "lib/overlay.h"
#include "lib/l4.h"
#include "lib/conntrack.h"
#include "lib/policy.h"

/* --- conntrack and policy ------------------------------------------------ */

/*
 * The full check of a packet in direction @dir that conntrack does not
 * already know to be allowed. The peer is the destination on egress and the
 * source on ingress; @peer_ep is its weft_endpoints entry when the caller
 * has looked it up (from-pod: the destination), NULL otherwise.
 *
 * The node can always reach its pods (kubelet probes): on ingress, a packet
 * the host sent (@from_host) or whose source has the host identity is
 * allowed before any policy is read, even without a policy map.
 *
 * Returns 0 or the drop reason; on 0, @why says what allowed it, for the
 * flow event of a new flow (lib/flow.h).
 */
struct flow_why {
	__u32 kind; /* WEFT_FLOW_ALLOWED, _OPEN or _NODE */
	__u32 peer; /* the peer's identity */
	__u32 rule; /* the allowing entry's rule cookie */
};

static __always_inline int flow_policy(const struct weft_veth *me, enum weft_policy_dir dir,
				       const struct l4_info *l4,
				       const struct weft_endpoint_info *peer_ep, bool from_host,
				       struct flow_why *why)
{
	__be32 peer = dir == WEFT_POLICY_EGRESS ? l4->tuple.daddr[0] : l4->tuple.saddr[0];
	long verdict;

	why->kind = WEFT_FLOW_NODE;
	why->peer = WEFT_IDENTITY_HOST;
	why->rule = 0;
	if (dir == WEFT_POLICY_INGRESS && from_host)
		return 0;
	why->peer = policy_peer_identity(peer, peer_ep);
	if (dir == WEFT_POLICY_INGRESS && why->peer == WEFT_IDENTITY_HOST)
		return 0;
	verdict = policy_check(me->endpoint_id, dir, why->peer, peer,
			       POLICY_PROTO_PORT(l4->tuple.protocol, bpf_ntohs(l4->tuple.dport)));
	if (verdict < 0)
		return verdict;
	/* Rule 0 is the open entry of a direction no policy covers. */
	why->kind = verdict ? WEFT_FLOW_ALLOWED : WEFT_FLOW_OPEN;
	why->rule = verdict;
	return 0;
}

/*
 * Conntrack and policy for an IPv4 packet of endpoint @me, in direction
 * @dir. Returns 0 when the packet may go on, or a drop reason.
 *
 *   forward hit, checked in @dir at the current revision: pass (an
 *     established flow costs the conntrack lookup and the revision read);
 *   forward hit, checked at an older revision or never in @dir: the full
 *     check; allowed: the revision is recorded; denied: the entry is
 *     removed and the packet dropped, WEFT_DROP_POLICY_REVOKED for a flow
 *     this direction had allowed, WEFT_DROP_POLICY_DENIED for one it sees
 *     first (a local flow the peer's egress has just let out);
 *   reply hit: pass, replies to an allowed connection are always allowed;
 *   miss: an ICMP error about a tracked flow of this endpoint passes; any
 *     other packet gets the full check, and an allowed one opens a flow
 *     checked in @dir at the current revision.
 *
 * The packet counts toward its flow's counters when @count (see
 * ct_update()). An @explain run takes the same decisions on lookups alone
 * and writes them into skb->cb[] (lib/explain.h): it creates, refreshes,
 * re-stamps and removes nothing, and sends no flow event. Packet pointers are invalid afterwards
 * (l4_parse_ipv4() may pull headers).
 */
static __always_inline int pod_flow(struct __sk_buff *skb, const struct weft_veth *me,
				    enum weft_policy_dir dir,
				    const struct weft_endpoint_info *peer_ep, bool from_host,
				    bool count, bool explain)
{
	struct weft_ct_entry *e;
	struct flow_why why;
	struct l4_info l4;
	enum ct_dir ctdir;
	__u32 rev, checked = 0;
	__u64 now;
	int verdict;

	if (!l4_parse_ipv4(skb, &l4))
		return WEFT_DROP_INVALID_PACKET;
	/* The coarse clock: CLOCK_MONOTONIC at tick resolution, which is all
	 * lifetimes counted in seconds need, for 13 ns less per packet than
	 * bpf_ktime_get_ns() (bench/policy_cost.c). */
	now = bpf_ktime_get_coarse_ns();
	rev = policy_revision();
	e = ct_lookup(&l4, now, &ctdir, explain);
	if (e) {
		if (ctdir == CT_REPLY)
			goto track;
		checked = dir == WEFT_POLICY_EGRESS ? e->rev_egress : e->rev_ingress;
		if (rev && checked == rev)
			goto track;
	} else if (ct_related(&l4, me->pod_ipv4, dir == WEFT_POLICY_EGRESS, now)) {
		if (explain)
			explain_policy(skb, WEFT_EXPLAIN_RELATED, 0, 0);
		return 0;
	}

	/* A new flow, or one whose check is stale: one call site for both
	 * keeps the inlined identity lookups one copy. */
	verdict = flow_policy(me, dir, &l4, peer_ep, from_host, &why);
	if (explain)
		explain_policy(skb, verdict < 0 ? WEFT_EXPLAIN_DENIED : why.kind, why.peer,
			       verdict < 0 ? 0 : why.rule);
	if (verdict < 0) {
		if (!e)
			return verdict;
		if (!explain)
			ct_delete(&l4);
		return verdict == WEFT_DROP_POLICY_DENIED && checked ? WEFT_DROP_POLICY_REVOKED
								     : verdict;
	}
	if (explain)
		return 0;
	/* A flow new in this direction (a local flow the peer's egress has
	 * just opened counts too), never a re-check after a policy change:
	 * that is no new connection, and would flood the ring after every
	 * change. */
	if (!checked)
		flow_allowed(skb, why.kind,
			     dir == WEFT_POLICY_EGRESS ? WEFT_DIR_FROM_POD : WEFT_DIR_TO_POD,
			     me->endpoint_id, why.peer, why.rule);
	if (!e) {
		if (dir == WEFT_POLICY_EGRESS)
			ct_create(&l4, skb->len, now, rev, 0, count);
		else
			ct_create(&l4, skb->len, now, 0, rev, count);
		return 0;
	}
	if (dir == WEFT_POLICY_EGRESS)
		e->rev_egress = rev;
	else
		e->rev_ingress = rev;
track:
	if (explain) {
		explain_policy(skb,
			       ctdir == CT_REPLY ? WEFT_EXPLAIN_REPLY : WEFT_EXPLAIN_ESTABLISHED, 0,
			       0);
		return 0;
	}
	ct_update(e, &l4, ctdir, skb->len, now, count);
	return 0;
}

/* --- from-pod ------------------------------------------------------------ */

static __always_inline enum weft_reason from_pod_arp(struct __sk_buff *skb,
						     const struct weft_veth *me, int *action)
{
	struct weft_arp *arp;
	struct ethhdr *eth;
	__be32 sip;

	if (!arp_parse(skb, &eth, &arp) || !arp_is_eth_ipv4(arp))
		return WEFT_DROP_INVALID_PACKET;

	/* The ARP sender fields are what neighbours learn from: they must be
	 * the pod's own, or 0.0.0.0 for a duplicate address probe (RFC 5227). */
	if (!eth_addr_equal(arp->sha, me->pod_mac))
		return WEFT_DROP_SPOOFED_MAC;
	sip = arp_ip(arp->sip);
	if (sip != me->pod_ipv4 && sip != 0)
		return WEFT_DROP_SPOOFED_IP;

	switch (arp->op) {
	case bpf_htons(WEFT_ARPOP_REQUEST):
		/* The gateway is the only neighbour a pod has; every other
		 * request (probes, gratuitous ARP, stray guesses) ends here so
		 * no broadcast reaches the host. */
		if (arp_ip(arp->tip) != WEFT_GATEWAY_IPV4_BE)
			return WEFT_DROP_ARP_NOT_GATEWAY;
		arp_make_gateway_reply(eth, arp, me->host_mac, WEFT_GATEWAY_IPV4_BE);
		/* Egress of this same veth: straight back into the pod. */
		*action = bpf_redirect(skb->ifindex, 0);
		return WEFT_FWD_ARP_REPLY;
	case bpf_htons(WEFT_ARPOP_REPLY):
		/* The pod answering the host's ARP for the pod address (the
		 * host route is podIP/32 dev <host veth>). */
		return WEFT_FWD_HOST;
	default: return WEFT_DROP_INVALID_PACKET;
	}
}

/*
 * A destination that is no local endpoint: in a remote node's pod range (or
 * a remote pod or node address) per weft_ipcache -> straight into the VXLAN
 * device with the tunnel key set, routed as one hop like local delivery.
 * Everything else goes to the host stack (this node, the world via SNAT).
 */
static __always_inline enum weft_reason
from_pod_remote_ipv4(struct __sk_buff *skb, struct iphdr *ip, int *action, bool explain)
{
	__be32 remote = ipcache_tunnel_ipv4(ipcache_lookup_ipv4(ip->daddr));
	__u32 ifindex;

	if (!remote)
		return WEFT_FWD_HOST;
	ifindex = overlay_ifindex();
	if (!ifindex)
		return WEFT_FWD_HOST;
	if (ip->ttl <= 1)
		return WEFT_DROP_TTL_EXCEEDED;
	ipv4_dec_ttl(ip);
	/* The inner MACs stay as the pod sent them: the receiving node's
	 * weft_from_overlay rewrites them for its pod, or marks the frame
	 * for its host. */
	if (tunnel_set_ipv4(skb, remote))
		return WEFT_DROP_TUNNEL_KEY;
	/* Here, not from the key: bpf_skb_get_tunnel_key() refuses a key
	 * set for sending. */
	if (explain)
		EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_TARGET1], remote);
	*action = bpf_redirect(ifindex, 0);
	return WEFT_FWD_TUNNEL;
}

static __always_inline enum weft_reason from_pod_ipv4(struct __sk_buff *skb,
						      const struct weft_veth *me, int *action,
						      __u32 *dst_id, bool explain)
{
	struct weft_endpoint_info *ep;
	struct ethhdr *eth;
	struct iphdr *ip;
	int verdict;

	if (!ipv4_parse(skb, &eth, &ip))
		return WEFT_DROP_INVALID_PACKET;
	if (ip->saddr != me->pod_ipv4)
		return WEFT_DROP_SPOOFED_IP;

	/* Looked up before the egress check, which needs the destination's
	 * identity for a new flow, and kept for the routing after it. A
	 * packet for a local pod is counted in its flow by that pod's
	 * to-pod, which always runs next (tail call or host veth). */
	ep = endpoint_lookup_ipv4(ip->daddr);
	verdict = pod_flow(skb, me, WEFT_POLICY_EGRESS, ep, false, !ep, explain);
	if (verdict < 0)
		return verdict;
	if (!ipv4_parse(skb, &eth, &ip))
		return WEFT_DROP_INVALID_PACKET;
	if (!ep)
		return from_pod_remote_ipv4(skb, ip, action, explain);
	/* ep is only read here: the tail call happens after weft_verdict(),
	 * in the entry point, with the id copied out. */
	return endpoint_route_ipv4(eth, ip, ep, action, dst_id);
}

static __always_inline enum weft_reason from_pod(struct __sk_buff *skb, const struct weft_veth *me,
						 int *action, __u32 *dst_id, bool explain)
{
	struct ethhdr *eth = eth_hdr(skb);

	if (!eth)
		return WEFT_DROP_INVALID_PACKET;
	if (!eth_addr_equal(eth->h_source, me->pod_mac))
		return WEFT_DROP_SPOOFED_MAC;

	switch (eth->h_proto) {
	case bpf_htons(ETH_P_ARP): return from_pod_arp(skb, me, action);
	case bpf_htons(ETH_P_IP): return from_pod_ipv4(skb, me, action, dst_id, explain);
	/* IPv6 slots in here as from_pod_ipv6(): the same steps with
	 * endpoint_lookup_ipv6(), hop limit for TTL, and NDP for the gateway
	 * (fe80::1) in place of ARP. */
	default: return WEFT_DROP_UNSUPPORTED_L3;
	}
}

SEC("tcx/ingress")
int weft_from_pod(struct __sk_buff *skb)
{
	const struct weft_veth *me = veth_lookup(skb);
	bool explain = explain_run(skb);
	enum weft_reason reason = WEFT_DROP_NO_ENDPOINT;
	int action = TC_ACT_OK, ret;
	__u32 dst_id = 0;

	if (me)
		reason = from_pod(skb, me, &action, &dst_id, explain);
	ret = weft_verdict(skb, WEFT_DIR_FROM_POD, reason, action, me ? me->endpoint_id : 0,
			   explain);

	/*
	 * Local delivery leaves through the destination's program, and a
	 * successful tail call never comes back: so the from-pod verdict is
	 * counted first, by the weft_verdict() above, exactly once whichever
	 * way the packet goes. The destination's program counts its own
	 * to-pod verdict.
	 *
	 * If the slot is empty (endpoint loaded by an older weftd, or not
	 * inserted yet) or the id is out of range, bpf_tail_call() returns and
	 * ret is still the bpf_redirect() to the destination's host veth that
	 * from_pod_ipv4() set up: nothing between the two touched the
	 * redirect target. ret != TC_ACT_REDIRECT means that redirect was
	 * refused, already counted as a drop.
	 */
	if (reason == WEFT_FWD_LOCAL && ret == TC_ACT_REDIRECT) {
		/* An explain run goes on into the destination's program too:
		 * its hop is the second in cb[], and the id says where. */
		if (explain)
			EXPLAIN_STORE(skb, cb[WEFT_EXPLAIN_CB_TARGET1], dst_id);
		bpf_tail_call(skb, &weft_policy_progs, dst_id);
	}
	return ret;
}

/* --- to-pod -------------------------------------------------------------- */

/*
 * The checks on every frame entering this pod, whichever way it comes:
 * weft_to_pod on the host veth's egress (the host stack: the node itself,
 * the world through the node, and the fallback redirects of weft_from_pod
 * and weft_from_overlay), or weft_to_pod_local tail-called from another
 * local pod's weft_from_pod or from weft_from_overlay. Both count under
 * WEFT_DIR_TO_POD with the reasons returned here, and both run the ingress
 * policy.
 *
 * @host_veth: running on the host veth's egress, where a packet the node
 * itself sent has skb->ingress_ifindex 0 (skb_iif is only set when a device
 * receives a packet; measured on this kernel with a veth: 0 for the node's
 * own ping, the ifindex of the ingress device for a forwarded one). On the
 * tail-call path the packet was received by a pod's or the VXLAN device, so
 * it never is the node's own.
 */
static __always_inline enum weft_reason to_pod(struct __sk_buff *skb, const struct weft_veth *me,
					       bool host_veth, bool explain)
{
	struct ethhdr *eth = eth_hdr(skb);
	struct iphdr *ip;
	int verdict;

	if (!eth)
		return WEFT_DROP_INVALID_PACKET;

	switch (eth->h_proto) {
	case bpf_htons(ETH_P_ARP):
		/* The host resolving the pod address, or our own gateway reply
		 * redirected here by weft_from_pod. */
		return WEFT_FWD_TO_POD;
	case bpf_htons(ETH_P_IP):
		if (!ipv4_parse(skb, &eth, &ip))
			return WEFT_DROP_INVALID_PACKET;
		if (ip->daddr != me->pod_ipv4)
			return WEFT_DROP_NOT_FOR_POD;
		verdict = pod_flow(skb, me, WEFT_POLICY_INGRESS, NULL,
				   host_veth && skb->ingress_ifindex == 0, true, explain);
		if (verdict < 0)
			return verdict;
		return WEFT_FWD_TO_POD;
	default: return WEFT_DROP_UNSUPPORTED_L3;
	}
}

SEC("tcx/egress")
int weft_to_pod(struct __sk_buff *skb)
{
	const struct weft_veth *me = veth_lookup(skb);
	bool explain = explain_run(skb);
	enum weft_reason reason = WEFT_DROP_NO_ENDPOINT;

	if (me)
		reason = to_pod(skb, me, true, explain);
	return weft_verdict(skb, WEFT_DIR_TO_POD, reason, TC_ACT_OK, me ? me->endpoint_id : 0,
			    explain);
}

/*
 * Tail-called by another local pod's weft_from_pod (or weft_from_overlay),
 * never attached. It runs on the sender's skb, still at the ingress of the
 * sender's host veth and already routed (MACs, TTL), so skb->ifindex is the
 * sender's: the destination's host veth is found by the packet's destination
 * address in weft_endpoints, as the caller found it, and the pod behind it in
 * weft_veths, as its weft_to_pod would find it. On accept the frame goes
 * straight into the ingress of that pod's eth0, the peer of its host veth:
 * one veth crossing instead of two, and the pod's host veth (and so its
 * weft_to_pod) is skipped, which is why to_pod() runs here. Only IPv4 is
 * tail-called here.
 *
 * SEC("tcx/ingress") although it plays the to-pod part: the kernel refuses a
 * tail call into a program whose type or expected_attach_type differs from
 * the program array's owner (weft_from_pod). bpf_redirect_peer() is also
 * only valid at tc ingress, which is where this runs.
 *
 * bpf_redirect_peer() only fails here for bad flags (counted as
 * WEFT_DROP_REDIRECT_FAILED by weft_verdict()); a peer that is down or gone
 * is found after the program returns and dropped by the kernel, in the
 * device's drop counters, as a failed bpf_redirect() would be.
 */
SEC("tcx/ingress")
int weft_to_pod_local(struct __sk_buff *skb)
{
	enum weft_reason reason = WEFT_DROP_INVALID_PACKET;
	const struct weft_veth *me = NULL;
	bool explain = explain_run(skb);
	struct weft_endpoint_info *ep;
	int action = TC_ACT_OK;
	struct ethhdr *eth;
	struct iphdr *ip;
	__u32 ifindex = 0;

	eth = eth_hdr(skb);
	if (eth && eth->h_proto != bpf_htons(ETH_P_IP))
		reason = WEFT_DROP_UNSUPPORTED_L3;
	else if (eth && ipv4_parse(skb, &eth, &ip)) {
		ep = endpoint_lookup_ipv4(ip->daddr);
		if (ep) {
			ifindex = ep->ifindex;
			/* The pod behind that veth, as its weft_to_pod knows
			 * it: to_pod() checks the destination against the
			 * pod's own address, so a stale weft_endpoints entry
			 * that names this veth for another address is refused
			 * (drop-not-for-pod), as it would be there. */
			me = veth_lookup_ifindex(ifindex);
		}
		reason = me ? to_pod(skb, me, false, explain) : WEFT_DROP_NO_ENDPOINT;
	}
	if (reason > 0)
		action = bpf_redirect_peer(ifindex, 0);
	return weft_verdict(skb, WEFT_DIR_TO_POD, reason, action, me ? me->endpoint_id : 0,
			    explain);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
