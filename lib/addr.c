// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

int weft_addr_parse(const char *s, struct weft_addr *out)
{
	struct weft_addr a = {};

	if (!s)
		return -EINVAL;
	/* Only a colon makes it IPv6: no guessing between the two parsers. */
	a.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, s, a.addr) != 1)
		return -EINVAL;
	*out = a;
	return 0;
}

unsigned int weft_addr_bits(const struct weft_addr *a)
{
	return a->family == AF_INET6 ? 128 : 32;
}

static bool host_bits_set(const struct weft_prefix *p)
{
	for (unsigned int bit = p->len; bit < weft_addr_bits(&p->addr); bit++) {
		if (p->addr.addr[bit / 8] & (0x80 >> (bit % 8)))
			return true;
	}
	return false;
}

int weft_prefix_parse_flags(const char *s, unsigned int flags, struct weft_prefix *out)
{
	char buf[WEFT_ADDR_STRLEN], *end;
	struct weft_prefix p = {};
	const char *slash;
	size_t alen;
	long len;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (weft_addr_parse(buf, &p.addr))
		return -EINVAL;
	if (!slash) {
		if (!(flags & WEFT_PREFIX_LEN_OPTIONAL))
			return -EINVAL;
		len = weft_addr_bits(&p.addr);
	} else {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || len < 0 ||
		    len > (long)weft_addr_bits(&p.addr))
			return -EINVAL;
	}
	p.len = (uint8_t)len;
	if (!(flags & WEFT_PREFIX_HOST_BITS) && host_bits_set(&p))
		return -EINVAL;
	*out = p;
	return 0;
}

int weft_prefix_parse(const char *s, struct weft_prefix *out)
{
	return weft_prefix_parse_flags(s, 0, out);
}

bool weft_addr_equal(const struct weft_addr *a, const struct weft_addr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

bool weft_prefix_equal(const struct weft_prefix *a, const struct weft_prefix *b)
{
	return a->len == b->len && weft_addr_equal(&a->addr, &b->addr);
}

bool weft_prefix_within(const struct weft_prefix *inner, const struct weft_prefix *outer)
{
	unsigned int full = outer->len / 8, rest = outer->len % 8;

	if (inner->addr.family != outer->addr.family || inner->len < outer->len)
		return false;
	if (memcmp(inner->addr.addr, outer->addr.addr, full))
		return false;
	return !rest ||
	       !((inner->addr.addr[full] ^ outer->addr.addr[full]) & (uint8_t)(0xff00 >> rest));
}

struct weft_prefix weft_prefix_host(const struct weft_addr *a)
{
	return (struct weft_prefix){.addr = *a, .len = (uint8_t)weft_addr_bits(a)};
}

struct weft_addr weft_addr_from_ipv4(uint32_t be)
{
	struct weft_addr a = {.family = AF_INET};

	memcpy(a.addr, &be, sizeof(be));
	return a;
}

uint32_t weft_addr_ipv4(const struct weft_addr *a)
{
	uint32_t be;

	memcpy(&be, a->addr, sizeof(be));
	return be;
}

const char *weft_addr_format(const struct weft_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->addr, buf, (socklen_t)len))
		snprintf(buf, len, "(none)");
	return buf;
}

const char *weft_prefix_format(const struct weft_prefix *p, char *buf, size_t len)
{
	char a[WEFT_ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", weft_addr_format(&p->addr, a, sizeof(a)), p->len);
	return buf;
}
