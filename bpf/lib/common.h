/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What every weft BPF entry file needs first: UAPI and libbpf headers, the
 * shared datapath definitions, and safe access to the packet.
 */
#ifndef WEFT_BPF_COMMON_H
#define WEFT_BPF_COMMON_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "datapath.h"

/* datapath.h cannot count on user space having ETH_ALEN. */
_Static_assert(WEFT_MAC_LEN == ETH_ALEN, "WEFT_MAC_LEN is an Ethernet address");

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline void *ctx_data(const struct __sk_buff *skb)
{
	return (void *)(long)skb->data;
}

static __always_inline void *ctx_data_end(const struct __sk_buff *skb)
{
	return (void *)(long)skb->data_end;
}

/*
 * Make the first @len bytes of the packet reachable by direct packet access.
 * A veth frame normally has its headers in the linear area already, so this
 * is one compare; for a non-linear skb it pulls them in.
 *
 * Returns false when the packet is shorter than @len (a malformed packet).
 * After a true return the caller must still reload data/data_end and check
 * the bounds itself: bpf_skb_pull_data() invalidates every packet pointer,
 * and the verifier only trusts a compare against data_end that it has seen
 * on the current path.
 */
static __always_inline bool ctx_pull(struct __sk_buff *skb, __u32 len)
{
	if (ctx_data(skb) + len <= ctx_data_end(skb))
		return true;
	if (len > skb->len)
		return false;
	return bpf_skb_pull_data(skb, len) == 0;
}

#endif
