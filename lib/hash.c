// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "hash.h"

#define FNV1A64_PRIME 0x100000001b3ULL
#define FNV1A32_PRIME 16777619u

uint64_t fnv1a64(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV1A64_PRIME;
	}
	return h;
}

uint64_t fnv1a64_str(uint64_t h, const char *s)
{
	return fnv1a64(h, s, strlen(s));
}

uint32_t fnv1a32(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV1A32_PRIME;
	}
	return h;
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
