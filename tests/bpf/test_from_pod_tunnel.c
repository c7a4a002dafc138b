// SPDX-License-Identifier: Apache-2.0
/*
 * weft_from_pod into the overlay: a destination whose weft_ipcache entry
 * names a tunnel endpoint (another node) goes to the VXLAN device once weftd
 * has configured one; this node's own address, and anything outside every
 * range, go to the host.
 */
#include <string.h>
#include <linux/ip.h>

#include "tests/bpf/harness.h"

static void test_tunnel(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	const struct iphdr *ip;
	struct pkt p;
	struct run r;

	/* setup: the remote node's range and pod, and this node */
	CHECK_INT(put_overlay_ipcache(a), 0, "ipcache: remote range, remote pod, local node");

	/* No VXLAN device configured yet: the host decides. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, REMOTE_POD, 64, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "tunnel: remote pod without an overlay device goes to the host");

	CHECK_INT(set_vxlan_ifindex(a, VXLAN_IFINDEX), 0, "overlay config: vxlan ifindex %d",
		  VXLAN_IFINDEX);
	r = expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_TUNNEL,
		   "tunnel: remote pod (its /32) into the overlay");
	ip = (const void *)(r.out.buf + sizeof(struct ethhdr));
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, 2 * ETH_ALEN) && ip->ttl == 63 &&
		      csum16(ip, sizeof(*ip)) == 0,
	      "tunnel: macs kept, ttl decremented, checksum valid");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "10.1.0.200", 64, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_TUNNEL,
	       "tunnel: unknown address in a remote range into the overlay");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, LOCAL_NODE_IP, 64, 64);
	r = expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
		   "tunnel: this node's address (no tunnel endpoint) goes to the host");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "tunnel: host-bound frame unchanged");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "10.1.1.1", 64, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "tunnel: outside every range goes to the host");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, REMOTE_POD, 1, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_TTL_EXCEEDED,
	       "tunnel: ttl 1 to a remote pod");
}

HARNESS_MAIN({"tunnel: from the pod into the overlay", test_tunnel})
