/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef WEFT_BPF_IPV4_H
#define WEFT_BPF_IPV4_H

#include <linux/ip.h>

#include "common.h"

/*
 * The IPv4 header after the Ethernet header, or NULL when it is malformed:
 * version not 4, ihl < 5, header or total length beyond the packet.
 * Options are allowed (and left alone); only the fixed fields are touched.
 */
static __always_inline struct iphdr *ipv4_hdr(struct __sk_buff *skb)
{
	struct iphdr *ip;
	__u32 hlen;

	if (!ctx_pull(skb, sizeof(struct ethhdr) + sizeof(*ip)))
		return NULL;
	ip = ctx_data(skb) + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > ctx_data_end(skb))
		return NULL;
	if (ip->version != 4 || ip->ihl < 5)
		return NULL;

	/* Only the fixed header is read or written, so the options need not be
	 * in the linear area; checking the lengths against skb->len is enough
	 * to know the header is complete. skb->len counts the Ethernet header
	 * at tc, and may exceed it by link-layer padding. */
	hlen = ip->ihl * 4;
	if (bpf_ntohs(ip->tot_len) < hlen ||
	    sizeof(struct ethhdr) + bpf_ntohs(ip->tot_len) > skb->len)
		return NULL;
	return ip;
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
