/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef WEFT_BPF_IPV4_H
#define WEFT_BPF_IPV4_H

#include <linux/ip.h>

#include "common.h"

/*
 * Point @eth and @ip at the headers, or return false when the packet is
 * malformed: truncated, version not 4, ihl < 5, or header or total length
 * beyond the packet. Both pointers come from one load of skb->data and one
 * bounds check (see arp_parse()).
 */
static __always_inline bool ipv4_parse(struct __sk_buff *skb, struct ethhdr **eth,
				       struct iphdr **ip)
{
	struct iphdr *iph;
	void *data;
	__u32 hlen;

	if (!ctx_pull(skb, sizeof(struct ethhdr) + sizeof(struct iphdr)))
		return false;
	data = ctx_data(skb);
	if (data + sizeof(struct ethhdr) + sizeof(struct iphdr) > ctx_data_end(skb))
		return false;
	iph = data + sizeof(struct ethhdr);
	if (iph->version != 4 || iph->ihl < 5)
		return false;

	/* Only the fixed header is read or written, so options need not be in
	 * the linear area: checking the lengths against skb->len is enough to
	 * know the header is complete. At tc skb->len counts the Ethernet
	 * header, and may exceed it by link-layer padding. */
	hlen = iph->ihl * 4;
	if (bpf_ntohs(iph->tot_len) < hlen ||
	    sizeof(struct ethhdr) + bpf_ntohs(iph->tot_len) > skb->len)
		return false;

	*eth = data;
	*ip = iph;
	return true;
}

/* One's complement sum folded to 16 bits. */
static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * Decrement TTL and patch the header checksum incrementally (RFC 1624,
 * eqn. 3: HC' = ~(~HC + ~m + m')), where m is the 16-bit word holding TTL and
 * protocol. Done by hand rather than with bpf_l3_csum_replace(): no helper
 * call, so the packet pointers stay valid for the MAC rewrite that follows.
 * The caller has checked ttl > 1.
 */
static __always_inline void ipv4_dec_ttl(struct iphdr *ip)
{
	__u16 old = (__u16)ip->ttl << 8 | ip->protocol;
	__u16 new = (__u16)(ip->ttl - 1) << 8 | ip->protocol;
	__u32 sum;

	sum = (__u16)~bpf_ntohs(ip->check) + (__u16)~old + new;
	ip->check = bpf_htons((__u16)~csum_fold32(sum));
	ip->ttl--;
}

#endif
