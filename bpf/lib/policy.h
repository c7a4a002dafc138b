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
 * Unknown (0: an endpoint whose identity weftd has not written yet falls
 * back to the ipcache, which holds local pods too; a remote range's
 * not-yet-known pod) counts as world, so only world rules allow it.
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
 * Does some entry of @map allow @peer in @key's direction (set by the caller), for @protocol and
 * destination port @port (host order), under
 * @shapes? The allowing entry's rule goes to @rule.
 *
 * A bounded loop over the 17 prefix lengths, most specific first: clang 14
 * keeps it a loop or unrolls it, and the verifier walks every iteration
 * either way (bounded loops, kernel >= 5.3); a shape not in @shapes costs a
 * bit test, no lookup. Every byte of @key is set before each lookup: the
 * hash covers the padding too.
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
		if (!(shapes & WEFT_POLICY_SHAPE_PREFIX(len)))
			continue;
		key->port_prefixlen = len;
		/* The len leading bits of the port; 0xffff0000 >> 0 keeps none. */
		key->port = bpf_htons(port & (__u16)(0xffff0000u >> len));
		v = bpf_map_lookup_elem(map, key);
		if (v) {
			*rule = v->rule;
			return true;
		}
	}
	return false;
}

/*
 * May endpoint @ep_id open the flow @t in direction @dir with the peer at
 * @peer_addr, whose identity is @peer_id? Returns 0 and the allowing rule in
 * @rule, or the drop reason: WEFT_DROP_NO_POLICY_MAP when the endpoint has
 * no policy map (fail closed: an endpoint weftd has not given one yet, or
 * whose map is being replaced wrongly, allows nothing), and
 * WEFT_DROP_POLICY_DENIED when no entry allows the flow, including a
 * direction without a meta entry.
 *
 * The port is the packet's destination port in both directions: the port
 * the flow's opener connects to, which NetworkPolicy's ports name.
 */
static __always_inline int policy_check(__u32 ep_id, enum weft_policy_dir dir, __u32 peer_id,
					__be32 peer_addr, const struct weft_ct_key *t, __u32 *rule)
{
	struct weft_policy_value *meta;
	struct weft_policy_key key;
	__u32 shapes, cidr;
	__u16 port;
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
	port = bpf_ntohs(t->dport);

	/* The candidates one after the other rather than a loop over an
	 * array of them: a variable index into the stack is harder on the
	 * verifier than three inlined copies. Most specific peer first, so
	 * the rule reported is the one naming the peer when there is one. */
	if (policy_match_peer(map, &key, peer_id, shapes, t->protocol, port, rule))
		return 0;
	if (shapes & WEFT_POLICY_SHAPE_CIDR_PEER) {
		cidr = policy_cidr_identity(peer_addr);
		if (cidr && policy_match_peer(map, &key, cidr, shapes, t->protocol, port, rule))
			return 0;
	}
	if ((shapes & WEFT_POLICY_SHAPE_ANY_PEER) &&
	    policy_match_peer(map, &key, WEFT_POLICY_ANY_PEER, shapes, t->protocol, port, rule))
		return 0;
	return WEFT_DROP_POLICY_DENIED;
}

#endif
