// SPDX-License-Identifier: Apache-2.0
/*
 * weft_from_pod routing on the node: a packet for another local pod (B, in
 * weft_endpoints) is rewritten as a router would (MACs, TTL, checksum) and
 * redirected; any address weft does not know goes to the host untouched.
 */
#include <string.h>
#include <linux/ip.h>

#include "tests/bpf/harness.h"

static void test_local(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	const struct ethhdr *eth;
	const struct iphdr *ip;
	struct pkt p;
	struct run r;

	/* setup: B is a local endpoint */
	CHECK_INT(put_peer_endpoint(a, PEER_IP), 0, "insert the peer into weft_endpoints");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 64);
	r = expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_LOCAL,
		   "ipv4 to a local pod");
	eth = (const void *)r.out.buf;
	ip = (const void *)(eth + 1);
	CHECK(r.out.len == p.len, "local: same length");
	CHECK(!memcmp(eth->h_source, peer_host_mac, ETH_ALEN) &&
		      !memcmp(eth->h_dest, peer_mac, ETH_ALEN),
	      "local: ethernet rewritten to peer host mac -> peer pod mac");
	CHECK_INT(ip->ttl, 63, "local: ttl decremented");
	CHECK_INT(csum16(ip, sizeof(*ip)), 0, "local: ip header checksum still valid");
	CHECK(!memcmp(r.out.buf + sizeof(*eth) + sizeof(*ip), p.buf + sizeof(*eth) + sizeof(*ip),
		      64),
	      "local: payload untouched");

	/* A TTL whose checksum update carries around the 16-bit boundary. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 255, 8);
	r = run_prog(prog, &p);
	ip = (const void *)(r.out.buf + sizeof(*eth));
	CHECK(r.retval == TC_ACT_REDIRECT && ip->ttl == 254 && csum16(ip, sizeof(*ip)) == 0,
	      "local: ttl 255 -> 254 with a valid checksum");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 1, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_TTL_EXCEEDED,
	       "ipv4 to a local pod with ttl 1");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "8.8.8.8", 64, 64);
	r = expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
		   "ipv4 to an unknown address");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "host: frame passed unchanged");
}

HARNESS_MAIN({"local: routed to another pod on the node, or to the host", test_local})
