/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Looking up local endpoints by address, for either family. */
#ifndef WEFT_BPF_ENDPOINT_H
#define WEFT_BPF_ENDPOINT_H

#include "common.h"
#include "maps.h"

/*
 * The whole key is zeroed first: it is hashed byte for byte, padding and the
 * unused address words included, and weftd writes zeros there. (The verifier
 * also rejects a map key with uninitialised stack bytes.)
 */
static __always_inline struct weft_endpoint_info *endpoint_lookup_ipv4(__be32 addr)
{
	struct weft_ip_key key;

	__builtin_memset(&key, 0, sizeof(key));
	key.family = WEFT_FAMILY_IPV4;
	key.addr[0] = addr;
	return bpf_map_lookup_elem(&weft_endpoints, &key);
}

/* IPv6 slots in here: family 6, all four words of the address. */

#endif
