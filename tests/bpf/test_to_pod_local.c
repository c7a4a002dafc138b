// SPDX-License-Identifier: Apache-2.0
/*
 * Local delivery through the destination's program: weft_from_pod on A's
 * host veth tail-calls weft_to_pod_local (weft_policy_progs at B's endpoint
 * id), which applies B's checks before bpf_redirect_peer(). An empty slot or
 * an id beyond the array falls back to the redirect to B's host veth.
 *
 * There is one weft_to_pod_local for every pod, and it runs on the sender's
 * skb (skb->ifindex is A's veth): it finds B's veth by the packet's
 * destination in weft_endpoints and B by that veth in weft_veths, and drops
 * what it cannot place.
 *
 * BPF_PROG_TEST_RUN returns the program's verdict and performs no redirect:
 * bpf_redirect_peer() only records the target and returns TC_ACT_REDIRECT, as
 * bpf_redirect() does, so the two are told apart by the to-pod counter that
 * only weft_to_pod_local bumps.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/ip.h>

#include "tests/bpf/harness.h"

/* weft_to_pod_local on its own, on A's host veth as the tail call runs it. */
static struct run expect_to_local(struct weft_pod_bpf *a, const struct pkt *in, int want_ret,
				  int reason, const char *what)
{
	return expect(a, a->progs.weft_to_pod_local, WEFT_DIR_TO_POD, in, want_ret, reason, what);
}

static void test_tail_call(struct weft_pod_bpf *a)
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
	 * check (its address, from its weft_veths entry) refuses it, exactly
	 * as its weft_to_pod would. */
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

	/* B's ingress, not A's (whose veth the skb is on), decides a new
	 * flow. */
	CHECK_INT(policy_deny_all(a, PEER_ID), 0, "tail call: B allows nothing");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&p, POD_IP, 5001, PEER_IP, 53);
	expect_local(a, &p, TC_ACT_SHOT, WEFT_DROP_POLICY_DENIED, 1,
		     "tail call: refused by B's policy, A's open");
	CHECK_INT(policy_open(a, PEER_ID), 0, "tail call: B open again");
}

/* The program run directly, as a tail call (from a pod or the overlay)
 * reaches it: what it accepts and what it drops. */
static void test_direct(struct weft_pod_bpf *a)
{
	struct pkt p;

	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 63, 16);
	expect_to_local(a, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD,
			"to-pod-local: ipv4 to the pod ip");

	/* No local endpoint has the destination (removed since the caller
	 * looked, or a caller that did not look): nowhere to deliver. */
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "10.0.0.7", 63, 16);
	expect_to_local(a, &p, TC_ACT_SHOT, WEFT_DROP_NO_ENDPOINT,
			"to-pod-local: destination in no weft_endpoints entry");

	/* B in weft_endpoints but its veth without a weft_veths entry (weftd
	 * removing B): no pod behind the veth, as at B's weft_to_pod. */
	CHECK_INT(del_veth(a, peer_ifindex), 0, "to-pod-local: B's weft_veths entry removed");
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 63, 16);
	expect_to_local(a, &p, TC_ACT_SHOT, WEFT_DROP_NO_ENDPOINT,
			"to-pod-local: destination's veth in no weft_veths entry");
	CHECK_INT(put_veth(a, peer_ifindex, PEER_ID, PEER_IP, peer_mac, peer_host_mac), 0,
		  "to-pod-local: B's weft_veths entry back");

	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 63, 16);
	((struct iphdr *)(p.buf + sizeof(struct ethhdr)))->tot_len = htons(100);
	expect_to_local(a, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
			"to-pod-local: ipv4 total length beyond the frame");

	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	expect_to_local(a, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3, "to-pod-local: ipv6");

	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, host_mac, "192.168.1.10", zero_mac, PEER_IP);
	expect_to_local(a, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3, "to-pod-local: arp");

	/* Run on B's own veth, or on no device: the destination still
	 * decides, not skb->ifindex. */
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 63, 16);
	expect_on(a, a->progs.weft_to_pod_local, WEFT_DIR_TO_POD, &p, peer_ifindex, 0,
		  TC_ACT_REDIRECT, WEFT_FWD_TO_POD, "to-pod-local: on B's veth, to B");
	expect_on(a, a->progs.weft_to_pod_local, WEFT_DIR_TO_POD, &p, NO_IFINDEX, 0,
		  TC_ACT_REDIRECT, WEFT_FWD_TO_POD, "to-pod-local: on no veth, to B");
}

static void test_fallback(struct weft_pod_bpf *a)
{
	struct weft_endpoint_info ep = {.ifindex = peer_ifindex,
					.endpoint_id = WEFT_MAX_ENDPOINTS + 7,
					.flags = WEFT_EP_F_LOCAL};
	struct weft_ip_key key = {.family = WEFT_FAMILY_IPV4};
	uint32_t id = PEER_ID;
	const struct ethhdr *eth;
	struct pkt p;
	struct run r;
	int err;

	/* An empty slot (older weftd, or not inserted yet): the tail call
	 * falls through to the redirect to B's host veth, weft_to_pod_local
	 * does not run. */
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
	err = set_policy_prog(a, PEER_ID, a->progs.weft_to_pod_local);
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

/* setup: B on the node (its veth, its policy), in weft_endpoints,
 * weft_to_pod_local at index B's id */
static int peer_setup(struct weft_pod_bpf *a)
{
	int err = add_peer(a);

	if (err)
		return err;
	err = put_peer_endpoint(a, PEER_IP);
	CHECK_INT(err, 0, "tail call: peer in weft_endpoints");
	if (!err)
		err = set_policy_prog(a, PEER_ID, a->progs.weft_to_pod_local);
	CHECK_INT(err, 0, "tail call: weft_to_pod_local at index %d of weft_policy_progs", PEER_ID);
	return err;
}

static void test_to_pod_local(struct weft_pod_bpf *a)
{
	if (peer_setup(a))
		return;
	test_tail_call(a);
	test_fallback(a);
}

static void test_to_pod_local_direct(struct weft_pod_bpf *a)
{
	if (peer_setup(a))
		return;
	test_direct(a);
}

HARNESS_MAIN({"to-pod-local: delivery through the destination's program", test_to_pod_local},
	     {"to-pod-local: the program on its own", test_to_pod_local_direct})
