// SPDX-License-Identifier: Apache-2.0
/*
 * Policy over a flow's life, through conntrack: replies allowed where the
 * reverse direction alone would be denied, an established flow cut when the
 * revision moves and its entry is gone and left alone when it is still
 * allowed, ICMP echo replies and errors related to a flow, traffic from the
 * node itself, and a local flow checked by both ends.
 */
#include <errno.h>
#include <netinet/in.h>

#include "tests/bpf/harness.h"

#define WORLD_IP     "198.51.100.10"
#define ROUTER_IP    "198.51.100.1"
#define POD_IDENTITY 1000

static void egress(struct weft_pod_bpf *a, const struct pkt *p, int reason, const char *what)
{
	int ret = reason == WEFT_FWD_HOST ? TC_ACT_OK : TC_ACT_SHOT;

	expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, p, ret, reason, what);
}

/* Into A through weft_to_pod, having come in on @iif (0: sent by the node). */
static void ingress_from(struct weft_pod_bpf *a, const struct pkt *p, uint32_t iif, int reason,
			 const char *what)
{
	int ret = reason == WEFT_FWD_TO_POD ? TC_ACT_OK : TC_ACT_SHOT;

	expect_iif(a, a->progs.weft_to_pod, WEFT_DIR_TO_POD, p, iif, ret, reason, what);
}

static void ingress(struct weft_pod_bpf *a, const struct pkt *p, int reason, const char *what)
{
	ingress_from(a, p, VXLAN_IFINDEX, reason, what);
}

static void tcp_pkt(struct pkt *p, bool out, const char *peer, uint16_t pport, uint16_t myport,
		    uint8_t flags)
{
	if (out) {
		pkt_eth(p, host_mac, pod_mac, ETH_P_IP);
		pkt_tcp(p, POD_IP, myport, peer, pport, flags);
	} else {
		pkt_eth(p, pod_mac, host_mac, ETH_P_IP);
		pkt_tcp(p, peer, pport, POD_IP, myport, flags);
	}
}

/* A may connect out to the world on tcp/443; nothing may connect in. The
 * server's answers get in as replies, a connection from it does not. */
static void test_reply(struct weft_pod_bpf *a)
{
	struct pkt p;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "reply: A allows nothing");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_TCP, 443,
			       16, 1),
		  0, "reply: allow egress to the world on tcp/443");
	tcp_pkt(&p, true, WORLD_IP, 443, 33000, TCP_SYN);
	egress(a, &p, WEFT_FWD_HOST, "reply: SYN out: allowed");
	tcp_pkt(&p, false, WORLD_IP, 443, 33000, TCP_SYN | TCP_ACK);
	ingress(a, &p, WEFT_FWD_TO_POD, "reply: SYN-ACK in (ingress denies all): allowed as reply");
	tcp_pkt(&p, true, WORLD_IP, 443, 33000, TCP_ACK);
	egress(a, &p, WEFT_FWD_HOST, "reply: ACK out: established");
	tcp_pkt(&p, false, WORLD_IP, 443, 33000, TCP_ACK);
	ingress(a, &p, WEFT_FWD_TO_POD, "reply: data in: allowed as reply");

	tcp_pkt(&p, false, WORLD_IP, 443, 33001, TCP_SYN);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "reply: a new connection in: denied");
	tcp_pkt(&p, false, WORLD_IP, 33000, 443, TCP_SYN);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "reply: the reverse tuple opened anew: denied");
}

