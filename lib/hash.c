// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "hash.h"

#define FNV1A64_PRIME 0x100000001b3ULL
#define FNV1A32_PRIME 16777619u

/*
 * One loop for both widths. The low 32 bits of a product depend only on the
 * low 32 bits of its factors, and the xor touches only the low byte, so the
 * 32-bit hash is the low half of this loop run with the 32-bit prime.
 */
static uint64_t fnv1a(uint64_t h, uint64_t prime, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= prime;
	}
	return h;
}

uint64_t fnv1a64(uint64_t h, const void *data, size_t len)
{
	return fnv1a(h, FNV1A64_PRIME, data, len);
}

uint64_t fnv1a64_str(uint64_t h, const char *s)
{
	return fnv1a64(h, s, strlen(s));
}

uint32_t fnv1a32(uint32_t h, const void *data, size_t len)
{
	return (uint32_t)fnv1a(h, FNV1A32_PRIME, data, len);
}

uint64_t hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}
