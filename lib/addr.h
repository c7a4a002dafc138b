/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addresses and prefixes of either family, parsed and formatted in one place
 * for the plugin, weftd and weftctl. Only IPv4 is used on the datapath today;
 * the types hold IPv6 already so dual-stack is a change of callers, not of types.
 */
#ifndef WEFT_ADDR_H
#define WEFT_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Text sizes with the NUL: an address, and an address with "/128". */
#define WEFT_ADDR_STRLEN   INET6_ADDRSTRLEN
#define WEFT_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

/* An address of either family, comparable with memcmp (unused bytes are zero). */
struct weft_addr {
	uint16_t family;  /* AF_INET, AF_INET6; 0 = none */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* An address and a prefix length. weft_prefix_parse() gives a network (host bits
 * zero); with WEFT_PREFIX_HOST_BITS it may be an interface address instead. */
struct weft_prefix {
	struct weft_addr addr;
	uint8_t len;
};

enum weft_prefix_flags {
	/* "10.0.0.1" alone is 10.0.0.1/32 (/128 for IPv6). */
	WEFT_PREFIX_LEN_OPTIONAL = 1 << 0,
	/* "10.244.0.5/24" (an interface address, as CNI results carry) is fine. */
	WEFT_PREFIX_HOST_BITS = 1 << 1,
};

/* "10.0.0.1" or "fd00::1" -> 0, else -EINVAL. */
int weft_addr_parse(const char *s, struct weft_addr *out);
/* "10.244.1.0/24", "fd00:1::/64" -> 0; -EINVAL for a bad address, a missing or
 * out of range length, or host bits set (almost surely a typo). */
int weft_prefix_parse(const char *s, struct weft_prefix *out);
/* The same, relaxed by @flags (enum weft_prefix_flags). */
int weft_prefix_parse_flags(const char *s, unsigned int flags, struct weft_prefix *out);

/* 32 or 128: the length of a host prefix of @a's family. */
unsigned int weft_addr_bits(const struct weft_addr *a);
bool weft_addr_equal(const struct weft_addr *a, const struct weft_addr *b);
bool weft_prefix_equal(const struct weft_prefix *a, const struct weft_prefix *b);
/* @a/32 or @a/128. */
/* Every address of @inner is in @outer (same family, @inner at least as long,
 * the same leading @outer->len bits). A prefix is within itself. */
bool weft_prefix_within(const struct weft_prefix *inner, const struct weft_prefix *outer);
struct weft_prefix weft_prefix_host(const struct weft_addr *a);

/* IPv4 in network order, the form the kernel and the BPF maps use. */
struct weft_addr weft_addr_from_ipv4(uint32_t be);
/* The IPv4 address in network order; @a must be AF_INET. */
uint32_t weft_addr_ipv4(const struct weft_addr *a);

/* Text form into @buf (WEFT_ADDR_STRLEN is enough), "(none)" for no address;
 * returns @buf. */
const char *weft_addr_format(const struct weft_addr *a, char *buf, size_t len);
/* "10.244.1.0/24" into @buf (WEFT_PREFIX_STRLEN is enough); returns @buf. */
const char *weft_prefix_format(const struct weft_prefix *p, char *buf, size_t len);

#endif
