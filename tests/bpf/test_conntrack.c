// SPDX-License-Identifier: Apache-2.0
/*
 * Conntrack entries as the programs write them: TCP state flags and the
 * lifetime each state gets, UDP and ICMP lifetimes, counters, the expiry
 * refreshed at most once a second, expired entries treated as missing, a
 * closed connection reopened by a SYN, and the transport header found after
 * IP options, in non-first fragments and in truncated packets.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/ip.h>

#include "clock.h"
#include "tests/bpf/harness.h"

#define WORLD_IP "198.51.100.10"
#define SEC	 1000000000ull

static void out_pkt(struct weft_pod_bpf *a, const struct pkt *p, int reason, const char *what)
{
	int ret = reason == WEFT_FWD_HOST ? TC_ACT_OK : TC_ACT_SHOT;

	expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, p, ret, reason, what);
}

static void in_pkt(struct weft_pod_bpf *a, const struct pkt *p, const char *what)
{
	expect_iif(a, a->progs.weft_to_pod, WEFT_DIR_TO_POD, p, VXLAN_IFINDEX, TC_ACT_OK,
		   WEFT_FWD_TO_POD, what);
}

static void tcp(struct pkt *p, bool out, uint8_t flags)
{
	if (out) {
		pkt_eth(p, host_mac, pod_mac, ETH_P_IP);
		pkt_tcp(p, POD_IP, 39000, WORLD_IP, 443, flags);
	} else {
		pkt_eth(p, pod_mac, host_mac, ETH_P_IP);
		pkt_tcp(p, WORLD_IP, 443, POD_IP, 39000, flags);
	}
}

/* The entry of @key has @flags and lives @lifetime seconds from about now. */
static void check_entry(struct weft_pod_bpf *a, const struct weft_ct_key *key, uint32_t flags,
			uint64_t lifetime, const char *what)
{
	struct weft_ct_entry e = {0};
	uint64_t now = now_ns();
	int err = ct_get(a, key, &e);

	CHECK(err == 0 && e.flags == flags && e.expires_ns <= now + lifetime * SEC &&
		      e.expires_ns + 2 * SEC > now + lifetime * SEC,
	      "%s: flags %#x, %llus to live (got err %d, flags %#x, %llds)", what, flags,
	      (unsigned long long)lifetime, err, e.flags,
	      err ? 0 : (long long)(e.expires_ns - now) / (long long)SEC);
}

static void test_tcp_states(struct weft_pod_bpf *a)
{
	struct weft_ct_key key = ct_key(IPPROTO_TCP, POD_IP, 39000, WORLD_IP, 443);
	struct weft_ct_entry e;
	struct pkt p;

	tcp(&p, true, TCP_SYN);
	out_pkt(a, &p, WEFT_FWD_HOST, "tcp: SYN");
	check_entry(a, &key, 0, WEFT_CT_LIFETIME_TCP_OPENING, "tcp: opening");
	tcp(&p, false, TCP_SYN | TCP_ACK);
	in_pkt(a, &p, "tcp: SYN-ACK");
	check_entry(a, &key, WEFT_CT_F_REPLIED, WEFT_CT_LIFETIME_TCP, "tcp: established");
	tcp(&p, true, TCP_ACK);
	out_pkt(a, &p, WEFT_FWD_HOST, "tcp: ACK");
	CHECK(ct_get(a, &key, &e) == 0 && e.packets_fwd == 2 && e.packets_rev == 1 &&
		      e.bytes_fwd == 2 * p.len && e.bytes_rev == p.len,
	      "tcp: 2 packets forward, 1 back, and their bytes (got %llu, %llu)",
	      (unsigned long long)e.packets_fwd, (unsigned long long)e.packets_rev);

	tcp(&p, true, TCP_FIN | TCP_ACK);
	out_pkt(a, &p, WEFT_FWD_HOST, "tcp: FIN out");
	check_entry(a, &key, WEFT_CT_F_REPLIED | WEFT_CT_F_FIN_FWD, WEFT_CT_LIFETIME_TCP,
		    "tcp: half closed");
	tcp(&p, false, TCP_FIN | TCP_ACK);
	in_pkt(a, &p, "tcp: FIN in");
	check_entry(a, &key, WEFT_CT_F_REPLIED | WEFT_CT_F_FIN_FWD | WEFT_CT_F_FIN_REV,
		    WEFT_CT_LIFETIME_TCP_CLOSING, "tcp: closed by FINs");
	tcp(&p, true, TCP_ACK);
	out_pkt(a, &p, WEFT_FWD_HOST, "tcp: last ACK of the closed connection");

	/* A new SYN on the same ports: a new connection, a fresh entry. */
	tcp(&p, true, TCP_SYN);
	out_pkt(a, &p, WEFT_FWD_HOST, "tcp: SYN reopens the closed tuple");
	check_entry(a, &key, 0, WEFT_CT_LIFETIME_TCP_OPENING, "tcp: reopened");
	CHECK(ct_get(a, &key, &e) == 0 && e.packets_fwd == 1 && e.packets_rev == 0,
	      "tcp: reopened flow counts from 1");

	tcp(&p, false, TCP_RST | TCP_ACK);
	in_pkt(a, &p, "tcp: RST in");
	check_entry(a, &key, WEFT_CT_F_REPLIED | WEFT_CT_F_RST, WEFT_CT_LIFETIME_TCP_CLOSING,
		    "tcp: reset");
}

