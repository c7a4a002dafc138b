/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_HASH_H
#define WEFT_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * FNV-1a: fast, deterministic and good enough to tell names and builds apart.
 * It is not a cryptographic hash: nothing here hashes what an attacker could
 * choose to collide on purpose with any gain (a collision costs a probe).
 * Chain calls to hash several parts: h = fnv1a64(fnv1a64(FNV1A64_OFFSET, a, n), b, m).
 */
#define FNV1A64_OFFSET 0xcbf29ce484222325ULL
#define FNV1A32_OFFSET 2166136261u

uint64_t fnv1a64(uint64_t h, const void *data, size_t len);
/* The same over a NUL-terminated string (without the NUL). */
uint64_t fnv1a64_str(uint64_t h, const char *s);
uint32_t fnv1a32(uint32_t h, const void *data, size_t len);

/* FNV's low bits are weak; a table that masks with them mixes all bits down
 * first (the 64-bit finaliser of MurmurHash3). */
uint64_t hash_mix64(uint64_t h);

#endif