static void test_revision(struct weft_pod_bpf *a)
{
	struct weft_ct_key key = ct_key(IPPROTO_TCP, POD_IP, 34000, WORLD_IP, 443);
	struct weft_ct_entry e;
	struct pkt p;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "revision: A allows nothing");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_TCP, 443,
			       16, 1),
		  0, "revision: allow egress tcp/443");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_TCP, 0,
			       0, 2),
		  0, "revision: allow egress tcp, all ports (a second rule)");
	tcp_pkt(&p, true, WORLD_IP, 443, 34000, TCP_SYN);
	egress(a, &p, WEFT_FWD_HOST, "revision: SYN out at revision 1");
	CHECK(ct_get(a, &key, &e) == 0 && e.rev_egress == 1 && e.rev_ingress == 0,
	      "revision: flow checked at egress at revision 1 (got %u, %u)", e.rev_egress,
	      e.rev_ingress);

	/* A change that still allows the flow (one of the two rules goes):
	 * the flow is checked again and carries on. */
	CHECK_INT(policy_revoke(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_TCP, 0,
				0),
		  0, "revision: remove the all-ports rule");
	CHECK_INT(policy_revision_bump(a), 0, "revision: 2");
	tcp_pkt(&p, true, WORLD_IP, 443, 34000, TCP_ACK);
	egress(a, &p, WEFT_FWD_HOST, "revision: still allowed at revision 2: not cut");
	CHECK(ct_get(a, &key, &e) == 0 && e.rev_egress == 2,
	      "revision: flow re-checked at revision 2 (got %u)", e.rev_egress);

	/* The entry is gone but the revision has not moved yet: the flow is
	 * established and not looked at again. */
	CHECK_INT(policy_revoke(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_TCP,
				443, 16),
		  0, "revision: remove tcp/443");
	egress(a, &p, WEFT_FWD_HOST, "revision: before the bump the flow runs on");

	CHECK_INT(policy_revision_bump(a), 0, "revision: 3");
	egress(a, &p, WEFT_DROP_POLICY_REVOKED, "revision: no longer allowed at revision 3: cut");
	CHECK_INT(ct_get(a, &key, &e), -ENOENT, "revision: the cut flow left conntrack");
	tcp_pkt(&p, false, WORLD_IP, 443, 34000, TCP_ACK);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "revision: the server's reply is not let in");
	tcp_pkt(&p, true, WORLD_IP, 443, 34000, TCP_ACK);
	egress(a, &p, WEFT_DROP_POLICY_DENIED, "revision: next packet out: a denied new flow");
}

/* Ping out and its reply; an unsolicited ping in. */
static void test_icmp_echo(struct weft_pod_bpf *a)
{
	struct pkt p;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "echo: A allows nothing");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, 0, 0, 0, 1), 0,
		  "echo: allow egress to the world, any protocol");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_icmp_echo(&p, POD_IP, WORLD_IP, 8, 4242);
	egress(a, &p, WEFT_FWD_HOST, "echo: request out");
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_icmp_echo(&p, WORLD_IP, POD_IP, 0, 4242);
	ingress(a, &p, WEFT_FWD_TO_POD, "echo: reply in: allowed as reply");
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_icmp_echo(&p, WORLD_IP, POD_IP, 0, 4243);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "echo: reply with another id: denied");
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_icmp_echo(&p, WORLD_IP, POD_IP, 8, 4244);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "echo: request in: denied");
}