static void test_lifetimes(struct weft_pod_bpf *a)
{
	struct weft_ct_key ukey = ct_key(IPPROTO_UDP, POD_IP, 39100, WORLD_IP, 53);
	struct weft_ct_key ikey = ct_key(IPPROTO_ICMP, POD_IP, 99, WORLD_IP, 99);
	struct weft_ct_key skey = ct_key(IPPROTO_SCTP, POD_IP, 39101, WORLD_IP, 5000);
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&p, POD_IP, 39100, WORLD_IP, 53);
	out_pkt(a, &p, WEFT_FWD_HOST, "lifetime: udp");
	check_entry(a, &ukey, 0, WEFT_CT_LIFETIME_UDP, "lifetime: udp");
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_udp(&p, WORLD_IP, 53, POD_IP, 39100);
	in_pkt(a, &p, "lifetime: udp reply");
	check_entry(a, &ukey, WEFT_CT_F_REPLIED, WEFT_CT_LIFETIME_UDP, "lifetime: udp replied");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_icmp_echo(&p, POD_IP, WORLD_IP, 8, 99);
	out_pkt(a, &p, WEFT_FWD_HOST, "lifetime: ping");
	check_entry(a, &ikey, 0, WEFT_CT_LIFETIME_OTHER, "lifetime: icmp echo, id as ports");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_sctp(&p, POD_IP, 39101, WORLD_IP, 5000);
	out_pkt(a, &p, WEFT_FWD_HOST, "lifetime: sctp");
	check_entry(a, &skey, 0, WEFT_CT_LIFETIME_OTHER, "lifetime: sctp");
}

/* The shared entry is written at most once a second per flow. */
static void test_refresh(struct weft_pod_bpf *a)
{
	struct weft_ct_key key = ct_key(IPPROTO_UDP, POD_IP, 39200, WORLD_IP, 53);
	struct weft_ct_entry e, e2;
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&p, POD_IP, 39200, WORLD_IP, 53);
	out_pkt(a, &p, WEFT_FWD_HOST, "refresh: first packet");
	CHECK_INT(ct_get(a, &key, &e), 0, "refresh: tracked");
	out_pkt(a, &p, WEFT_FWD_HOST, "refresh: second packet at once");
	CHECK(ct_get(a, &key, &e2) == 0 && e2.expires_ns == e.expires_ns && e2.packets_fwd == 2,
	      "refresh: expiry not rewritten within the second, counters are");

	e2.expires_ns -= 2 * SEC;
	CHECK_INT(ct_put(a, &key, &e2), 0, "refresh: expiry moved 2 s back");
	out_pkt(a, &p, WEFT_FWD_HOST, "refresh: third packet");
	CHECK(ct_get(a, &key, &e) == 0 && e.expires_ns > e2.expires_ns + SEC,
	      "refresh: expiry rewritten once it moves by a second or more");
}

