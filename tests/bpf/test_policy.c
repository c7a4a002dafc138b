// SPDX-License-Identifier: Apache-2.0
/*
 * The policy check of new flows: allow and deny in both directions with the
 * counted reason, protocols, both edges of a port range, an ipBlock with an
 * except, fail closed without a policy map, and inner maps of another size
 * than weft_policy_maps' template.
 *
 * Egress runs A's weft_from_pod; ingress runs A's weft_to_pod with
 * skb->ingress_ifindex set to the VXLAN device's, as a packet from a remote
 * pod arrives (0 would make it the node's own, which policy always allows:
 * test_policy_flows.c).
 */
#include <unistd.h>
#include <netinet/in.h>

#include "tests/bpf/harness.h"

#define WORLD_IP "198.51.100.10"

/* One packet through A's from-pod (egress), expecting @reason. */
static void egress(struct weft_pod_bpf *a, const struct pkt *p, int reason, const char *what)
{
	int ret = reason == WEFT_FWD_HOST ? TC_ACT_OK : TC_ACT_SHOT;

	expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, p, ret, reason, what);
}

/* One packet through A's to-pod (ingress) from the VXLAN device. */
static void ingress(struct weft_pod_bpf *a, const struct pkt *p, int reason, const char *what)
{
	int ret = reason == WEFT_FWD_TO_POD ? TC_ACT_OK : TC_ACT_SHOT;

	expect_iif(a, a->progs.weft_to_pod, WEFT_DIR_TO_POD, p, VXLAN_IFINDEX, ret, reason, what);
}

static void udp_out(struct pkt *p, const char *dst, uint16_t sport, uint16_t dport)
{
	pkt_eth(p, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(p, POD_IP, sport, dst, dport);
}

static void tcp_in(struct pkt *p, const char *src, uint16_t sport, uint16_t dport)
{
	pkt_eth(p, pod_mac, host_mac, ETH_P_IP);
	pkt_tcp(p, src, sport, POD_IP, dport, TCP_SYN);
}

static void test_egress(struct weft_pod_bpf *a)
{
	struct pkt p;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "egress: A allows nothing");
	udp_out(&p, WORLD_IP, 40000, 53);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "egress: udp to the world, no entry: denied");

	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_UDP, 53,
			       16, 7),
		  0, "egress: allow world udp/53");
	egress(a, &p, WEFT_FWD_HOST, "egress: udp/53 to the world: allowed");
	udp_out(&p, WORLD_IP, 40001, 54);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "egress: udp/54: denied");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_tcp(&p, POD_IP, 40002, WORLD_IP, 53, TCP_SYN);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "egress: tcp/53 (entry is udp): denied");

	/* The peer is the destination: a remote pod has its own identity. */
	CHECK_INT(put_overlay_ipcache(a), 0, "egress: remote pod in ipcache");
	udp_out(&p, REMOTE_POD, 40003, 53);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "egress: udp/53 to a remote pod (not world)");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, REMOTE_POD_IDENTITY, IPPROTO_UDP, 0,
			       0, 8),
		  0, "egress: allow the remote pod's identity, udp any port");
	egress(a, &p, WEFT_FWD_HOST, "egress: udp/53 to the remote pod: allowed");

	/* SCTP has ports like TCP and UDP. */
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_SCTP,
			       5000, 16, 9),
		  0, "egress: allow world sctp/5000");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_sctp(&p, POD_IP, 40004, WORLD_IP, 5000);
	egress(a, &p, WEFT_FWD_HOST, "egress: sctp/5000: allowed");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_sctp(&p, POD_IP, 40005, WORLD_IP, 5001);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "egress: sctp/5001: denied");

	/* ICMP matches any-protocol entries only. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_icmp_echo(&p, POD_IP, WORLD_IP, 8, 77);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "egress: ping with port entries only: denied");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, 0, 0, 0, 10), 0,
		  "egress: allow world, any protocol");
	egress(a, &p, WEFT_FWD_HOST, "egress: ping with an any-protocol entry: allowed");
}

static void test_ingress(struct weft_pod_bpf *a)
{
	struct pkt p;

	CHECK_INT(put_overlay_ipcache(a), 0, "ingress: remote pod in ipcache");
	CHECK_INT(policy_deny_all(a, POD_ID), 0, "ingress: A allows nothing");
	tcp_in(&p, REMOTE_POD, 50000, 80);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "ingress: tcp/80 from a remote pod: denied");

	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_INGRESS, REMOTE_POD_IDENTITY, IPPROTO_TCP, 80,
			       16, 11),
		  0, "ingress: allow the remote pod's identity on tcp/80");
	ingress(a, &p, WEFT_FWD_TO_POD, "ingress: tcp/80 from the remote pod: allowed");
	tcp_in(&p, REMOTE_POD, 50001, 81);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "ingress: tcp/81: denied");
	/* Another pod of the same remote range: identity unknown -> world. */
	tcp_in(&p, "10.1.0.10", 50002, 80);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED,
		"ingress: tcp/80 from an unknown remote pod: denied");

	/* Egress entries do not open ingress, and the other way round. */
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_POLICY_ANY_PEER, 0, 0, 0, 12), 0,
		  "ingress: allow all egress");
	tcp_in(&p, REMOTE_POD, 50003, 22);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "ingress: tcp/22 with only egress open: denied");
}

