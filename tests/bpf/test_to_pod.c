// SPDX-License-Identifier: Apache-2.0
/*
 * weft_to_pod, on the host veth's way into the pod: only IPv4 for the pod's
 * own address, and ARP, get through.
 */
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

HARNESS_MAIN({"to-pod: what may enter the pod", test_to_pod})
