// SPDX-License-Identifier: Apache-2.0
/*
 * weft_overlay.bpf.o on the VXLAN device, sharing the pods' maps:
 * weft_from_overlay delivers decapsulated packets to local pods (through
 * their program when their slot is filled) or to the host;
 * weft_to_overlay gives the host's own packets for remote pods their tunnel
 * key from weft_ipcache.
 */
#include <string.h>
#include <linux/ip.h>

#include "tests/bpf/harness.h"

/* The overlay programs run on the VXLAN device, no pod's veth: on no device
 * here, which has no weft_veths entry either. */
static struct run overlay_expect(const struct weft_pod_bpf *a, const struct bpf_program *prog,
				 int dir, const struct pkt *in, int want_ret, int reason,
				 const char *what)
{
	return expect_on(a, prog, dir, in, NO_IFINDEX, 0, want_ret, reason, what);
}

static const uint8_t remote_gw_mac[ETH_ALEN] = {0xee, 0xee, 0xee, 0x00, 0x00, 0x09};
static const uint8_t remote_pod_mac[ETH_ALEN] = {0x02, 0x00, 0x0a, 0x01, 0x00, 0x09};

/* Decapsulated and for a local pod, first straight to its host veth (empty
 * slot), then through its program. */
static void test_from_overlay_local(struct weft_pod_bpf *a, struct weft_overlay_bpf *o)
{
	const struct ethhdr *eth;
	const struct iphdr *ip;
	struct delta to;
	struct pkt p;
	struct run r;

	/* MACs as the remote pod sent them. */
	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, PEER_IP, 63, 64);
	r = overlay_expect(a, o->progs.weft_from_overlay, WEFT_DIR_OVERLAY, &p, TC_ACT_REDIRECT,
			   WEFT_FWD_LOCAL,
			   "from-overlay: to a local pod (empty slot: its host veth)");
	eth = (const void *)r.out.buf;
	ip = (const void *)(eth + 1);
	CHECK(r.out.len == p.len && !memcmp(eth->h_source, peer_host_mac, ETH_ALEN) &&
		      !memcmp(eth->h_dest, peer_mac, ETH_ALEN) && ip->ttl == 62 &&
		      csum16(ip, sizeof(*ip)) == 0,
	      "from-overlay: routed to the local pod (macs, ttl, checksum)");

	/* With weft_to_pod_local in the peer's slot, the overlay program's
	 * tail call reaches it: the program array accepts the overlay program,
	 * and weft_to_pod_local finds B by the destination (the skb is on the
	 * VXLAN device, no pod's veth). */
	if (add_peer(a))
		return;
	CHECK_INT(set_policy_prog(a, PEER_ID, a->progs.weft_to_pod_local), 0,
		  "from-overlay: weft_to_pod_local in the peer's slot");
	delta_start(&to, a, WEFT_DIR_TO_POD, WEFT_FWD_TO_POD);
	overlay_expect(a, o->progs.weft_from_overlay, WEFT_DIR_OVERLAY, &p, TC_ACT_REDIRECT,
		       WEFT_FWD_LOCAL, "from-overlay: to a local pod through its program");
	delta_check(&to, a, 1, &p, "from-overlay: the peer's to-pod checks ran");
	CHECK_INT(bpf_map__delete_elem(a->maps.weft_policy_progs, &(uint32_t){PEER_ID},
				       sizeof(uint32_t), 0),
		  0, "from-overlay: peer's slot emptied again");
}

static void test_from_overlay_other(struct weft_pod_bpf *a, struct weft_overlay_bpf *o)
{
	const struct bpf_program *prog = o->progs.weft_from_overlay;
	struct pkt p;
	struct run r;

	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, LOCAL_NODE_IP, 63, 64);
	r = overlay_expect(a, prog, WEFT_DIR_OVERLAY, &p, TC_ACT_OK, WEFT_FWD_HOST,
			   "from-overlay: unknown destination (this node) goes to the host");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "from-overlay: host-bound frame unchanged");

	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, PEER_IP, 1, 64);
	overlay_expect(a, prog, WEFT_DIR_OVERLAY, &p, TC_ACT_SHOT, WEFT_DROP_TTL_EXCEEDED,
		       "from-overlay: ttl 1 to a local pod");

	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, remote_pod_mac, REMOTE_POD, zero_mac, PEER_IP);
	overlay_expect(a, prog, WEFT_DIR_OVERLAY, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3,
		       "from-overlay: arp");
}

/* The host's own packets routed into the device: key from ipcache. */
static void test_to_overlay(struct weft_pod_bpf *a, struct weft_overlay_bpf *o)
{
	const struct bpf_program *prog = o->progs.weft_to_overlay;
	struct pkt p;
	struct run r;

	pkt_eth(&p, remote_gw_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, LOCAL_NODE_IP, REMOTE_POD, 64, 64);
	r = overlay_expect(a, prog, WEFT_DIR_TO_OVERLAY, &p, TC_ACT_OK, WEFT_FWD_TUNNEL,
			   "to-overlay: host to a remote pod gets its tunnel key");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "to-overlay: frame unchanged");

	pkt_eth(&p, remote_gw_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, LOCAL_NODE_IP, "10.9.9.9", 64, 64);
	overlay_expect(a, prog, WEFT_DIR_TO_OVERLAY, &p, TC_ACT_SHOT, WEFT_DROP_NO_TUNNEL,
		       "to-overlay: destination without a node");

	pkt_eth(&p, remote_gw_mac, host_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	overlay_expect(a, prog, WEFT_DIR_TO_OVERLAY, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3,
		       "to-overlay: ipv6");
}

static void test_overlay(struct weft_pod_bpf *a)
{
	struct weft_overlay_bpf *o;
	int err;

	/* setup: a node as weftd leaves it with one remote node: the peer a
	 * local endpoint, the remote node in ipcache, the VXLAN device
	 * configured; the overlay object on the same maps */
	err = put_peer_endpoint(a, PEER_IP);
	if (!err)
		err = put_overlay_ipcache(a);
	if (!err)
		err = set_vxlan_ifindex(a, VXLAN_IFINDEX);
	CHECK_INT(err, 0, "overlay: peer endpoint, ipcache and vxlan ifindex in place");
	o = load_overlay(a);
	if (!o)
		return;

	test_from_overlay_local(a, o);
	test_from_overlay_other(a, o);
	test_to_overlay(a, o);
	weft_overlay_bpf__destroy(o);
}

HARNESS_MAIN({"overlay: from and to the vxlan device", test_overlay})
