// SPDX-License-Identifier: Apache-2.0
/*
 * Another tool deleted weft_vxlan or detached the overlay's programs (an
 * `ip link del`, a `bpftool link detach`, a cleanup script): cross-node
 * traffic stops until they are back. Checked on weftd's 1 s tick, which
 * costs one link lookup and two pinned-link reads while all is well.
 */
#include <errno.h>
#include <string.h>

#include "daemon/host/netdev.h"
#include "daemon/overlay/ipcache_map.h"
#include "daemon/overlay/overlay_int.h"
#include "daemon/overlay/overlay_prog.h"
#include "log.h"

/* The device, made again with the settings overlay_open() gave it. */
static int repair_device(struct overlay *ov)
{
	struct netdev_vxlan v = {.name = OVERLAY_DEVICE, .port = ov->p.port, .mtu = ov->p.mtu};
	int ifindex, err;
	bool created;

	memcpy(&v.local, ov->p.node_ip.addr, 4);
	err = netdev_vxlan_ensure(ov->nd, &v, &ifindex, &created);
	if (err)
		return err;
	/* A lookup that failed for another reason: nothing happened. */
	if (!created && ifindex == ov->ifindex)
		return 0;
	if (created)
		pr_warn("overlay: vxlan device %s (ifindex %d) was deleted by someone else; "
			"recreated (ifindex %d)",
			OVERLAY_DEVICE, ov->ifindex, ifindex);
	else
		pr_warn("overlay: vxlan device %s (ifindex %d) was replaced by someone else "
			"(ifindex %d, same settings); taking it",
			OVERLAY_DEVICE, ov->ifindex, ifindex);
	ov->ifindex = ifindex;
	ov->repairs_vxlan++;
	/* Its links went with the old device: this build's programs. */
	err = overlay_prog_attach(ov->p.bpf_dir, ov->p.bpffs, ov->p.layout, ifindex);
	if (!err)
		err = overlay_config_write(ov->p.bpffs, ov->p.layout, ifindex);
	overlay_routes_again(ov);
	return err;
}

void overlay_repair(struct overlay *ov)
{
	const char *what = "the programs on " OVERLAY_DEVICE;
	int err;

	if (!ov)
		return;
	if (netdev_exists(ov->nd, OVERLAY_DEVICE, ov->ifindex) != 1) {
		what = "vxlan device " OVERLAY_DEVICE;
		err = repair_device(ov);
		goto out;
	}
	err = overlay_prog_running(ov->p.bpffs, ov->ifindex);
	if (err == 1) {
		err = 0;
		goto out;
	}
	if (err)
		goto out;
	pr_warn("overlay: the programs on %s (ifindex %d) were detached by someone else; "
		"re-attaching them",
		OVERLAY_DEVICE, ov->ifindex);
	err = overlay_prog_attach(ov->p.bpf_dir, ov->p.bpffs, ov->p.layout, ov->ifindex);
	if (!err)
		ov->repairs_programs++;
out:
	if (err && !ov->repair_failed)
		pr_warn("overlay: cannot repair %s: %s; trying again every second", what,
			strerror(-err));
	else if (!err && ov->repair_failed)
		pr_info("overlay: %s repaired", what);
	ov->repair_failed = err != 0;
}
