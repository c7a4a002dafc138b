// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "daemon/config.h"
#include "daemon/host/mtu.h"
#include "daemon/host/netdev.h"
#include "daemon/overlay/overlay.h"
#include "log.h"

int pod_mtu(struct netdev *nd, int node_mtu, const struct weft_addr *node_ip)
{
	int mtu = node_mtu;
	uint32_t addr;

	if (!mtu && node_ip) {
		memcpy(&addr, node_ip->addr, 4);
		mtu = netdev_addr_mtu(nd, addr);
		if (mtu < 0)
			pr_warn("no device here holds the node IP (%s): MTU from the default "
				"route",
				strerror(-mtu));
	}
	if (mtu <= 0)
		mtu = netdev_default_route_mtu(nd);
	if (mtu <= 0)
		mtu = WEFTD_DEFAULT_MTU;
	if (node_ip)
		mtu -= OVERLAY_IPV4_OVERHEAD;
	return mtu;
}
