// SPDX-License-Identifier: Apache-2.0
/* lib/addr.c: the one parser and formatter of addresses and prefixes. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "testing.h"

/* The text @s parses as a prefix with @flags and formats back as @want. */
static void round_trip(const char *s, unsigned int flags, const char *want)
{
	char buf[WEFT_PREFIX_STRLEN];
	struct weft_prefix p;
	int ret = weft_prefix_parse_flags(s, flags, &p);

	CHECK_INT(ret, 0, "prefix '%s' parses", s);
	if (!ret)
		CHECK_STR(weft_prefix_format(&p, buf, sizeof(buf)), want, "'%s' formats", s);
}

static void test_addr(void)
{
	char buf[WEFT_ADDR_STRLEN];
	struct weft_addr a, b;

	CHECK_INT(weft_addr_parse("10.244.1.7", &a), 0, "IPv4 parses");
	CHECK_INT(a.family, AF_INET, "IPv4 family");
	CHECK_INT(weft_addr_bits(&a), 32, "IPv4 is 32 bits");
	CHECK(!memcmp(a.addr, "\x0a\xf4\x01\x07\0\0\0\0\0\0\0\0\0\0\0\0", 16),
	      "IPv4 in network order, the rest zero");
	CHECK_INT(weft_addr_ipv4(&a), htonl(0x0af40107), "IPv4 as a network-order word");
	CHECK_STR(weft_addr_format(&a, buf, sizeof(buf)), "10.244.1.7", "IPv4 formats");
	b = weft_addr_from_ipv4(htonl(0x0af40107));
	CHECK(weft_addr_equal(&a, &b), "from_ipv4 gives the same address");

	CHECK_INT(weft_addr_parse("fd00:1::5", &a), 0, "IPv6 parses");
	CHECK_INT(a.family, AF_INET6, "IPv6 family");
	CHECK_INT(weft_addr_bits(&a), 128, "IPv6 is 128 bits");
	CHECK_STR(weft_addr_format(&a, buf, sizeof(buf)), "fd00:1::5", "IPv6 formats");
	CHECK_INT(weft_addr_parse("::ffff:10.0.0.1", &b), 0, "v4-mapped IPv6 parses");
	CHECK_INT(b.family, AF_INET6, "a colon makes it IPv6");
	CHECK(!weft_addr_equal(&a, &b), "different IPv6 addresses differ");

	memset(&a, 0, sizeof(a));
	CHECK_STR(weft_addr_format(&a, buf, sizeof(buf)), "(none)", "no address formats as (none)");

	CHECK_INT(weft_addr_parse(NULL, &a), -EINVAL, "NULL refused");
	CHECK_INT(weft_addr_parse("", &a), -EINVAL, "empty refused");
	CHECK_INT(weft_addr_parse("10.244.1", &a), -EINVAL, "three octets refused");
	CHECK_INT(weft_addr_parse("10.244.1.256", &a), -EINVAL, "octet 256 refused");
	CHECK_INT(weft_addr_parse("10.244.1.7/32", &a), -EINVAL, "a length is no address");
	CHECK_INT(weft_addr_parse(" 10.244.1.7", &a), -EINVAL, "leading space refused");
	CHECK_INT(weft_addr_parse("fd00::1::2", &a), -EINVAL, "two :: refused");
	CHECK_INT(weft_addr_parse("banana", &a), -EINVAL, "not an address");
}

