/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection tracking in weft_conntrack (bpf/datapath.h, "Conntrack"): one
 * entry per flow, keyed by the tuple of its first packet. A packet finds its
 * flow under its own tuple (forward: sent by the side that opened it) or
 * under the swapped one (reply). Policy (lib/policy.h) runs on a flow's
 * first packet and again only when the policy revision moved, so an
 * established flow costs one or two hash lookups here.
 */
#ifndef WEFT_BPF_CONNTRACK_H
#define WEFT_BPF_CONNTRACK_H

#include "common.h"
#include "l4.h"
#include "maps.h"

#define WEFT_NSEC_PER_SEC 1000000000ull

enum ct_dir {
	CT_FORWARD = 1, /* the packet goes the way the flow's first packet went */
	CT_REPLY = 2,	/* the other way */
};

#define WEFT_CT_CLOSED (WEFT_CT_F_RST | WEFT_CT_F_FIN_FWD | WEFT_CT_F_FIN_REV)

/* TCP that ended: a RST either way, or a FIN each way. */
static __always_inline bool ct_tcp_closed(__u32 flags)
{
	return (flags & WEFT_CT_F_RST) || (flags & (WEFT_CT_F_FIN_FWD | WEFT_CT_F_FIN_REV)) ==
						  (WEFT_CT_F_FIN_FWD | WEFT_CT_F_FIN_REV);
}

/* How long a flow in this state lives after its last packet, in ns. */
static __always_inline __u64 ct_lifetime_ns(__u8 protocol, __u32 flags)
{
	__u64 s;

	switch (protocol) {
	case IPPROTO_TCP:
		if (ct_tcp_closed(flags))
			s = WEFT_CT_LIFETIME_TCP_CLOSING;
		else if (!(flags & WEFT_CT_F_REPLIED))
			s = WEFT_CT_LIFETIME_TCP_OPENING;
		else
			s = WEFT_CT_LIFETIME_TCP;
		break;
	case IPPROTO_UDP: s = WEFT_CT_LIFETIME_UDP; break;
	default: s = WEFT_CT_LIFETIME_OTHER; break;
	}
	return s * WEFT_NSEC_PER_SEC;
}

/* The flags a packet of @l4 adds to its flow in direction @dir. */
static __always_inline __u32 ct_packet_flags(const struct l4_info *l4, enum ct_dir dir)
{
	__u32 add = dir == CT_REPLY ? WEFT_CT_F_REPLIED : 0;

	if (l4->tuple.protocol != IPPROTO_TCP)
		return add;
	if (l4->tcp_flags & WEFT_TCP_FIN)
		add |= dir == CT_REPLY ? WEFT_CT_F_FIN_REV : WEFT_CT_F_FIN_FWD;
	if (l4->tcp_flags & WEFT_TCP_RST)
		add |= WEFT_CT_F_RST;
	return add;
}

static __always_inline void ct_tuple_swap(struct weft_ct_key *dst, const struct weft_ct_key *src)
{
	__builtin_memset(dst, 0, sizeof(*dst));
	dst->family = src->family;
	dst->protocol = src->protocol;
	dst->sport = src->dport;
	dst->dport = src->sport;
	dst->saddr[0] = src->daddr[0];
	dst->daddr[0] = src->saddr[0];
}

/* A TCP SYN without ACK: the first packet of a connection. */
static __always_inline bool ct_is_syn(const struct l4_info *l4)
{
	return l4->tuple.protocol == IPPROTO_TCP &&
	       (l4->tcp_flags & (WEFT_TCP_SYN | WEFT_TCP_ACK)) == WEFT_TCP_SYN;
}

/*
 * @e (found under @key) if it is a flow the packet belongs to, else NULL:
 * an expired entry counts as missing (weftd's GC may not have removed it
 * yet), and a new SYN on a TCP flow that has closed starts a new flow on
 * the same ports, so the old entry is removed and the SYN is checked and
 * tracked afresh (an @explain run only reads: the entry stays).
 */
static __always_inline struct weft_ct_entry *ct_live(struct weft_ct_entry *e,
						     const struct weft_ct_key *key,
						     const struct l4_info *l4, __u64 now,
						     bool explain)
{
	if (!e || e->expires_ns < now)
		return NULL;
	if (ct_is_syn(l4) && ct_tcp_closed(e->flags)) {
		if (!explain)
			bpf_map_delete_elem(&weft_conntrack, key);
		return NULL;
	}
	return e;
}

/*
 * The flow of the packet @l4: its entry and the packet's direction in it, or
 * NULL when the packet opens a new flow (or belongs to none: see
 * ct_related()). Forward first: it is the common direction of a flow's
 * packets, and it costs one lookup.
 */
static __always_inline struct weft_ct_entry *ct_lookup(const struct l4_info *l4, __u64 now,
						       enum ct_dir *dir, bool explain)
{
	struct weft_ct_entry *e;
	struct weft_ct_key rev;

