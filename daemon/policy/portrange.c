// SPDX-License-Identifier: Apache-2.0
/*
 * Port ranges to masked prefixes. Greedy from the low end: the largest block
 * that starts at @lo (aligned to @lo's lowest set bit) and ends by @hi. The
 * blocks it picks are exactly the maximal aligned blocks inside the range,
 * which is the one minimal tiling.
 */
#include "daemon/policy/portrange.h"

size_t port_range_split(uint16_t lo, uint16_t hi, struct port_prefix *out)
{
	/* 32 bits, so the block past 65535 does not wrap back to 0. */
	uint32_t at = lo, end = (uint32_t)hi + 1;
	size_t n = 0;

	while (at < end) {
		unsigned int len = at ? (unsigned int)__builtin_ctz(at) : PORT_BITS;

		if (len > PORT_BITS)
			len = PORT_BITS;
		while (at + (1u << len) > end)
			len--;
		out[n++] = (struct port_prefix){.port = (uint16_t)at,
						.prefixlen = (uint8_t)(PORT_BITS - len)};
		at += 1u << len;
	}
	return n;
}
