// SPDX-License-Identifier: Apache-2.0
/*
 * weft_from_pod's anti-spoofing: a frame whose source IP or MAC is not that
 * of the pod on the veth it runs on (its weft_veths entry) is dropped and
 * counted under drop-spoofed-ip or drop-spoofed-mac, for ARP and IPv4 alike.
 * One loaded program serves A and B and tells them apart by the veth; a
 * veth with no weft_veths entry has no pod and drops every frame.
 */
#include <stdio.h>
#include <string.h>

#include "tests/bpf/harness.h"

/* Every from-pod packet counted, under any reason. */
static unsigned long long from_pod_total(const struct weft_pod_bpf *a)
{
	unsigned long long n = 0;

	for (int r = 0; r < WEFT_REASON_MAX; r++)
		n += metric(a, WEFT_DIR_FROM_POD, r).packets;
	return n;
}

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

/* Two pods, one program: each pod's frames pass on its own veth only. */
static void test_two_pods(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	const struct arp_eth_ipv4 *arp;
	const struct ethhdr *eth;
	struct pkt p;
	struct run r;

	if (add_peer(a))
		return;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "8.8.8.8", 64, 40);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "two pods: A's on A's veth");
	expect_on(a, prog, WEFT_DIR_FROM_POD, &p, peer_ifindex, 0, TC_ACT_SHOT,
		  WEFT_DROP_SPOOFED_MAC, "two pods: A's frame on B's veth");

	pkt_eth(&p, peer_host_mac, peer_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, "8.8.8.8", 64, 40);
	expect_on(a, prog, WEFT_DIR_FROM_POD, &p, peer_ifindex, 0, TC_ACT_OK, WEFT_FWD_HOST,
		  "two pods: B's on B's veth");
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_MAC,
	       "two pods: B's frame on A's veth");

	/* B's MAC with A's address: the address is checked against B's. */
	pkt_eth(&p, peer_host_mac, peer_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "8.8.8.8", 64, 40);
	expect_on(a, prog, WEFT_DIR_FROM_POD, &p, peer_ifindex, 0, TC_ACT_SHOT,
		  WEFT_DROP_SPOOFED_IP, "two pods: A's address from B's veth");

	/* The gateway's answer on B's veth is B's host veth MAC. */
	pkt_eth(&p, bcast_mac, peer_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, peer_mac, PEER_IP, zero_mac, "169.254.1.1");
	r = expect_on(a, prog, WEFT_DIR_FROM_POD, &p, peer_ifindex, 0, TC_ACT_REDIRECT,
		      WEFT_FWD_ARP_REPLY, "two pods: B's gateway request on B's veth");
	eth = (const void *)r.out.buf;
	arp = (const void *)(eth + 1);
	CHECK(!memcmp(eth->h_source, peer_host_mac, ETH_ALEN) &&
		      !memcmp(eth->h_dest, peer_mac, ETH_ALEN) &&
		      !memcmp(arp->sha, peer_host_mac, ETH_ALEN) &&
		      !memcmp(arp->tha, peer_mac, ETH_ALEN),
	      "two pods: B is answered with B's host veth mac, not A's");
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_MAC,
	       "two pods: B's gateway request on A's veth");
	pkt_eth(&p, bcast_mac, peer_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, peer_mac, POD_IP, zero_mac, "169.254.1.1");
	expect_on(a, prog, WEFT_DIR_FROM_POD, &p, peer_ifindex, 0, TC_ACT_SHOT,
		  WEFT_DROP_SPOOFED_IP, "two pods: arp for A's address from B's veth");
}

/* No weft_veths entry (weftd has not written it yet, or removed it): no
 * pod, so nothing passes, whatever the frame; each drop counted once. */
static void no_endpoint_frames(struct weft_pod_bpf *a, uint32_t ifindex, const char *where)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	unsigned long long before = from_pod_total(a);
	char what[128];
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "8.8.8.8", 64, 40);
	snprintf(what, sizeof(what), "%s: A's ipv4", where);
	expect_on(a, prog, WEFT_DIR_FROM_POD, &p, ifindex, 0, TC_ACT_SHOT, WEFT_DROP_NO_ENDPOINT,
		  what);

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, POD_IP, zero_mac, "169.254.1.1");
	snprintf(what, sizeof(what), "%s: A's arp for the gateway", where);
	expect_on(a, prog, WEFT_DIR_FROM_POD, &p, ifindex, 0, TC_ACT_SHOT, WEFT_DROP_NO_ENDPOINT,
		  what);

	pkt_eth(&p, host_mac, bogus_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	snprintf(what, sizeof(what), "%s: ipv6 from another mac", where);
	expect_on(a, prog, WEFT_DIR_FROM_POD, &p, ifindex, 0, TC_ACT_SHOT, WEFT_DROP_NO_ENDPOINT,
		  what);

	CHECK(from_pod_total(a) - before == 3,
	      "%s: 3 frames counted in all, none as a forward (got %llu)", where,
	      from_pod_total(a) - before);
}

static void test_no_endpoint(struct weft_pod_bpf *a)
{
	struct pkt p;

	no_endpoint_frames(a, stray_ifindex, "a veth without an entry");
	no_endpoint_frames(a, NO_IFINDEX, "no device");

	/* A's veth once its entry is gone: A's frames pass no more. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "8.8.8.8", 64, 40);
	expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "no endpoint: A's frame passes while A is in weft_veths");
	CHECK_INT(del_veth(a, host_ifindex), 0, "no endpoint: A's weft_veths entry removed");
	no_endpoint_frames(a, host_ifindex, "A's veth without its entry");
}

HARNESS_MAIN({"anti-spoof: source ip and mac, arp and ipv4", test_antispoof},
	     {"anti-spoof: two pods, one program", test_two_pods},
	     {"anti-spoof: a veth with no weft_veths entry", test_no_endpoint})