/* Ports 1000-1999 (1000/13 ... 1984/12 ...) and 8080-8090, each edge and
 * one past it. */
static void test_port_range(struct weft_pod_bpf *a)
{
	static const struct {
		uint16_t port;
		int reason;
	} cases[] = {
		{999, WEFT_DROP_POLICY_DENIED},	 {1000, WEFT_FWD_TO_POD},
		{1001, WEFT_FWD_TO_POD},	 {1500, WEFT_FWD_TO_POD},
		{1999, WEFT_FWD_TO_POD},	 {2000, WEFT_DROP_POLICY_DENIED},
		{8079, WEFT_DROP_POLICY_DENIED}, {8080, WEFT_FWD_TO_POD},
		{8090, WEFT_FWD_TO_POD},	 {8091, WEFT_DROP_POLICY_DENIED},
	};
	char what[64];
	struct pkt p;
	int n;

	CHECK_INT(put_overlay_ipcache(a), 0, "range: remote pod in ipcache");
	CHECK_INT(policy_deny_all(a, POD_ID), 0, "range: A allows nothing");
	n = policy_allow_range(a, POD_ID, WEFT_POLICY_INGRESS, REMOTE_POD_IDENTITY, IPPROTO_TCP,
			       1000, 1999, 13);
	CHECK(n > 1 && n < 32, "range: 1000-1999 as %d prefixes", n);
	n = policy_allow_range(a, POD_ID, WEFT_POLICY_INGRESS, REMOTE_POD_IDENTITY, IPPROTO_TCP,
			       8080, 8090, 14);
	CHECK(n > 1 && n < 32, "range: 8080-8090 as %d prefixes", n);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tcp_in(&p, REMOTE_POD, 51000 + i, cases[i].port);
		snprintf(what, sizeof(what), "range: tcp/%u %s", cases[i].port,
			 cases[i].reason > 0 ? "allowed" : "denied");
		ingress(a, &p, cases[i].reason, what);
	}
	/* The range is TCP's only. */
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_udp(&p, REMOTE_POD, 52000, POD_IP, 1000);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "range: udp/1000 denied");
}

#define CIDR_ID	  (WEFT_IDENTITY_FIRST_CIDR + 1)
#define EXCEPT_ID (WEFT_IDENTITY_FIRST_CIDR + 2)

/* ipBlock 203.0.113.0/24 except 203.0.113.128/25: the except prefix has its
 * own identity, which no entry allows, and wins as the longer prefix. */
