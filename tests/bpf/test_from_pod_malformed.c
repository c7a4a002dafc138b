// SPDX-License-Identifier: Apache-2.0
/*
 * weft_from_pod and frames it must not parse: IPv6 (not supported yet) and
 * IPv4 headers that lie about their own length.
 */
#include <arpa/inet.h>
#include <linux/ip.h>

#include "tests/bpf/harness.h"

/* A valid IPv4 frame from the pod, for a case to break. */
static struct iphdr *pod_ipv4(struct pkt *p)
{
	pkt_eth(p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(p, POD_IP, PEER_IP, 64, 20);
	return (struct iphdr *)(p->buf + sizeof(struct ethhdr));
}

static void test_malformed(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IPV6);
	pkt_put(&p, 40 + 8);
	p.buf[14] = 0x60;
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3,
	       "ipv6 from the pod");

	/* BPF_PROG_TEST_RUN itself refuses an ETH_P_IP frame shorter than an
	 * iphdr (-EINVAL), so the short-header path is exercised with ARP
	 * (test_from_pod_arp.c); here the header is complete but claims
	 * options the frame does not have. */
	pod_ipv4(&p)->ihl = 15;
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "ipv4 header longer than the frame (ihl 15)");

	pod_ipv4(&p)->tot_len = htons(200);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "ipv4 total length beyond the frame");

	pod_ipv4(&p)->ihl = 4;
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "ipv4 ihl < 5");
}

HARNESS_MAIN({"malformed: ipv6 and lying ipv4 headers", test_malformed})
