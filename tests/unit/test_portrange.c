// SPDX-License-Identifier: Apache-2.0
/*
 * daemon/policy/portrange.c: port ranges as masked prefixes, checked against
 * a brute force over all 65536 ports: the prefixes cover exactly the range,
 * do not overlap, and each is maximal (its parent block is not inside the
 * range), which makes the tiling the one minimal tiling.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "daemon/policy/portrange.h"
#include "testing.h"

#define PORTS 65536

static unsigned char covered[PORTS];

/* Whether the split of [lo, hi] is exact, disjoint, maximal and sorted; on
 * failure, why, into @why. */
static bool split_is_minimal_tiling(unsigned int lo, unsigned int hi, char *why, size_t len)
{
	struct port_prefix p[PORT_RANGE_MAX_PREFIXES + 1];
	size_t n = port_range_split((uint16_t)lo, (uint16_t)hi, p);

	memset(covered, 0, sizeof(covered));
	for (size_t i = 0; i < n; i++) {
		unsigned int size = 1u << (PORT_BITS - p[i].prefixlen), first = p[i].port;
		unsigned int parent = size * 2, parent_first = first & ~(parent - 1);

		if (p[i].prefixlen > PORT_BITS || (first & (size - 1))) {
			snprintf(why, len, "prefix %u/%u is not aligned", first, p[i].prefixlen);
			return false;
		}
		if (i && p[i].port <= p[i - 1].port) {
			snprintf(why, len, "prefixes out of order at %zu", i);
			return false;
		}
		/* Maximal: the block twice as large is not inside the range. */
		if (p[i].prefixlen && parent_first >= lo && parent_first + parent - 1 <= hi) {
			snprintf(why, len, "prefix %u/%u could be its parent", first,
				 p[i].prefixlen);
			return false;
		}
		for (unsigned int port = first; port < first + size; port++) {
			if (covered[port]++) {
				snprintf(why, len, "port %u covered twice", port);
				return false;
			}
		}
	}
	for (unsigned int port = 0; port < PORTS; port++) {
		if (covered[port] != (port >= lo && port <= hi)) {
			snprintf(why, len, "port %u %s", port,
				 covered[port] ? "covered" : "missing");
			return false;
		}
	}
	if (n > PORT_RANGE_MAX_PREFIXES) {
		snprintf(why, len, "%zu prefixes", n);
		return false;
	}
	return true;
}

static void test_examples(void)
{
	static const struct {
		uint16_t lo, hi;
		size_t n;
		struct port_prefix first;
	} cases[] = {
		{80, 80, 1, {80, 16}},
		{0, 65535, 1, {0, 0}},
		{1000, 1999, 7, {1000, 13}},
		{1, 65534, 30, {1, 16}},
		{0, 32767, 1, {0, 1}},
		{32768, 65535, 1, {32768, 1}},
		{65535, 65535, 1, {65535, 16}},
		{0, 0, 1, {0, 16}},
		{8080, 8081, 1, {8080, 15}},
		{1024, 65535, 6, {1024, 6}},
		{81, 80, 0, {0, 0}},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct port_prefix p[PORT_RANGE_MAX_PREFIXES];
		size_t n = port_range_split(cases[i].lo, cases[i].hi, p);

		CHECK_INT(n, cases[i].n, "%u-%u splits into %zu prefixes", cases[i].lo, cases[i].hi,
			  cases[i].n);
		if (n && cases[i].n)
			CHECK(p[0].port == cases[i].first.port &&
				      p[0].prefixlen == cases[i].first.prefixlen,
			      "%u-%u starts with %u/%u (got %u/%u)", cases[i].lo, cases[i].hi,
			      cases[i].first.port, cases[i].first.prefixlen, p[0].port,
			      p[0].prefixlen);
	}
}

/* Ranges near every power of two (where the blocks change size), from 0 and
 * to 65535, and many random ones: every one checked port by port. One CHECK
 * per family of ranges, naming the first range that fails. */
static void test_brute_force(void)
{
	char why[128] = "";
	unsigned int bad_lo = 0, bad_hi = 0, checked = 0;
	bool ok = true;

	for (unsigned int b = 0; ok && b <= PORT_BITS; b++) {
		unsigned int edge = 1u << b;

		for (int dl = -2; ok && dl <= 2; dl++) {
			for (int dh = -2; ok && dh <= 2; dh++) {
				long lo = (long)edge + dl, hi = (long)edge * 3 / 2 + dh;

				if (lo < 0 || hi > 65535 || lo > hi)
					continue;
				checked++;
				ok = split_is_minimal_tiling(lo, hi, why, sizeof(why));
				bad_lo = lo, bad_hi = hi;
			}
		}
	}
	CHECK(ok, "%u ranges around powers of two tile exactly and minimally%s%s", checked,
	      ok ? "" : ": ", ok ? "" : why);
	if (!ok)
		printf("#   range %u-%u\n", bad_lo, bad_hi);

	checked = 0;
	for (unsigned int x = 0; ok && x < 300; x++) {
		ok = split_is_minimal_tiling(0, x * 218, why, sizeof(why)) &&
		     split_is_minimal_tiling(x * 218, 65535, why, sizeof(why)) &&
		     split_is_minimal_tiling(x, x, why, sizeof(why));
		bad_lo = x;
		checked += 3;
	}
	CHECK(ok, "%u ranges from 0, to 65535 and of one port tile exactly%s%s", checked,
	      ok ? "" : ": ", ok ? "" : why);

	srand(9);
	checked = 0;
	for (unsigned int i = 0; ok && i < 8000; i++) {
		unsigned int a = (unsigned int)rand() % PORTS, b = (unsigned int)rand() % PORTS;

		/* Half of them short, as endPort ranges usually are. */
		if (i % 2) {
			b = a + (unsigned int)rand() % 600;
			if (b >= PORTS)
				b = PORTS - 1;
		}
		bad_lo = a < b ? a : b, bad_hi = a < b ? b : a;
		ok = split_is_minimal_tiling(bad_lo, bad_hi, why, sizeof(why));
		checked++;
	}
	CHECK(ok, "%u random ranges tile exactly and minimally%s%s", checked, ok ? "" : ": ",
	      ok ? "" : why);
	if (!ok)
		printf("#   range %u-%u\n", bad_lo, bad_hi);
}

int main(void)
{
	test_examples();
	test_brute_force();
	return test_done();
}