static void test_cidr_except(struct weft_pod_bpf *a)
{
	struct pkt p;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "cidr: A allows nothing");
	CHECK_INT(policy_cidr_put(a, "203.0.113.0", 24, CIDR_ID), 0, "cidr: 203.0.113.0/24");
	CHECK_INT(policy_cidr_put(a, "203.0.113.128", 25, EXCEPT_ID), 0,
		  "cidr: except 203.0.113.128/25");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, CIDR_ID, IPPROTO_UDP, 0, 0, 15), 0,
		  "cidr: egress to the block, udp");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_INGRESS, CIDR_ID, IPPROTO_TCP, 443, 16, 16),
		  0, "cidr: ingress from the block, tcp/443");

	udp_out(&p, "203.0.113.5", 41000, 53);
	egress(a, &p, WEFT_FWD_HOST, "cidr: egress inside the block: allowed");
	udp_out(&p, "203.0.113.127", 41001, 53);
	egress(a, &p, WEFT_FWD_HOST, "cidr: egress at the block's edge below the except");
	udp_out(&p, "203.0.113.128", 41002, 53);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "cidr: egress inside the except: denied");
	udp_out(&p, "203.0.113.255", 41003, 53);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "cidr: egress at the except's edge: denied");
	udp_out(&p, "203.0.114.1", 41004, 53);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "cidr: egress outside the block: denied");

	tcp_in(&p, "203.0.113.9", 42000, 443);
	ingress(a, &p, WEFT_FWD_TO_POD, "cidr: ingress from the block: allowed");
	tcp_in(&p, "203.0.113.200", 42001, 443);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "cidr: ingress from the except: denied");

	/* A pod address inside an ipBlock matches it too. */
	CHECK_INT(ipcache_put(a, "203.0.113.77", 32, NODE_IP, REMOTE_POD_IDENTITY), 0,
		  "cidr: a remote pod inside the block");
	tcp_in(&p, "203.0.113.77", 42002, 443);
	ingress(a, &p, WEFT_FWD_TO_POD, "cidr: ingress from a pod inside the block: allowed");
}

/* No policy map: nothing goes either way (but the node, test_policy_flows). */
static void test_fail_closed(struct weft_pod_bpf *a)
{
	struct pkt p;

	CHECK_INT(policy_map_remove(a, POD_ID), 0, "fail closed: A's policy map removed");
	udp_out(&p, WORLD_IP, 43000, 53);
	egress(a, &p, WEFT_DROP_NO_POLICY_MAP, "fail closed: egress without a policy map");
	tcp_in(&p, WORLD_IP, 43001, 80);
	ingress(a, &p, WEFT_DROP_NO_POLICY_MAP, "fail closed: ingress without a policy map");

	/* A map with no meta entry for a direction allows nothing there. */
	CHECK_INT(policy_deny_all(a, POD_ID), 0, "fail closed: an empty map");
	udp_out(&p, WORLD_IP, 43002, 53);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "fail closed: no meta entry: denied");
}

/* The lead's design grows a full map by swapping in one 4x larger: an inner
 * map whose max_entries differs from the template's must be accepted. */
static void test_inner_map_size(struct weft_pod_bpf *a)
{
	uint32_t sizes[] = {WEFT_POLICY_MAP_MIN_ENTRIES * 4, WEFT_POLICY_MAP_MAX_ENTRIES, 16};
	struct pkt p;
	int fd, err;

	udp_out(&p, WORLD_IP, 44000, 53);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fd = policy_map_create(sizes[i]);
		CHECK(fd >= 0, "inner size: create a policy map of %u entries", sizes[i]);
		if (fd < 0)
			continue;
		err = policy_allow_fd(fd, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_UDP, 53,
				      16, 20 + i);
		if (!err)
			err = policy_map_install(a, POD_ID, fd);
		CHECK_INT(err, 0, "inner size: %u entries accepted into weft_policy_maps",
			  sizes[i]);
		close(fd);
		p.buf[sizeof(struct ethhdr) + 20 + 1] = i; /* a new source port each */
		egress(a, &p, WEFT_FWD_HOST, "inner size: the swapped-in map is used");
	}
}

HARNESS_MAIN({"policy: egress allow and deny", test_egress},
	     {"policy: ingress allow and deny", test_ingress},
	     {"policy: port ranges, both edges", test_port_range},
	     {"policy: ipBlock with an except", test_cidr_except},
	     {"policy: fail closed", test_fail_closed},
	     {"policy: inner maps of other sizes", test_inner_map_size})
