/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv4 transport headers, as policy and conntrack need them: the flow's tuple
 * (addresses, protocol, ports), TCP flags, and for an ICMP error the tuple of
 * the packet it quotes, which names the flow the error belongs to.
 *
 * The tuple is written straight into a struct weft_ct_key, so conntrack
 * looks it up as it is, and policy reads the destination port from it.
 */
#ifndef WEFT_BPF_L4_H
#define WEFT_BPF_L4_H

#include <linux/in.h>
#include <linux/ip.h>

#include "common.h"

/* The protocols' own numbers (RFC 792, RFC 793), not taken from
 * <linux/icmp.h> and <linux/tcp.h>: only the fixed header bytes below are
 * read, at their offsets. */
#define WEFT_ICMP_ECHOREPLY	0
#define WEFT_ICMP_DEST_UNREACH	3
#define WEFT_ICMP_ECHO		8
#define WEFT_ICMP_TIME_EXCEEDED 11
#define WEFT_ICMP_PARAMETERPROB 12

#define WEFT_TCP_FIN 0x01
#define WEFT_TCP_SYN 0x02
#define WEFT_TCP_RST 0x04
#define WEFT_TCP_ACK 0x10

#define WEFT_IP_OFFSET 0x1fff /* fragment offset bits of frag_off (host order) */

/* Bytes of the transport header that are read: 8 for every protocol (the
 * ports of TCP, UDP and SCTP, ICMP's fixed header: type, code, checksum, echo
 * id and sequence), which each protocol's header is at least; TCP also up to
 * its flags (byte 13). Constant lengths keep every bounds check a constant
 * offset from one packet pointer, the form the verifier tracks. */
#define L4_MIN_LEN 8
#define L4_TCP_LEN 14

struct l4_info {
	struct weft_ct_key tuple; /* this packet's flow, source = its sender */
	__u8 tcp_flags;		  /* WEFT_TCP_*; 0 for other protocols */
	bool icmp_error;	  /* ICMP error: related holds the quoted flow */
	struct weft_ct_key related;
};

/*
 * Ports of a TCP, UDP or SCTP header, or of an ICMP echo (the id as both
 * ports, so that request and reply are one flow), read from @l4hdr, of which
 * L4_MIN_LEN bytes are known to be in the packet. Other ICMP types and other
 * protocols have none (0).
 */
static __always_inline void l4_ports(const __u8 *l4hdr, __u8 protocol, __be16 *sport, __be16 *dport)
{
	__be16 id;

	switch (protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		__builtin_memcpy(sport, l4hdr, sizeof(*sport));
		__builtin_memcpy(dport, l4hdr + 2, sizeof(*dport));
		break;
	case IPPROTO_ICMP:
		if (l4hdr[0] == WEFT_ICMP_ECHO || l4hdr[0] == WEFT_ICMP_ECHOREPLY) {
			__builtin_memcpy(&id, l4hdr + 4, sizeof(id));
			*sport = id;
			*dport = id;
		}
		break;
	}
}

static __always_inline void l4_tuple_init(struct weft_ct_key *t, const struct iphdr *ip)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = WEFT_FAMILY_IPV4;
	t->protocol = ip->protocol;
	t->saddr[0] = ip->saddr;
	t->daddr[0] = ip->daddr;
}

/*
 * The quoted packet of an ICMP error (RFC 792: its IPv4 header, options
 * included, and the first 8 bytes of its payload) at packet offset @off.
 * Returns false when it is not there whole; the error then counts as
 * unrelated to any flow and policy decides on it like on any ICMP packet.
 */
static __always_inline bool l4_parse_quoted(struct __sk_buff *skb, __u32 off, struct l4_info *l4)
{
	struct iphdr *inner;
	void *data, *end;
	__u8 *l4hdr;
	__u32 hlen;

	if (!ctx_pull(skb, off + sizeof(struct iphdr)))
		return false;
	data = ctx_data(skb);
	end = ctx_data_end(skb);
	inner = data + off;
	if ((void *)(inner + 1) > end)
		return false;
	if (inner->version != 4 || inner->ihl < 5)
		return false;
	hlen = inner->ihl * 4;
	l4_tuple_init(&l4->related, inner);
	/* A quoted non-first fragment has no ports, like the fragment itself
	 * (see l4_parse_ipv4()). */
	if (inner->frag_off & bpf_htons(WEFT_IP_OFFSET))
		return true;

	/* The pull invalidates data, end and inner; off + hlen is re-derived
	 * from values already copied out, and checked against the new end. */
	if (!ctx_pull(skb, off + hlen + L4_MIN_LEN))
		return false;
	data = ctx_data(skb);
	l4hdr = data + off + hlen;
	if ((void *)l4hdr + L4_MIN_LEN > ctx_data_end(skb))
		return false;
	l4_ports(l4hdr, l4->related.protocol, &l4->related.sport, &l4->related.dport);
	return true;
}

/*
 * Fill @l4 from the IPv4 packet of @skb, which ipv4_parse() has accepted.
 * Honours IHL: the transport header starts after the options. Returns false
 * for a packet too short for its transport header (malformed).
 *
 * Fragments: only the first carries the transport header. A non-first
 * fragment (offset != 0) gets ports 0 and no flags, so conntrack and policy
 * see it as a flow of its own with ports 0: it passes where a policy entry
 * allows its protocol on every port (or any protocol), and is dropped
 * otherwise. Tracking fragments by IP id to give them their first
 * fragment's ports is not done.
 *
 * Every ctx_pull() invalidates the packet pointers, so each step re-derives
 * them from ctx_data() and checks them against a fresh ctx_data_end().
 */
static __always_inline bool l4_parse_ipv4(struct __sk_buff *skb, struct l4_info *l4)
{
	struct iphdr *ip;
	__u32 off, need;
	void *data;
	__u8 *l4hdr;

	if (!ctx_pull(skb, sizeof(struct ethhdr) + sizeof(struct iphdr)))
		return false;
	data = ctx_data(skb);
	ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > ctx_data_end(skb))
		return false;
	l4_tuple_init(&l4->tuple, ip);
	l4->tcp_flags = 0;
	l4->icmp_error = false;
	if (ip->frag_off & bpf_htons(WEFT_IP_OFFSET))
		return true;

	switch (l4->tuple.protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_ICMP: break;
	default: return true; /* no ports */
	}
	off = sizeof(struct ethhdr) + ip->ihl * 4;
	need = l4->tuple.protocol == IPPROTO_TCP ? L4_TCP_LEN : L4_MIN_LEN;
	if (!ctx_pull(skb, off + need))
		return false;
	data = ctx_data(skb);
	l4hdr = data + off;
	if ((void *)l4hdr + L4_MIN_LEN > ctx_data_end(skb))
		return false;
	l4_ports(l4hdr, l4->tuple.protocol, &l4->tuple.sport, &l4->tuple.dport);
	if (l4->tuple.protocol == IPPROTO_TCP) {
		if ((void *)l4hdr + L4_TCP_LEN > ctx_data_end(skb))
			return false;
		l4->tcp_flags = l4hdr[13];
		return true;
	}
	if (l4->tuple.protocol != IPPROTO_ICMP)
		return true;

	switch (l4hdr[0]) {
	case WEFT_ICMP_DEST_UNREACH:
	case WEFT_ICMP_TIME_EXCEEDED:
	case WEFT_ICMP_PARAMETERPROB:
		l4->icmp_error = l4_parse_quoted(skb, off + L4_MIN_LEN, l4);
		break;
	}
	return true;
}

#endif