	e = ct_live(bpf_map_lookup_elem(&weft_conntrack, &l4->tuple), &l4->tuple, l4, now, explain);
	if (e) {
		*dir = CT_FORWARD;
		return e;
	}
	ct_tuple_swap(&rev, &l4->tuple);
	e = ct_live(bpf_map_lookup_elem(&weft_conntrack, &rev), &rev, l4, now, explain);
	if (e)
		*dir = CT_REPLY;
	return e;
}

/*
 * Account a packet of @bytes to its flow @e: flags, lifetime and, when
 * @count, the packet and byte counters.
 *
 * The entry is shared by every CPU, so it is written only when something
 * changes: flags when the packet adds one, expires_ns when it would move
 * forward by a second or more, or back (the flow closed: a shorter
 * lifetime). A busy flow so writes its expiry about once a second, not once
 * per packet. The counters are atomic adds (the one atomic the BPF target
 * has at -mcpu=v1, the build's default); flags are a plain store because
 * v1 has no atomic OR: two CPUs adding different flags at the same instant
 * (a FIN each way at once) can lose one, which only keeps the flow at its
 * established lifetime until the LRU or the next such packet.
 *
 * @count is false where another program accounts the same packet to the
 * same flow (from-pod before the destination's to-pod on this node), so
 * each packet is counted once.
 */
static __always_inline void ct_update(struct weft_ct_entry *e, const struct l4_info *l4,
				      enum ct_dir dir, __u32 bytes, __u64 now, bool count)
{
	__u32 flags = e->flags, add = ct_packet_flags(l4, dir);
	__u64 expires, old = e->expires_ns;

	if (add & ~flags) {
		flags |= add;
		e->flags = flags;
	}
	expires = now + ct_lifetime_ns(l4->tuple.protocol, flags);
	if (expires < old || expires - old >= WEFT_NSEC_PER_SEC)
		e->expires_ns = expires;
	if (!count)
		return;
	if (dir == CT_FORWARD) {
		__sync_fetch_and_add(&e->packets_fwd, 1);
		__sync_fetch_and_add(&e->bytes_fwd, bytes);
	} else {
		__sync_fetch_and_add(&e->packets_rev, 1);
		__sync_fetch_and_add(&e->bytes_rev, bytes);
	}
}

/*
 * Track the new flow of @l4, opened by this packet (@bytes), checked by
 * policy at @rev_egress / @rev_ingress (0: not checked in that direction).
 * An existing entry for the tuple (expired, or closed and reopened) is
 * replaced. A full LRU map evicts its least recently used flow instead of
 * failing, so the result is not checked: the packet was allowed either way,
 * and a flow that could not be tracked is checked again on its next packet.
 */
static __always_inline void ct_create(const struct l4_info *l4, __u32 bytes, __u64 now,
				      __u32 rev_egress, __u32 rev_ingress, bool count)
{
	struct weft_ct_entry e;

	__builtin_memset(&e, 0, sizeof(e));
	e.flags = ct_packet_flags(l4, CT_FORWARD);
	e.expires_ns = now + ct_lifetime_ns(l4->tuple.protocol, e.flags);
	e.rev_egress = rev_egress;
	e.rev_ingress = rev_ingress;
	if (count) {
		e.packets_fwd = 1;
		e.bytes_fwd = bytes;
	}
	bpf_map_update_elem(&weft_conntrack, &l4->tuple, &e, BPF_ANY);
}

/* The flow the packet @l4 opened leaves the table: policy no longer allows
 * it, so its replies must not pass either. */
static __always_inline void ct_delete(const struct l4_info *l4)
{
	bpf_map_delete_elem(&weft_conntrack, &l4->tuple);
}

/*
 * Is the ICMP error @l4 about a flow weft tracks, one this endpoint
 * (@pod_ipv4) is part of? The quoted packet went from the error's
 * destination (so quoted source == outer destination); when the endpoint
 * sends the error (@from_pod), it must also be the quoted packet's
 * destination, so a pod cannot inject errors into other endpoints' flows.
 * The quoted packet may have gone either way of its flow, so both of its
 * tuples are looked up. Related errors pass without policy (as the kernel's
 * conntrack calls them RELATED) and do not touch the flow's entry.
 */
static __always_inline bool ct_related(const struct l4_info *l4, __be32 pod_ipv4, bool from_pod,
				       __u64 now)
{
	struct weft_ct_entry *e;
	struct weft_ct_key rev;

	if (!l4->icmp_error || l4->related.saddr[0] != l4->tuple.daddr[0])
		return false;
	if (from_pod && l4->related.daddr[0] != pod_ipv4)
		return false;
	e = bpf_map_lookup_elem(&weft_conntrack, &l4->related);
	if (e && e->expires_ns >= now)
		return true;
	ct_tuple_swap(&rev, &l4->related);
	e = bpf_map_lookup_elem(&weft_conntrack, &rev);
	return e && e->expires_ns >= now;
}

#endif