/* An expired entry is no flow: the packet is checked as a new one. */
static void test_expired(struct weft_pod_bpf *a)
{
	struct weft_ct_key key = ct_key(IPPROTO_UDP, POD_IP, 39300, WORLD_IP, 53);
	struct weft_ct_entry e;
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&p, POD_IP, 39300, WORLD_IP, 53);
	out_pkt(a, &p, WEFT_FWD_HOST, "expired: flow opened");
	CHECK_INT(policy_deny_all(a, POD_ID), 0, "expired: A allows nothing now");
	out_pkt(a, &p, WEFT_FWD_HOST, "expired: established, same revision: passes");

	CHECK_INT(ct_get(a, &key, &e), 0, "expired: tracked");
	/* A second back: the programs read the clock at tick resolution,
	 * which may lag now_ns() by a few ms. */
	e.expires_ns = now_ns() - SEC;
	CHECK_INT(ct_put(a, &key, &e), 0, "expired: entry expired");
	out_pkt(a, &p, WEFT_DROP_POLICY_DENIED, "expired: checked as a new flow: denied");

	/* A reply to an expired flow is no reply. */
	CHECK_INT(ct_put(a, &key, &e), 0, "expired: the expired entry back");
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_udp(&p, WORLD_IP, 53, POD_IP, 39300);
	expect_iif(a, a->progs.weft_to_pod, WEFT_DIR_TO_POD, &p, VXLAN_IFINDEX, TC_ACT_SHOT,
		   WEFT_DROP_POLICY_DENIED, "expired: reply to an expired flow: denied");
}

/* Options push the transport header back; fragments and short packets. */
static void test_parsing(struct weft_pod_bpf *a)
{
	struct weft_ct_key key = ct_key(IPPROTO_TCP, POD_IP, 39400, WORLD_IP, 8443);
	struct weft_ct_key frag = ct_key(IPPROTO_UDP, POD_IP, 0, WORLD_IP, 0);
	struct weft_ct_entry e;
	struct iphdr *ip;
	uint8_t *l4;
	struct pkt p;

	CHECK_INT(policy_deny_all(a, POD_ID), 0, "parse: A allows nothing");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_TCP,
			       8443, 16, 1),
		  0, "parse: allow tcp/8443");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD, IPPROTO_UDP, 0,
			       0, 2),
		  0, "parse: allow udp, all ports");

	/* IHL 6: 4 bytes of options (one NOP and EOLs) before TCP. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	ip = pkt_put(&p, sizeof(*ip) + 4);
	ip->version = 4;
	ip->ihl = 6;
	ip->tot_len = htons(24 + 20);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = ip4(POD_IP);
	ip->daddr = ip4(WORLD_IP);
	((uint8_t *)(ip + 1))[0] = 1;
	ip->check = htons(csum16(ip, 24));
	l4 = pkt_put(&p, 20);
	l4[0] = 39400 >> 8, l4[1] = 39400 & 0xff, l4[2] = 8443 >> 8, l4[3] = 8443 & 0xff;
	l4[12] = 5 << 4, l4[13] = TCP_SYN;
	out_pkt(a, &p, WEFT_FWD_HOST, "parse: tcp after ip options: allowed on its port");
	CHECK_INT(ct_get(a, &key, &e), 0, "parse: tracked with the ports after the options");

	/* A non-first fragment: no ports, so a flow with ports 0. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&p, POD_IP, 39401, WORLD_IP, 53);
	ip = (struct iphdr *)(p.buf + sizeof(struct ethhdr));
	ip->frag_off = htons(185); /* offset 1480 */
	ip->check = 0;
	ip->check = htons(csum16(ip, sizeof(*ip)));
	out_pkt(a, &p, WEFT_FWD_HOST, "parse: udp fragment, udp allowed on every port");
	CHECK_INT(ct_get(a, &frag, &e), 0, "parse: fragment tracked with ports 0");

	/* Too short for its transport header. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4_l4(&p, POD_IP, WORLD_IP, IPPROTO_TCP, 8);
	out_pkt(a, &p, WEFT_DROP_INVALID_PACKET, "parse: tcp header of 8 bytes");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4_l4(&p, POD_IP, WORLD_IP, IPPROTO_UDP, 4);
	out_pkt(a, &p, WEFT_DROP_INVALID_PACKET, "parse: udp header of 4 bytes");
}

HARNESS_MAIN({"conntrack: tcp states and lifetimes", test_tcp_states},
	     {"conntrack: udp, icmp and sctp lifetimes", test_lifetimes},
	     {"conntrack: expiry refreshed once a second", test_refresh},
	     {"conntrack: expired entries", test_expired},
	     {"conntrack: transport headers", test_parsing})