/* ICMP errors pass when they are about a flow of this endpoint. */
static void test_icmp_error(struct weft_pod_bpf *a)
{
	struct pkt out, in, err;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "error: A allows nothing");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_UDP, 53,
			       16, 1),
		  0, "error: allow egress udp/53");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_INGRESS, WEFT_IDENTITY_WORLD, IPPROTO_TCP, 80,
			       16, 2),
		  0, "error: allow ingress tcp/80");

	/* Ingress: a router's "time exceeded" and the server's "port
	 * unreachable" about A's datagram. */
	pkt_eth(&out, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&out, POD_IP, 35000, WORLD_IP, 53);
	egress(a, &out, WEFT_FWD_HOST, "error: udp out");
	pkt_eth(&err, pod_mac, host_mac, ETH_P_IP);
	pkt_icmp_error(&err, ROUTER_IP, POD_IP, 11, 0, &out);
	ingress(a, &err, WEFT_FWD_TO_POD, "error: time exceeded from a router: related");
	pkt_eth(&err, pod_mac, host_mac, ETH_P_IP);
	pkt_icmp_error(&err, WORLD_IP, POD_IP, 3, 3, &out);
	ingress(a, &err, WEFT_FWD_TO_POD, "error: port unreachable from the server: related");

	pkt_eth(&out, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&out, POD_IP, 35001, WORLD_IP, 53);
	pkt_eth(&err, pod_mac, host_mac, ETH_P_IP);
	pkt_icmp_error(&err, WORLD_IP, POD_IP, 3, 3, &out);
	ingress(a, &err, WEFT_DROP_POLICY_DENIED, "error: about an unknown flow: denied");

	/* Egress: A refuses a connection that its ingress allowed. */
	pkt_eth(&in, pod_mac, host_mac, ETH_P_IP);
	pkt_tcp(&in, WORLD_IP, 36000, POD_IP, 80, TCP_SYN);
	ingress(a, &in, WEFT_FWD_TO_POD, "error: SYN in on tcp/80");
	pkt_eth(&err, host_mac, pod_mac, ETH_P_IP);
	pkt_icmp_error(&err, POD_IP, WORLD_IP, 3, 3, &in);
	egress(a, &err, WEFT_FWD_HOST, "error: A's port unreachable about it: related");
	pkt_eth(&err, host_mac, pod_mac, ETH_P_IP);
	pkt_icmp_error(&err, POD_IP, ROUTER_IP, 3, 3, &in);
	egress(a, &err, WEFT_DROP_POLICY_DENIED,
	       "error: sent to another host than the flow's: denied");

	/* A may not speak for flows it is not part of. */
	pkt_eth(&in, pod_mac, host_mac, ETH_P_IP);
	pkt_tcp(&in, WORLD_IP, 36001, "10.0.0.99", 80, TCP_SYN);
	pkt_eth(&err, host_mac, pod_mac, ETH_P_IP);
	pkt_icmp_error(&err, POD_IP, WORLD_IP, 3, 3, &in);
	egress(a, &err, WEFT_DROP_POLICY_DENIED, "error: about another endpoint's flow: denied");
}

/* The node reaches its pods whatever their policy, and their replies get
 * out whatever their egress policy. */
static void test_host(struct weft_pod_bpf *a)
{
	struct weft_ct_key key = ct_key(IPPROTO_TCP, "192.0.2.1", 37000, POD_IP, 8080);
	struct weft_ct_entry e;
	struct pkt p;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "host: A allows nothing");
	tcp_pkt(&p, false, "192.0.2.1", 37000, 8080, TCP_SYN);
	ingress(a, &p, WEFT_DROP_POLICY_DENIED, "host: the same packet forwarded: denied");
	ingress_from(a, &p, 0, WEFT_FWD_TO_POD, "host: probe sent by the node: allowed");
	CHECK(ct_get(a, &key, &e) == 0 && e.rev_ingress == 1,
	      "host: the probe is tracked, checked at ingress");
	tcp_pkt(&p, true, "192.0.2.1", 37000, 8080, TCP_SYN | TCP_ACK);
	egress(a, &p, WEFT_FWD_HOST, "host: the pod's answer gets out as a reply");

	/* The node's address (identity host in ipcache), forwarded in. */
	CHECK_INT(put_overlay_ipcache(a), 0, "host: this node in ipcache");
	tcp_pkt(&p, false, LOCAL_NODE_IP, 37001, 8080, TCP_SYN);
	ingress(a, &p, WEFT_FWD_TO_POD, "host: from the host identity: allowed");

	/* Even without a policy map. */
	CHECK_INT(policy_map_remove(a, POD_ID), 0, "host: A's policy map removed");
	tcp_pkt(&p, false, "192.0.2.1", 37002, 8080, TCP_SYN);
	ingress_from(a, &p, 0, WEFT_FWD_TO_POD, "host: probe without a policy map: allowed");
	tcp_pkt(&p, false, "192.0.2.1", 37003, 8080, TCP_SYN);
	ingress(a, &p, WEFT_DROP_NO_POLICY_MAP, "host: forwarded without a policy map: dropped");
}

