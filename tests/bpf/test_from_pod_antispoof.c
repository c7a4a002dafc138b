// SPDX-License-Identifier: Apache-2.0
/*
 * weft_from_pod's anti-spoofing: a frame whose source IP or MAC is not the
 * endpoint's own (patched into the object at load) is dropped and counted
 * under drop-spoofed-ip or drop-spoofed-mac, for ARP and IPv4 alike.
 */
#include "tests/bpf/harness.h"

static void test_antispoof(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	struct weft_metrics_value m;
	struct pkt p;

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, PEER_IP, zero_mac, "169.254.1.1");
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_IP,
	       "arp with a spoofed sender ip");

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, bogus_mac, POD_IP, zero_mac, "169.254.1.1");
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_MAC,
	       "arp with a spoofed sender mac");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, "10.0.0.99", PEER_IP, 64, 100);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_IP,
	       "ipv4 with a spoofed source ip");
	/* The ARP and the IPv4 packet share one counter: check the total too,
	 * so neither family is counted twice or under another reason. */
	m = metric(a, WEFT_DIR_FROM_POD, WEFT_DROP_SPOOFED_IP);
	CHECK(m.packets == 2 && m.bytes == 14 + 28 + 14 + 20 + 100,
	      "drop-spoofed-ip total: 2 packets, %d bytes (got %llu, %llu)",
	      14 + 28 + 14 + 20 + 100, (unsigned long long)m.packets, (unsigned long long)m.bytes);

	pkt_eth(&p, host_mac, bogus_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 100);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_MAC,
	       "ipv4 with a spoofed source mac");
}

HARNESS_MAIN({"anti-spoof: source ip and mac, arp and ipv4", test_antispoof})
