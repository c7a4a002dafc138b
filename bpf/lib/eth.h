/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef WEFT_BPF_ETH_H
#define WEFT_BPF_ETH_H

#include "common.h"

/*
 * MACs are compared and copied byte by byte: an Ethernet address in the
 * packet is only 2-byte aligned, and one in a map value (weft_veths,
 * weft_endpoints) sits at an offset of 2 mod 4, so wider loads would be
 * unaligned on strict architectures.
 */
static __always_inline bool eth_addr_equal(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] &&
	       a[5] == b[5];
}

static __always_inline void eth_addr_copy(__u8 *dst, const __u8 *src)
{
	dst[0] = src[0];
	dst[1] = src[1];
	dst[2] = src[2];
	dst[3] = src[3];
	dst[4] = src[4];
	dst[5] = src[5];
}

/* Ethernet header of @skb, or NULL when the frame is shorter than one. */
static __always_inline struct ethhdr *eth_hdr(struct __sk_buff *skb)
{
	struct ethhdr *eth;

	if (!ctx_pull(skb, sizeof(*eth)))
		return NULL;
	eth = ctx_data(skb);
	if ((void *)(eth + 1) > ctx_data_end(skb))
		return NULL;
	return eth;
}

#endif
