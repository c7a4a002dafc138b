// SPDX-License-Identifier: Apache-2.0
/*
 * Flow events (bpf/lib/flow.h): a drop sends one with its direction,
 * reason, endpoint and the frame's first bytes; a forwarded packet sends
 * none in the drops mode; the policy mode adds new flows a rule allowed
 * (with the rule's cookie and the peer's identity), the all mode every new
 * flow; the off mode nothing. The rate limit lets a burst through and
 * counts the rest, and every attempt is counted exactly once: sent +
 * suppressed + ringbuf_full == the drops weft_metrics counted.
 */
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

#define WORLD_IP	"198.51.100.10"
#define REMOTE_IDENTITY 4242
#define MAX_EVENTS	64

struct events {
	struct weft_flow_event ev[MAX_EVENTS];
	int n;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct events *e = ctx;

	if (size >= sizeof(e->ev[0]) && e->n < MAX_EVENTS)
		memcpy(&e->ev[e->n++], data, sizeof(e->ev[0]));
	return 0;
}

/* Every event waiting in A's ring buffer, taken off it. */
static void drain(struct weft_pod_bpf *a, struct events *e)
{
	struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(a->maps.weft_flow_events), on_event, e, NULL);

	e->n = 0;
	if (!rb) {
		CHECK(0, "ring_buffer__new");
		return;
	}
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
}

static int set_config(struct weft_pod_bpf *a, uint32_t mode, uint32_t rate, uint32_t burst)
{
	struct weft_flow_config c = {.mode = mode, .rate = rate, .burst = burst};
	uint32_t key = 0;

	return bpf_map_update_elem(bpf_map__fd(a->maps.weft_flow_config), &key, &c, BPF_ANY);
}

static struct weft_flow_stats stats(struct weft_pod_bpf *a)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weft_flow_stats v[ncpu > 0 ? ncpu : 1], sum = {0};
	uint32_t key = 0;

	if (ncpu > 0 && !bpf_map_lookup_elem(bpf_map__fd(a->maps.weft_flow_stats), &key, v))
		for (int i = 0; i < ncpu; i++) {
			sum.sent += v[i].sent;
			sum.suppressed += v[i].suppressed;
			sum.ringbuf_full += v[i].ringbuf_full;
		}
	return sum;
}

static void test_drop_event(struct weft_pod_bpf *a)
{
	struct events e;
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, "10.0.0.99", PEER_IP, 64, 60);
	expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_IP,
	       "drop: spoofed source ip");
	drain(a, &e);
	CHECK_INT(e.n, 1, "drop: one event");
	if (e.n != 1)
		return;
	CHECK_INT(e.ev[0].kind, WEFT_FLOW_DROP, "drop: kind");
	CHECK_INT(e.ev[0].reason, WEFT_DROP_SPOOFED_IP, "drop: reason");
	CHECK_INT(e.ev[0].direction, WEFT_DIR_FROM_POD, "drop: direction");
	CHECK_INT(e.ev[0].endpoint_id, POD_ID, "drop: endpoint");
	CHECK_INT(e.ev[0].ifindex, host_ifindex, "drop: A's host veth");
	CHECK_INT(e.ev[0].pkt_len, p.len, "drop: packet length");
	CHECK_INT(e.ev[0].hdr_len, p.len, "drop: the whole (short) frame copied");
	CHECK(!memcmp(e.ev[0].hdr, p.buf, p.len), "drop: the frame as sent");
	CHECK_INT(e.ev[0].flags, 0, "drop: not truncated");
	CHECK(e.ev[0].ts_ns > 0, "drop: a time");
	CHECK_INT(stats(a).sent, 1, "drop: counted sent");
}

/* A veth with no weft_veths entry: a drop of no endpoint (id 0), on that
 * veth. */
