// SPDX-License-Identifier: Apache-2.0
/*
 * Local delivery through the destination's own program: weft_from_pod of A
 * tail-calls B's weft_to_pod_local (weft_policy_progs at B's endpoint id),
 * which applies B's checks before bpf_redirect_peer(). An empty slot or an id
 * beyond the array falls back to the redirect to B's host veth.
 *
 * BPF_PROG_TEST_RUN returns the program's verdict and performs no redirect:
 * bpf_redirect_peer() only records the target and returns TC_ACT_REDIRECT, as
 * bpf_redirect() does, so the two are told apart by the to-pod counter that
 * only B's program bumps.
 */
#include <string.h>
#include <linux/ip.h>

#include "tests/bpf/harness.h"

static void test_tail_call(struct weft_pod_bpf *a, struct weft_pod_bpf *b)
{
	const struct ethhdr *eth;
	const struct iphdr *ip;
	struct pkt p;
	struct run r;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 64);
	r = expect_local(a, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD, 1,
			 "tail call: ipv4 to a local pod, accepted by its program");
	eth = (const void *)r.out.buf;
	ip = (const void *)(eth + 1);
	CHECK(r.out.len == p.len && !memcmp(eth->h_source, peer_host_mac, ETH_ALEN) &&
		      !memcmp(eth->h_dest, peer_mac, ETH_ALEN) && ip->ttl == 63 &&
		      csum16(ip, sizeof(*ip)) == 0,
	      "tail call: frame routed before the tail call (macs, ttl, checksum)");

	/* A stale weft_endpoints entry: 10.0.0.7 claims to be B. B's own
	 * check refuses it, exactly as its weft_to_pod would. */
	CHECK_INT(put_peer_endpoint(a, "10.0.0.7"), 0, "tail call: stale entry 10.0.0.7 -> peer");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "10.0.0.7", 64, 64);
	expect_local(a, &p, TC_ACT_SHOT, WEFT_DROP_NOT_FOR_POD, 1,
		     "tail call: ipv4 not for the peer, refused by its program");
	CHECK_INT(bpf_map__delete_elem(a->maps.weft_endpoints,
				       &(struct weft_ip_key){.family = WEFT_FAMILY_IPV4,
							     .addr = {ip4("10.0.0.7")}},
				       sizeof(struct weft_ip_key), 0),
		  0, "tail call: stale entry removed");

	/* B's program on its own, with B's constants. */
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 63, 16);
	expect(b, b->progs.weft_to_pod_local, WEFT_DIR_TO_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD,
	       "to-pod-local: ipv4 to the pod ip");
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	expect(b, b->progs.weft_to_pod_local, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT,
	       WEFT_DROP_UNSUPPORTED_L3, "to-pod-local: ipv6");
}

static void test_fallback(struct weft_pod_bpf *a, struct weft_pod_bpf *b)
{
	struct weft_endpoint_info ep = {.ifindex = PEER_IFINDEX,
					.endpoint_id = WEFT_MAX_ENDPOINTS + 7,
					.flags = WEFT_EP_F_LOCAL};
	struct weft_ip_key key = {.family = WEFT_FAMILY_IPV4};
	uint32_t id = PEER_ID;
	const struct ethhdr *eth;
	struct pkt p;
	struct run r;
	int err;

	/* An empty slot (older weftd, or not inserted yet): the tail call
	 * falls through to the redirect to B's host veth, B's program does
	 * not run. */
	err = bpf_map__delete_elem(a->maps.weft_policy_progs, &id, sizeof(id), 0);
	CHECK_INT(err, 0, "tail call: peer's slot emptied");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 64);
	r = expect_local(a, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD, 0,
			 "fallback: ipv4 to a local pod with an empty slot");
	eth = (const void *)r.out.buf;
	CHECK(!memcmp(eth->h_source, peer_host_mac, ETH_ALEN) &&
		      !memcmp(eth->h_dest, peer_mac, ETH_ALEN),
	      "fallback: frame routed as before");

	/* An id beyond the array (weftd bug or newer id space): the same. */
	key.addr[0] = ip4(PEER_IP);
	memcpy(ep.pod_mac, peer_mac, ETH_ALEN);
	memcpy(ep.host_mac, peer_host_mac, ETH_ALEN);
	err = set_policy_prog(a, PEER_ID, b->progs.weft_to_pod_local);
	if (!err)
		err = bpf_map__update_elem(a->maps.weft_endpoints, &key, sizeof(key), &ep,
					   sizeof(ep), BPF_ANY);
	CHECK_INT(err, 0, "tail call: peer entry with an out-of-range id");
	expect_local(a, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD, 0,
		     "fallback: endpoint id beyond weft_policy_progs");

	/* Both cases leave the shared maps as they found them, so their order
	 * does not matter. */
	err = put_peer_endpoint(a, PEER_IP);
	if (!err)
		err = bpf_map__delete_elem(a->maps.weft_policy_progs, &id, sizeof(id), 0);
	CHECK_INT(err, 0, "tail call: shared maps restored");
}

static void test_to_pod_local(struct weft_pod_bpf *a)
{
	struct weft_pod_bpf *b;

	/* setup: B loaded on A's maps, in weft_endpoints, its program at
	 * index B's id */
	b = load_peer(a);
	if (!b)
		return;
	CHECK_INT(put_peer_endpoint(a, PEER_IP), 0, "tail call: peer in weft_endpoints");
	CHECK_INT(set_policy_prog(a, PEER_ID, b->progs.weft_to_pod_local), 0,
		  "tail call: peer's weft_to_pod_local at index %d of weft_policy_progs", PEER_ID);

	test_tail_call(a, b);
	test_fallback(a, b);
	weft_pod_bpf__destroy(b);
}

HARNESS_MAIN({"to-pod-local: delivery through the destination's program", test_to_pod_local})