static void test_prefix(void)
{
	struct weft_prefix p, q;

	round_trip("10.244.1.0/24", 0, "10.244.1.0/24");
	round_trip("0.0.0.0/0", 0, "0.0.0.0/0");
	round_trip("10.244.1.7/32", 0, "10.244.1.7/32");
	round_trip("fd00:1::/64", 0, "fd00:1::/64");
	round_trip("::/0", 0, "::/0");
	round_trip("fd00::1/128", 0, "fd00::1/128");

	CHECK_INT(weft_prefix_parse("10.244.1.7/24", &p), -EINVAL, "host bits refused");
	CHECK_INT(weft_prefix_parse("10.244.1.128/25", &p), 0, "/25 on its boundary");
	CHECK_INT(weft_prefix_parse("10.244.1.129/25", &p), -EINVAL, "a host bit past /25 refused");
	CHECK_INT(weft_prefix_parse("fd00:1::1/64", &p), -EINVAL, "IPv6 host bits refused");
	CHECK_INT(weft_prefix_parse("10.244.1.0", &p), -EINVAL, "missing length refused");
	CHECK_INT(weft_prefix_parse("10.244.1.0/", &p), -EINVAL, "empty length refused");
	CHECK_INT(weft_prefix_parse("10.244.1.0/33", &p), -EINVAL, "/33 refused");
	CHECK_INT(weft_prefix_parse("fd00::/129", &p), -EINVAL, "/129 refused");
	CHECK_INT(weft_prefix_parse("10.244.1.0/-1", &p), -EINVAL, "negative length refused");
	CHECK_INT(weft_prefix_parse("10.244.1.0/24x", &p), -EINVAL, "trailing junk refused");
	CHECK_INT(weft_prefix_parse("10.244.1.0/99999999999999999999", &p), -EINVAL,
		  "overflowing length refused");
	CHECK_INT(weft_prefix_parse("banana/24", &p), -EINVAL, "not an address");
	CHECK_INT(weft_prefix_parse("/24", &p), -EINVAL, "no address");
	CHECK_INT(weft_prefix_parse(NULL, &p), -EINVAL, "NULL refused");
	CHECK_INT(weft_prefix_parse("1111:2222:3333:4444:5555:6666:7777:8888:9999/64", &p), -EINVAL,
		  "an address too long for any family refused");

	/* The relaxed forms CNI results use. */
	round_trip("10.244.0.5/24", WEFT_PREFIX_HOST_BITS, "10.244.0.5/24");
	round_trip("10.244.0.5", WEFT_PREFIX_LEN_OPTIONAL, "10.244.0.5/32");
	round_trip("fd00::5", WEFT_PREFIX_LEN_OPTIONAL, "fd00::5/128");
	CHECK_INT(weft_prefix_parse_flags("10.244.0.5/24", WEFT_PREFIX_LEN_OPTIONAL, &p), -EINVAL,
		  "an optional length still refuses host bits");
	CHECK_INT(weft_prefix_parse_flags("10.244.0.5", WEFT_PREFIX_HOST_BITS, &p), -EINVAL,
		  "host bits alone do not make the length optional");
	CHECK_INT(weft_prefix_parse_flags("10.244.0.5/40", WEFT_PREFIX_HOST_BITS, &p), -EINVAL,
		  "/40 refused with host bits allowed");

	weft_prefix_parse("10.244.1.0/24", &p);
	weft_prefix_parse("10.244.1.0/24", &q);
	CHECK(weft_prefix_equal(&p, &q), "equal prefixes");
	weft_prefix_parse("10.244.1.0/25", &q);
	CHECK(!weft_prefix_equal(&p, &q), "another length differs");
	weft_addr_parse("10.244.1.9", &q.addr);
	q = weft_prefix_host(&q.addr);
	CHECK_INT(q.len, 32, "an IPv4 host prefix is /32");
	weft_addr_parse("fd00::9", &q.addr);
	q = weft_prefix_host(&q.addr);
	CHECK_INT(q.len, 128, "an IPv6 host prefix is /128");
}

static bool within(const char *inner, const char *outer)
{
	struct weft_prefix i, o;

	if (weft_prefix_parse(inner, &i) || weft_prefix_parse(outer, &o))
		return false;
	return weft_prefix_within(&i, &o);
}

static void test_within(void)
{
	CHECK(within("10.1.0.0/16", "10.0.0.0/8"), "a /16 is within its /8");
	CHECK(within("10.0.0.0/8", "10.0.0.0/8"), "a prefix is within itself");
	CHECK(within("10.1.2.3/32", "0.0.0.0/0"), "everything is within /0");
	CHECK(!within("10.0.0.0/8", "10.1.0.0/16"), "a shorter prefix is not within");
	CHECK(!within("11.0.0.0/16", "10.0.0.0/8"), "another network is not within");
	CHECK(within("10.0.0.128/25", "10.0.0.0/24"), "a bit boundary inside a byte");
	CHECK(within("10.0.1.128/25", "10.0.0.0/23"), "a /23 holds both /24s");
	CHECK(!within("10.0.2.0/24", "10.0.0.0/23"), "the next /24 is not in the /23");
	CHECK(!within("fd00::/64", "0.0.0.0/0"), "families never mix");
	CHECK(within("fd00::1/128", "fd00::/64"), "IPv6");
}

static void test_format_short_buffer(void)
{
	struct weft_prefix p;
	char small[8];

	weft_prefix_parse("10.244.100.0/24", &p);
	weft_prefix_format(&p, small, sizeof(small));
	CHECK_INT(strlen(small), sizeof(small) - 1, "a short buffer is cut, still terminated");
}

int main(void)
{
	test_addr();
	test_prefix();
	test_within();
	test_format_short_buffer();
	return test_done();
}
