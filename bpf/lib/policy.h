/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The full policy check of a new flow (bpf/datapath.h, "Network policy"):
 * the endpoint's own policy map from weft_policy_maps, its direction's meta
 * entry, then one hash lookup per (peer candidate, shape) the meta entry
 * names, so the cost depends on the shapes a policy uses and never on how
 * many entries the map holds. Established flows do not come here:
 * lib/conntrack.h remembers the revision a flow was checked at.
 */
#ifndef WEFT_BPF_POLICY_H
#define WEFT_BPF_POLICY_H

#include "common.h"
#include "endpoint.h"
#include "maps.h"
#include "overlay.h"

/* Port prefix lengths 0..16: WEFT_POLICY_SHAPE_PREFIX(len). */
#define POLICY_PORT_BITS 16

/* The node's policy revision (weft_policy_state[0]); 0 while weftd has set
 * none, which no conntrack entry counts as checked. */
static __always_inline __u32 policy_revision(void)
{
	struct weft_policy_state *s;
	__u32 key = 0;

	s = bpf_map_lookup_elem(&weft_policy_state, &key);
	return s ? s->revision : 0;
}

/*
 * The security identity of the peer at @addr: a local endpoint's (@ep, or
 * looked up when the caller has none), else weft_ipcache's, else world.
 * A local endpoint whose entry has no identity yet (0) falls back to the
 * ipcache, which holds local pods too. What is still unknown (0: a pod of a
 * remote range not in the model yet) counts as world, so only rules for
 * the world allow it.
 */
static __always_inline __u32 policy_peer_identity(__be32 addr, const struct weft_endpoint_info *ep)
{
	struct weft_ipcache_value *v;
	__u32 id = 0;

	if (!ep)
		ep = endpoint_lookup_ipv4(addr);
	if (ep)
		id = ep->identity;
	if (id == WEFT_IDENTITY_UNKNOWN) {
		v = ipcache_lookup_ipv4(addr);
		if (v)
			id = v->identity;
	}
	return id == WEFT_IDENTITY_UNKNOWN ? WEFT_IDENTITY_WORLD : id;
}

/* The ipBlock identity of the longest policy prefix holding @addr, or 0. */
static __always_inline __u32 policy_cidr_identity(__be32 addr)
{
	struct weft_ipcache_key key;
	struct weft_policy_cidr *v;

	__builtin_memset(&key, 0, sizeof(key));
	key.prefixlen = WEFT_IPCACHE_PREFIX_BASE + 32;
	key.family = WEFT_FAMILY_IPV4;
	key.addr[0] = addr;
	v = bpf_map_lookup_elem(&weft_policy_cidrs, &key);
	return v ? v->identity : 0;
}

/* Only these protocols have ports in a policy; every other one is matched
 * by any-protocol entries alone. */
static __always_inline bool policy_has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP;
}

/*
 * Does some entry of @map allow @peer in @key's direction (set by the
 * caller), for @protocol and destination port @port (host order), under
 * @shapes? The allowing entry's rule goes to @rule.
 *
 * A bounded loop over the 17 prefix lengths, most specific first (clang 14
 * keeps it a loop; the verifier walks each iteration, bounded loops being
 * fine since 5.3); a shape not in @shapes costs a bit test, no lookup. The
 * key is written before the shape test so that both ways through an
 * iteration leave the same stack, and the verifier prunes the one it meets
 * second. Every byte of @key is set before each lookup: the hash covers
 * the padding too.
 */
