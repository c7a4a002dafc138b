/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port ranges as masked port prefixes, the form the policy maps store them in
 * (bpf/datapath.h, "Network policy"): a hash map cannot match a range, but it
 * can match a port under each of the 17 prefix lengths, so [lo, hi] becomes
 * the few aligned blocks that tile it exactly, never one entry per port.
 */
#ifndef WEFTD_POLICY_PORTRANGE_H
#define WEFTD_POLICY_PORTRANGE_H

#include <stddef.h>
#include <stdint.h>

#define PORT_BITS 16
/* The worst case tiling of a 16-bit range (1-65534) takes 2 * 16 - 2 blocks. */
#define PORT_RANGE_MAX_PREFIXES (2 * PORT_BITS - 2)

/* The ports whose first @prefixlen bits equal @port's (the others are 0). */
struct port_prefix {
	uint16_t port;	   /* host order */
	uint8_t prefixlen; /* 0..16 */
};

/*
 * [@lo, @hi] as the minimal list of prefixes that cover exactly those ports,
 * in ascending order, into @out (room for PORT_RANGE_MAX_PREFIXES). Returns
 * how many; 0 when @lo > @hi.
 */
size_t port_range_split(uint16_t lo, uint16_t hi, struct port_prefix *out);

#endif
