// SPDX-License-Identifier: Apache-2.0
/*
 * weft_to_pod, on the host veth's way into the pod: only IPv4 for the pod's
 * own address, and ARP, get through. The pod is the one on the veth the
 * program runs on (weft_veths): one program serves A and B, each with its
 * address and policy; a veth with no entry lets nothing in.
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <linux/ip.h>

#include "tests/bpf/harness.h"

static void test_to_pod(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_to_pod;
	struct pkt p;

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, POD_IP, 64, 32);
	expect(a, prog, WEFT_DIR_TO_POD, &p, TC_ACT_OK, WEFT_FWD_TO_POD,
	       "to-pod: ipv4 to the pod ip");

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, "10.0.0.7", 64, 32);
	expect(a, prog, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT, WEFT_DROP_NOT_FOR_POD,
	       "to-pod: ipv4 to another ip");

	pkt_eth(&p, bcast_mac, host_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, host_mac, "192.168.1.10", zero_mac, POD_IP);
	expect(a, prog, WEFT_DIR_TO_POD, &p, TC_ACT_OK, WEFT_FWD_TO_POD,
	       "to-pod: arp from the host");

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	expect(a, prog, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3, "to-pod: ipv6");

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, POD_IP, 64, 32);
	((struct iphdr *)(p.buf + sizeof(struct ethhdr)))->tot_len = htons(100);
	expect(a, prog, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "to-pod: ipv4 total length beyond the frame");
}

/* Two pods, one program: the veth says whose address and policy. */
static void test_two_pods(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_to_pod;
	struct pkt p;

	if (add_peer(a))
		return;

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, POD_IP, 64, 32);
	expect_iif(a, prog, WEFT_DIR_TO_POD, &p, VXLAN_IFINDEX, TC_ACT_OK, WEFT_FWD_TO_POD,
		   "two pods: to A on A's veth");
	expect_on(a, prog, WEFT_DIR_TO_POD, &p, peer_ifindex, VXLAN_IFINDEX, TC_ACT_SHOT,
		  WEFT_DROP_NOT_FOR_POD, "two pods: to A on B's veth");

	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, PEER_IP, 64, 32);
	expect_on(a, prog, WEFT_DIR_TO_POD, &p, peer_ifindex, VXLAN_IFINDEX, TC_ACT_OK,
		  WEFT_FWD_TO_POD, "two pods: to B on B's veth");
	expect_iif(a, prog, WEFT_DIR_TO_POD, &p, VXLAN_IFINDEX, TC_ACT_SHOT, WEFT_DROP_NOT_FOR_POD,
		   "two pods: to B on A's veth");

	/* B's policy on B's veth, A's on A's. */
	CHECK_INT(policy_deny_all(a, PEER_ID), 0, "two pods: B allows nothing");
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_udp(&p, REMOTE_POD, 5000, PEER_IP, 53);
	expect_on(a, prog, WEFT_DIR_TO_POD, &p, peer_ifindex, VXLAN_IFINDEX, TC_ACT_SHOT,
		  WEFT_DROP_POLICY_DENIED, "two pods: B's ingress denies");
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_udp(&p, REMOTE_POD, 5000, POD_IP, 53);
	expect_iif(a, prog, WEFT_DIR_TO_POD, &p, VXLAN_IFINDEX, TC_ACT_OK, WEFT_FWD_TO_POD,
		   "two pods: A's ingress (open) allows the same flow");
}

/* Every to-pod packet counted, under any reason. */
static unsigned long long to_pod_total(const struct weft_pod_bpf *a)
{
	unsigned long long n = 0;

	for (int r = 0; r < WEFT_REASON_MAX; r++)
		n += metric(a, WEFT_DIR_TO_POD, r).packets;
	return n;
}

/* No weft_veths entry: nothing enters, not even from the node itself. */
static void no_endpoint_frames(struct weft_pod_bpf *a, uint32_t ifindex, const char *where)
{
	const struct bpf_program *prog = a->progs.weft_to_pod;
	unsigned long long before = to_pod_total(a);
	char what[128];
	struct pkt p;

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, POD_IP, 64, 32);
	snprintf(what, sizeof(what), "%s: ipv4 to A from the node", where);
	expect_on(a, prog, WEFT_DIR_TO_POD, &p, ifindex, 0, TC_ACT_SHOT, WEFT_DROP_NO_ENDPOINT,
		  what);
	snprintf(what, sizeof(what), "%s: ipv4 to A, forwarded", where);
	expect_on(a, prog, WEFT_DIR_TO_POD, &p, ifindex, VXLAN_IFINDEX, TC_ACT_SHOT,
		  WEFT_DROP_NO_ENDPOINT, what);

	pkt_eth(&p, bcast_mac, host_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, host_mac, "192.168.1.10", zero_mac, POD_IP);
	snprintf(what, sizeof(what), "%s: arp from the host", where);
	expect_on(a, prog, WEFT_DIR_TO_POD, &p, ifindex, 0, TC_ACT_SHOT, WEFT_DROP_NO_ENDPOINT,
		  what);

	CHECK(to_pod_total(a) - before == 3,
	      "%s: 3 frames counted in all, none as a forward (got %llu)", where,
	      to_pod_total(a) - before);
}

static void test_no_endpoint(struct weft_pod_bpf *a)
{
	no_endpoint_frames(a, stray_ifindex, "a veth without an entry");
	no_endpoint_frames(a, NO_IFINDEX, "no device");
	CHECK_INT(del_veth(a, host_ifindex), 0, "no endpoint: A's weft_veths entry removed");
	no_endpoint_frames(a, host_ifindex, "A's veth without its entry");
}

HARNESS_MAIN({"to-pod: what may enter the pod", test_to_pod},
	     {"to-pod: two pods, one program", test_two_pods},
	     {"to-pod: a veth with no weft_veths entry", test_no_endpoint})
