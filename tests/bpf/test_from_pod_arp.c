// SPDX-License-Identifier: Apache-2.0
/*
 * weft_from_pod and ARP: the pod's request for its gateway (169.254.1.1) is
 * answered by the program itself with the host veth's MAC; any other request
 * is dropped, replies go to the host, a truncated frame is refused. The
 * spoofed-sender cases are in test_from_pod_antispoof.c.
 */
#include <string.h>
#include <arpa/inet.h>

#include "tests/bpf/harness.h"

static void test_gateway_reply(struct weft_pod_bpf *a)
{
	const struct arp_eth_ipv4 *arp;
	const struct ethhdr *eth;
	struct pkt p;
	struct run r;
	uint32_t ip;

	/* build: who-has 169.254.1.1 from the pod */
	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, POD_IP, zero_mac, "169.254.1.1");
	/* run: answered in place and sent back to the pod */
	r = expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT,
		   WEFT_FWD_ARP_REPLY, "arp request for the gateway");

	/* check: the reply, header by header */
	eth = (const void *)r.out.buf;
	arp = (const void *)(eth + 1);
	CHECK(r.out.len == p.len, "arp reply: same length");
	CHECK(!memcmp(eth->h_dest, pod_mac, ETH_ALEN) &&
		      !memcmp(eth->h_source, host_mac, ETH_ALEN) &&
		      eth->h_proto == htons(ETH_P_ARP),
	      "arp reply: ethernet host mac -> pod mac");
	CHECK(arp->hrd == htons(1) && arp->pro == htons(ETH_P_IP) && arp->hln == 6 &&
		      arp->pln == 4 && arp->op == htons(ARPOP_REP),
	      "arp reply: ethernet/ipv4 reply op");
	ip = ip4("169.254.1.1");
	CHECK(!memcmp(arp->sha, host_mac, ETH_ALEN) && !memcmp(arp->sip, &ip, 4),
	      "arp reply: 169.254.1.1 is at the host mac");
	ip = ip4(POD_IP);
	CHECK(!memcmp(arp->tha, pod_mac, ETH_ALEN) && !memcmp(arp->tip, &ip, 4),
	      "arp reply: addressed to the pod");
}

static void test_other_arp(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	struct pkt p;

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, "0.0.0.0", zero_mac, POD_IP);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_ARP_NOT_GATEWAY,
	       "arp probe for the pod's own address");

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, POD_IP, zero_mac, PEER_IP);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_ARP_NOT_GATEWAY,
	       "arp request for another ip");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REP, pod_mac, POD_IP, host_mac, "192.168.1.10");
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "arp reply from the pod to the host");

	/* Ten bytes: shorter than the ARP header the program must read. */
	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_put(&p, 10);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "truncated arp");
}

HARNESS_MAIN({"arp: the gateway answered in place", test_gateway_reply},
	     {"arp: everything else", test_other_arp})
