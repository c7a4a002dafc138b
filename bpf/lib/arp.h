/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ARP for Ethernet/IPv4, and the gateway answer that keeps the pod's ARP
 * traffic off the host.
 *
 * <linux/if_arp.h> is not used: it includes <linux/if.h>, which includes
 * glibc's <sys/socket.h>, and that fails under -target bpf (gnu/stubs-32.h).
 * The few constants needed are the protocol's own numbers (RFC 826).
 */
#ifndef WEFT_BPF_ARP_H
#define WEFT_BPF_ARP_H

#include "common.h"
#include "eth.h"

#define WEFT_ARPHRD_ETHER  1
#define WEFT_ARPOP_REQUEST 1
#define WEFT_ARPOP_REPLY   2

/* An Ethernet/IPv4 ARP packet. The addresses are byte arrays because the
 * sender IP sits at offset 14 of the ARP header: not 4-byte aligned. */
struct weft_arp {
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 sip[4];
	__u8 tha[ETH_ALEN];
	__u8 tip[4];
} __attribute__((packed));

/* Read a 4-byte IPv4 address out of the packet, in network order. */
static __always_inline __be32 arp_ip(const __u8 *p)
{
	__be32 ip;

	__builtin_memcpy(&ip, p, sizeof(ip));
	return ip;
}

static __always_inline void arp_set_ip(__u8 *p, __be32 ip)
{
	__builtin_memcpy(p, &ip, sizeof(ip));
}

/*
 * Point @eth and @arp at the headers, or return false when the packet is too
 * short. Both pointers come from one load of skb->data and one bounds check:
 * the verifier grants the checked range only to pointers derived from the
 * same load, so a fresh ctx_data() later would need checking again.
 */
static __always_inline bool arp_parse(struct __sk_buff *skb, struct ethhdr **eth,
				      struct weft_arp **arp)
{
	void *data;

	if (!ctx_pull(skb, sizeof(struct ethhdr) + sizeof(struct weft_arp)))
		return false;
	data = ctx_data(skb);
	if (data + sizeof(struct ethhdr) + sizeof(struct weft_arp) > ctx_data_end(skb))
		return false;
	*eth = data;
	*arp = data + sizeof(struct ethhdr);
	return true;
}

/* Ethernet hardware, IPv4 protocol: the only ARP weft speaks. */
static __always_inline bool arp_is_eth_ipv4(const struct weft_arp *arp)
{
	return arp->hrd == bpf_htons(WEFT_ARPHRD_ETHER) && arp->pro == bpf_htons(ETH_P_IP) &&
	       arp->hln == ETH_ALEN && arp->pln == 4;
}

/*
 * Turn the request in place into "gateway is at @gw_mac", addressed back to
 * the requester. The frame length does not change, so no helper is needed
 * and the packet pointers stay valid.
 */
static __always_inline void arp_make_gateway_reply(struct ethhdr *eth, struct weft_arp *arp,
						   const __u8 *gw_mac, __be32 gw_ip)
{
	__be32 requester_ip = arp_ip(arp->sip);

	arp->op = bpf_htons(WEFT_ARPOP_REPLY);
	/* The requester's MAC is already known to be the pod's (anti-spoof). */
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	arp_set_ip(arp->tip, requester_ip);
	eth_addr_copy(arp->sha, gw_mac);
	arp_set_ip(arp->sip, gw_ip);

	__builtin_memcpy(eth->h_dest, arp->tha, ETH_ALEN);
	eth_addr_copy(eth->h_source, gw_mac);
}

#endif
