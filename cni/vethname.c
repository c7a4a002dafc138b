// SPDX-License-Identifier: Apache-2.0
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "vethname.h"

void cni_veth_name(const char *container_id, const char *ifname, char out[IFNAMSIZ])
{
	uint64_t h = FNV1A64_OFFSET;

	/* The '/' keeps ("ab", "c") and ("a", "bc") apart: neither part may hold one. */
	h = fnv1a64_str(h, container_id);
	h = fnv1a64_str(h, "/");
	h = fnv1a64_str(h, ifname);
	snprintf(out, IFNAMSIZ, CNI_VETH_PREFIX "%011llx",
		 (unsigned long long)(h & ((1ULL << (4 * CNI_VETH_HEX)) - 1)));
}

int cni_veth_name_is_ours(const char *name)
{
	size_t plen = strlen(CNI_VETH_PREFIX);

	if (strlen(name) != plen + CNI_VETH_HEX || strncmp(name, CNI_VETH_PREFIX, plen))
		return 0;
	for (const char *p = name + plen; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}
