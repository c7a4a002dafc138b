// SPDX-License-Identifier: Apache-2.0
/* lib/hash.c against the published FNV-1a vectors: veth names and pod
 * identities are made from these hashes, so a change must show up here. */
#include "hash.h"
#include "testing.h"

int main(void)
{
	CHECK_INT(fnv1a32(FNV1A32_OFFSET, "", 0), 0x811c9dc5u, "fnv1a32 of nothing is the offset");
	CHECK_INT(fnv1a32(FNV1A32_OFFSET, "a", 1), 0xe40c292cu, "fnv1a32(\"a\")");
	CHECK_INT(fnv1a32(FNV1A32_OFFSET, "foobar", 6), 0xbf9cf968u, "fnv1a32(\"foobar\")");
	CHECK(fnv1a64(FNV1A64_OFFSET, "a", 1) == 0xaf63dc4c8601ec8cULL, "fnv1a64(\"a\")");
	CHECK(fnv1a64_str(FNV1A64_OFFSET, "foobar") == 0x85944171f73967e8ULL,
	      "fnv1a64(\"foobar\")");
	CHECK(fnv1a64_str(fnv1a64_str(FNV1A64_OFFSET, "foo"), "bar") ==
		      fnv1a64_str(FNV1A64_OFFSET, "foobar"),
	      "chained calls hash the concatenation");
	return test_done();
}