static void test_no_endpoint_event(struct weft_pod_bpf *a)
{
	struct events e;
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 60);
	expect_on(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &p, stray_ifindex, 0, TC_ACT_SHOT,
		  WEFT_DROP_NO_ENDPOINT, "no endpoint: from-pod on a veth without an entry");
	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, POD_IP, 64, 60);
	expect_on(a, a->progs.weft_to_pod, WEFT_DIR_TO_POD, &p, stray_ifindex, 0, TC_ACT_SHOT,
		  WEFT_DROP_NO_ENDPOINT, "no endpoint: to-pod on a veth without an entry");
	drain(a, &e);
	CHECK_INT(e.n, 2, "no endpoint: two events");
	for (int i = 0; i < e.n && i < 2; i++) {
		CHECK(e.ev[i].kind == WEFT_FLOW_DROP && e.ev[i].reason == WEFT_DROP_NO_ENDPOINT &&
			      e.ev[i].direction == (i ? WEFT_DIR_TO_POD : WEFT_DIR_FROM_POD),
		      "no endpoint: event %d a drop-no-endpoint %s", i, i ? "to-pod" : "from-pod");
		CHECK_INT(e.ev[i].endpoint_id, 0, "no endpoint: event %d names no endpoint", i);
		CHECK_INT(e.ev[i].ifindex, stray_ifindex, "no endpoint: event %d on the veth", i);
	}
}

/* A long frame: WEFT_FLOW_HDR_LEN bytes of it, flagged truncated. */
static void test_truncated(struct weft_pod_bpf *a)
{
	struct events e;
	struct pkt p;

	pkt_eth(&p, host_mac, bogus_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 200);
	expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_MAC,
	       "truncated: spoofed mac");
	drain(a, &e);
	CHECK_INT(e.n, 1, "truncated: one event");
	CHECK_INT(e.ev[0].hdr_len, WEFT_FLOW_HDR_LEN, "truncated: hdr_len");
	CHECK_INT(e.ev[0].flags, WEFT_FLOW_F_TRUNCATED, "truncated: flagged");
	CHECK(!memcmp(e.ev[0].hdr, p.buf, WEFT_FLOW_HDR_LEN), "truncated: the frame's start");
}

/* An open egress to the world (forward-host) and an ingress allowed by a
 * rule: no event in the drops mode, the allowed one in the policy mode,
 * both in the all mode, none with the mode off. */
