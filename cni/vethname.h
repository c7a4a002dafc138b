// SPDX-License-Identifier: Apache-2.0
/* The host-side veth name: a stable function of (containerID, ifname). */
#ifndef WEFT_CNI_VETHNAME_H
#define WEFT_CNI_VETHNAME_H

#include <net/if.h>

#define CNI_VETH_PREFIX "wft"
#define CNI_VETH_HEX	11 /* 3 + 11 = 14 characters, under IFNAMSIZ - 1 */

/* "wft" + 11 lowercase hex of FNV-1a-64(containerID "/" ifname). */
void cni_veth_name(const char *container_id, const char *ifname, char out[IFNAMSIZ]);
/* 1 when @name has exactly the shape cni_veth_name() produces. */
int cni_veth_name_is_ours(const char *name);

#endif