static __always_inline bool policy_match_peer(void *map, struct weft_policy_key *key, __u32 peer,
					      __u32 shapes, __u8 protocol, __u16 port, __u32 *rule)
{
	struct weft_policy_value *v;
	__u32 len;

	key->peer = peer;
	if (shapes & WEFT_POLICY_SHAPE_ANY_PROTO) {
		key->protocol = 0;
		key->port_prefixlen = 0;
		key->port = 0;
		v = bpf_map_lookup_elem(map, key);
		if (v) {
			*rule = v->rule;
			return true;
		}
	}
	if (!policy_has_ports(protocol))
		return false;
	key->protocol = protocol;
	for (len = POLICY_PORT_BITS + 1; len-- > 0;) {
		key->port_prefixlen = len;
		/* The len leading bits of the port; 0xffff0000 >> 0 keeps none. */
		key->port = bpf_htons(port & (__u16)(0xffff0000u >> len));
		if (!(shapes & WEFT_POLICY_SHAPE_PREFIX(len)))
			continue;
		v = bpf_map_lookup_elem(map, key);
		if (v) {
			*rule = v->rule;
			return true;
		}
	}
	return false;
}

/* A flow's protocol and destination port (host order) as one argument of
 * policy_check(): a BPF function takes at most five. */
#define POLICY_PROTO_PORT(protocol, port) ((__u32)(protocol) << 16 | (port))

/*
 * May endpoint @ep_id open a flow of @proto_port (POLICY_PROTO_PORT()) in
 * direction @dir with the peer at @peer_addr, whose identity is @peer_id?
 * Returns the allowing entry's rule cookie (>= 0), or the drop
 * reason (< 0): WEFT_DROP_NO_POLICY_MAP when the endpoint has no policy map
 * (fail closed: an endpoint weftd has not given one yet allows nothing),
 * WEFT_DROP_POLICY_DENIED when no entry allows the flow, including a
 * direction without a meta entry.
 *
 * The port is the packet's destination port in both directions: the port
 * the flow's opener connects to, which NetworkPolicy's ports name.
 *
 * A global function, the one exception to lib/'s static __always_inline,
 * for the verifier: it checks a global function once, on its own and for
 * any argument values, where it walks an inlined copy (and its 3 x 17
 * iteration loops) again for every distinct state a caller reaches it in,
 * and the transport parser leaves many (each protocol, ICMP error or not,
 * a new or a stale flow). weft_from_pod went from 140,000 instructions
 * verified to a tenth of that. The arguments are scalars because a global
 * function cannot take the pointers its callers hold. It is only defined in
 * weft_pod.bpf.c, the one object that includes this header; the call costs a
 * few ns, and only on the full check, never on an established flow.
 */
__noinline long policy_check(__u32 ep_id, __u32 dir, __u32 peer_id, __be32 peer_addr,
			     __u32 proto_port)
{
	__u8 protocol = proto_port >> 16;
	__u16 dport = proto_port;
	struct weft_policy_value *meta;
	struct weft_policy_key key;
	__u32 shapes, cidr, rule = 0;
	void *map;

	map = bpf_map_lookup_elem(&weft_policy_maps, &ep_id);
	if (!map)
		return WEFT_DROP_NO_POLICY_MAP;
	__builtin_memset(&key, 0, sizeof(key));
	key.peer = WEFT_POLICY_META_PEER;
	key.direction = dir;
	meta = bpf_map_lookup_elem(map, &key);
	if (!meta)
		return WEFT_DROP_POLICY_DENIED;
	shapes = meta->shapes;

	/* The candidates one after the other rather than a loop over an
	 * array of them: a variable index into the stack is harder on the
	 * verifier than three copies. Most specific peer first, so the rule
	 * reported is the one naming the peer when there is one. */
	if (policy_match_peer(map, &key, peer_id, shapes, protocol, dport, &rule))
		return rule;
	if (shapes & WEFT_POLICY_SHAPE_CIDR_PEER) {
		cidr = policy_cidr_identity(peer_addr);
		if (cidr && policy_match_peer(map, &key, cidr, shapes, protocol, dport, &rule))
			return rule;
	}
	if ((shapes & WEFT_POLICY_SHAPE_ANY_PEER) &&
	    policy_match_peer(map, &key, WEFT_POLICY_ANY_PEER, shapes, protocol, dport, &rule))
		return rule;
	return WEFT_DROP_POLICY_DENIED;
}

#endif