static void test_modes(struct weft_pod_bpf *a)
{
	struct events e;
	struct pkt out, in;
	uint16_t sport = 40000;

	CHECK_INT(ipcache_put(a, REMOTE_POD, 32, NODE_IP, REMOTE_IDENTITY), 0, "modes: ipcache");
	/* As weftd compiles them: egress open (any peer, rule 0), ingress
	 * one rule. */
	CHECK_INT(policy_deny_all(a, POD_ID), 0, "modes: A allows nothing");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_EGRESS, WEFT_POLICY_ANY_PEER, 0, 0, 0, 0), 0,
		  "modes: egress open");
	CHECK_INT(policy_allow(a, POD_ID, WEFT_POLICY_INGRESS, REMOTE_IDENTITY, IPPROTO_TCP, 80, 16,
			       77),
		  0, "modes: ingress tcp/80 from the remote pod, rule 77");
	for (uint32_t mode = WEFT_FLOW_MODE_DROPS; mode <= WEFT_FLOW_MODE_ALL; mode++) {
		static const int want[] = {[WEFT_FLOW_MODE_DROPS] = 0,
					   [WEFT_FLOW_MODE_OFF] = 0,
					   [WEFT_FLOW_MODE_POLICY] = 1,
					   [WEFT_FLOW_MODE_ALL] = 2};

		CHECK_INT(set_config(a, mode, 0, 0), 0, "modes: mode %u", mode);
		pkt_eth(&out, host_mac, pod_mac, ETH_P_IP);
		pkt_udp(&out, POD_IP, sport, WORLD_IP, 53);
		expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &out, TC_ACT_OK, WEFT_FWD_HOST,
		       "modes: open egress");
		/* The same flow again: established, never an event. */
		expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &out, TC_ACT_OK, WEFT_FWD_HOST,
		       "modes: the flow's second packet");
		pkt_eth(&in, pod_mac, host_mac, ETH_P_IP);
		pkt_tcp(&in, REMOTE_POD, sport, POD_IP, 80, TCP_SYN);
		expect_iif(a, a->progs.weft_to_pod, WEFT_DIR_TO_POD, &in, VXLAN_IFINDEX, TC_ACT_OK,
			   WEFT_FWD_TO_POD, "modes: ingress allowed by rule 77");
		sport++;
		drain(a, &e);
		CHECK_INT(e.n, want[mode], "modes: mode %u: events", mode);
		for (int i = 0; i < e.n; i++) {
			const struct weft_flow_event *ev = &e.ev[i];

			if (ev->kind == WEFT_FLOW_ALLOWED) {
				CHECK_INT(ev->rule, 77, "modes: the rule's cookie");
				CHECK_INT(ev->peer_identity, REMOTE_IDENTITY, "modes: the peer");
				CHECK_INT(ev->direction, WEFT_DIR_TO_POD, "modes: ingress");
				CHECK_INT(ev->reason, 0, "modes: no reason");
			} else {
				CHECK_INT(ev->kind, WEFT_FLOW_OPEN, "modes: the open egress");
				CHECK_INT(ev->direction, WEFT_DIR_FROM_POD, "modes: egress");
				CHECK_INT(ev->peer_identity, WEFT_IDENTITY_WORLD,
					  "modes: to the world");
			}
		}
	}
	/* Off: drops counted, no event, no event counter moves. */
	CHECK_INT(set_config(a, WEFT_FLOW_MODE_OFF, 0, 0), 0, "off");
	pkt_eth(&out, host_mac, bogus_mac, ETH_P_IP);
	pkt_ipv4(&out, POD_IP, PEER_IP, 64, 10);
	expect(a, a->progs.weft_from_pod, WEFT_DIR_FROM_POD, &out, TC_ACT_SHOT,
	       WEFT_DROP_SPOOFED_MAC, "off: a drop");
	drain(a, &e);
	CHECK_INT(e.n, 0, "off: no event");
}

/* 20 drops against a bucket of 5 (at 1 a second, no refill meanwhile):
 * 5 sent, 15 suppressed, and the sum is what weft_metrics counted. */
static void test_rate_limit(struct weft_pod_bpf *a)
{
	struct weft_flow_stats s;
	struct events e;
	struct pkt p;
	int n = 0;

	CHECK_INT(set_config(a, WEFT_FLOW_MODE_DROPS, 1, 5), 0, "rate: 1 a second, burst 5");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, "10.0.0.99", PEER_IP, 64, 10);
	for (int i = 0; i < 20; i++)
		n += run_prog(a->progs.weft_from_pod, &p).retval == TC_ACT_SHOT;
	CHECK_INT(n, 20, "rate: 20 drops");
	s = stats(a);
	drain(a, &e);
	CHECK_INT(e.n, 5, "rate: 5 events");
	CHECK_INT(s.sent, 5, "rate: 5 sent");
	CHECK_INT(s.suppressed, 15, "rate: 15 suppressed");
	CHECK_INT(s.ringbuf_full, 0, "rate: the ring had room");
	CHECK_INT(s.sent + s.suppressed + s.ringbuf_full,
		  metric(a, WEFT_DIR_FROM_POD, WEFT_DROP_SPOOFED_IP).packets,
		  "rate: sent + suppressed + ringbuf_full == drops");
}

HARNESS_MAIN({"flow events: a drop, its fields and frame", test_drop_event},
	     {"flow events: a drop on a veth with no weft_veths entry", test_no_endpoint_event},
	     {"flow events: a long frame, truncated", test_truncated},
	     {"flow events: the modes, no event for forwarded packets in drops", test_modes},
	     {"flow events: the rate limit, every drop counted once", test_rate_limit})