/* A -> B on the node: A's egress and B's ingress both decide. */
static void test_local(struct weft_pod_bpf *a)
{
	struct weft_ip_key akey = {.family = WEFT_FAMILY_IPV4};
	struct weft_endpoint_info aep = {.ifindex = host_ifindex,
					 .endpoint_id = POD_ID,
					 .identity = POD_IDENTITY,
					 .flags = WEFT_EP_F_LOCAL};
	struct weft_ct_key key = ct_key(IPPROTO_TCP, POD_IP, 38000, PEER_IP, 80);
	struct weft_ct_entry e;
	struct pkt p;

	if (add_peer(a))
		return;
	akey.addr[0] = ip4(POD_IP);
	CHECK_INT(bpf_map__update_elem(a->maps.weft_endpoints, &akey, sizeof(akey), &aep,
				       sizeof(aep), BPF_ANY),
		  0, "local: A in weft_endpoints with its identity");
	CHECK_INT(put_peer_endpoint(a, PEER_IP), 0, "local: B in weft_endpoints");
	CHECK_INT(set_policy_prog(a, PEER_ID, a->progs.weft_to_pod_local), 0,
		  "local: weft_to_pod_local in B's slot");
	CHECK_INT(policy_deny_all(a, PEER_ID), 0, "local: B allows nothing");

	tcp_pkt(&p, true, PEER_IP, 80, 38000, TCP_SYN);
	expect_local(a, &p, TC_ACT_SHOT, WEFT_DROP_POLICY_DENIED, 1,
		     "local: A's egress is open, B's ingress denies");
	CHECK_INT(ct_get(a, &key, &e), -ENOENT, "local: the flow B refused is not tracked");

	CHECK_INT(
		policy_allow(a, PEER_ID, WEFT_POLICY_INGRESS, POD_IDENTITY, IPPROTO_TCP, 80, 16, 3),
		0, "local: B allows A's identity on tcp/80");
	expect_local(a, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD, 1, "local: now allowed");
	CHECK(ct_get(a, &key, &e) == 0 && e.rev_egress == 1 && e.rev_ingress == 1 &&
		      e.packets_fwd == 1,
	      "local: one entry, checked by both ends, the packet counted once (got %llu)",
	      (unsigned long long)e.packets_fwd);

	/* B's reply: B's egress (open) and A's ingress see a reply. */
	CHECK_INT(policy_deny_all(a, POD_ID), 0, "local: A allows nothing in");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_POLICY_ANY_PEER, 0, 0, 0, 4), 0,
		  "local: A allows everything out");
	pkt_eth(&p, peer_host_mac, peer_mac, ETH_P_IP);
	pkt_tcp(&p, PEER_IP, 80, POD_IP, 38000, TCP_SYN | TCP_ACK);
	CHECK_INT(run_prog_on(a->progs.weft_from_pod, &p, peer_ifindex, 0).retval, TC_ACT_REDIRECT,
		  "local: B's reply leaves B (A's slot is empty: to A's host veth)");
	tcp_pkt(&p, false, PEER_IP, 80, 38000, TCP_SYN | TCP_ACK);
	ingress_from(a, &p, peer_ifindex, WEFT_FWD_TO_POD, "local: B's reply enters A");

	/* B's ingress tightens: the flow is cut at B's end. */
	CHECK_INT(policy_deny_all(a, PEER_ID), 0, "local: B allows nothing again");
	CHECK_INT(policy_revision_bump(a), 0, "local: revision 2");
	tcp_pkt(&p, true, PEER_IP, 80, 38000, TCP_ACK);
	expect_local(a, &p, TC_ACT_SHOT, WEFT_DROP_POLICY_REVOKED, 1,
		     "local: cut by B's ingress after the change");
}

HARNESS_MAIN({"flows: replies through conntrack", test_reply},
	     {"flows: the policy revision", test_revision}, {"flows: ICMP echo", test_icmp_echo},
	     {"flows: ICMP errors related to a flow", test_icmp_error},
	     {"flows: the node reaches its pods", test_host},
	     {"flows: pod to pod on the node", test_local})
