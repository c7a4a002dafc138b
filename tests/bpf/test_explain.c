// SPDX-License-Identifier: Apache-2.0
/*
 * Explain runs (bpf/datapath.h, "Explain runs"): a run with the explain mark
 * and hardware timestamp returns the verdict a real packet gets, writes its
 * hops into cb[] (and the second hop's peer into priority), and leaves
 * conntrack, weft_metrics and the flow event counters as they were.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "tests/bpf/harness.h"

#define POD_IDENTITY  1000
#define PEER_IDENTITY 1001

struct xrun {
	int err, retval;
	struct __sk_buff ctx;
};

/* An explain run on A's host veth. */
static struct xrun explain_prog(const struct bpf_program *prog, const struct pkt *in)
{
	struct xrun x = {.ctx = {.ifindex = host_ifindex,
				 .mark = WEFT_EXPLAIN_MARK,
				 .hwtstamp = WEFT_EXPLAIN_STAMP}};
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf, .data_size_in = in->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1, .ctx_in = &x.ctx,
		    .ctx_size_in = sizeof(x.ctx), .ctx_out = &x.ctx, .ctx_size_out = sizeof(x.ctx));

	x.err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	x.retval = opts.retval;
	return x;
}

static int hop_reason(const struct xrun *x, int hop)
{
	return (int8_t)(x->ctx.cb[WEFT_EXPLAIN_CB_REASONS] >> (hop ? 16 : 0));
}

static int hop_kind(const struct xrun *x, int hop)
{
	return (uint8_t)(x->ctx.cb[WEFT_EXPLAIN_CB_REASONS] >> (hop ? 24 : 8));
}

/* Everything a run may leave behind: all counters, conntrack entries and
 * flow event attempts, summed. */
struct trace {
	unsigned long long packets, ct, events;
};

static struct trace trace(struct weft_pod_bpf *a)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weft_flow_stats v[ncpu > 0 ? ncpu : 1];
	struct weft_ct_key key, next, *prev = NULL;
	struct trace t = {0};
	uint32_t zero = 0;

	for (int d = 0; d < WEFT_DIR_MAX; d++)
		for (int r = 0; r < WEFT_REASON_MAX; r++)
			t.packets += metric(a, d, r).packets;
	while (!bpf_map_get_next_key(bpf_map__fd(a->maps.weft_conntrack), prev, &next)) {
		t.ct++;
		key = next;
		prev = &key;
	}
	if (ncpu > 0 && !bpf_map_lookup_elem(bpf_map__fd(a->maps.weft_flow_stats), &zero, v))
		for (int i = 0; i < ncpu; i++)
			t.events += v[i].sent + v[i].suppressed + v[i].ringbuf_full;
	return t;
}

static void check_no_trace(struct weft_pod_bpf *a, const struct trace *before, const char *what)
{
	struct trace after = trace(a);

	CHECK(after.packets == before->packets && after.ct == before->ct &&
		      after.events == before->events,
	      "%s: no counter, conntrack entry or event (packets %llu->%llu, ct %llu->%llu, "
	      "events %llu->%llu)",
	      what, before->packets, after.packets, before->ct, after.ct, before->events,
	      after.events);
}

static int flow_mode_all(struct weft_pod_bpf *a)
{
	struct weft_flow_config cfg = {.mode = WEFT_FLOW_MODE_ALL};
	uint32_t zero = 0;

	return bpf_map__update_elem(a->maps.weft_flow_config, &zero, sizeof(zero), &cfg,
				    sizeof(cfg), BPF_ANY);
}

/* A to B on this node: both hops in one run (from-pod on A's veth, then
 * weft_to_pod_local for B by tail call), denied then allowed by B's ingress,
 * and the same verdicts as real packets. */
static void test_local(struct weft_pod_bpf *a)
{
	struct weft_ip_key akey = {.family = WEFT_FAMILY_IPV4};
	struct weft_endpoint_info aep = {.ifindex = host_ifindex,
					 .endpoint_id = POD_ID,
					 .identity = POD_IDENTITY,
					 .flags = WEFT_EP_F_LOCAL};
	struct trace before;
	struct xrun x;
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
	CHECK_INT(flow_mode_all(a), 0, "local: flow events for every new flow");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_tcp(&p, POD_IP, 38000, PEER_IP, 80, TCP_SYN);
	before = trace(a);
	x = explain_prog(a->progs.weft_from_pod, &p);
	CHECK(x.err == 0 && x.retval == TC_ACT_SHOT, "local denied: explain returns drop (%d, %d)",
	      x.err, x.retval);
	CHECK_INT(hop_reason(&x, 0), WEFT_FWD_LOCAL, "local denied: hop 1 forward-local");
	CHECK_INT(hop_kind(&x, 0), WEFT_FLOW_ALLOWED, "local denied: hop 1 A's egress allows");
	CHECK_INT(x.ctx.cb[WEFT_EXPLAIN_CB_TARGET1], PEER_ID, "local denied: hop 1 to B's id");
	CHECK_INT(hop_reason(&x, 1), WEFT_DROP_POLICY_DENIED, "local denied: hop 2 policy-denied");
	CHECK_INT(hop_kind(&x, 1), WEFT_EXPLAIN_DENIED, "local denied: hop 2 no entry allows");
	CHECK_INT(x.ctx.priority, POD_IDENTITY, "local denied: hop 2 saw A's identity");
	check_no_trace(a, &before, "local denied");
	expect_local(a, &p, TC_ACT_SHOT, WEFT_DROP_POLICY_DENIED, 1, "local denied: real packet");

	CHECK_INT(
		policy_allow(a, PEER_ID, WEFT_POLICY_INGRESS, POD_IDENTITY, IPPROTO_TCP, 80, 16, 7),
		0, "local: B allows A's identity on tcp/80 (rule 7)");
	before = trace(a);
	x = explain_prog(a->progs.weft_from_pod, &p);
	CHECK(x.err == 0 && x.retval == TC_ACT_REDIRECT, "local allowed: explain returns redirect");
	CHECK_INT(hop_reason(&x, 1), WEFT_FWD_TO_POD, "local allowed: hop 2 forward-to-pod");
	CHECK_INT(hop_kind(&x, 1), WEFT_FLOW_ALLOWED, "local allowed: hop 2 allowed by a rule");
	CHECK_INT(x.ctx.cb[WEFT_EXPLAIN_CB_RULE2], 7, "local allowed: hop 2 rule 7");
	check_no_trace(a, &before, "local allowed");
	expect_local(a, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD, 1, "local allowed: real packet");

	/* The real SYN opened the flow: an explain run now finds it. */
	before = trace(a);
	x = explain_prog(a->progs.weft_from_pod, &p);
	CHECK_INT(hop_kind(&x, 0), WEFT_EXPLAIN_ESTABLISHED, "local tracked: hop 1 established");
	CHECK_INT(hop_kind(&x, 1), WEFT_EXPLAIN_ESTABLISHED, "local tracked: hop 2 established");
	check_no_trace(a, &before, "local tracked");
}

/* To a remote pod: one hop, into the overlay, naming the node. */
static void test_tunnel(struct weft_pod_bpf *a)
{
	struct trace before;
	struct xrun x;
	struct pkt p;

	CHECK_INT(put_overlay_ipcache(a), 0, "tunnel: ipcache");
	CHECK_INT(set_vxlan_ifindex(a, VXLAN_IFINDEX), 0, "tunnel: vxlan ifindex");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_udp(&p, POD_IP, 5000, REMOTE_POD, 53);
	before = trace(a);
	x = explain_prog(a->progs.weft_from_pod, &p);
	CHECK(x.err == 0 && x.retval == TC_ACT_REDIRECT, "tunnel: explain returns redirect");
	CHECK_INT(hop_reason(&x, 0), WEFT_FWD_TUNNEL, "tunnel: hop 1 forward-tunnel");
	CHECK_INT(x.ctx.cb[WEFT_EXPLAIN_CB_TARGET1], ip4(NODE_IP), "tunnel: to the remote node");
	CHECK_INT(hop_reason(&x, 1), 0, "tunnel: no second hop on this node");
	check_no_trace(a, &before, "tunnel");
}

/* A SYN on a closed TCP flow: a real one replaces the entry, an explain
 * run leaves it; only the mark and the stamp together make a run explain. */
static void test_read_only(struct weft_pod_bpf *a)
{
	struct weft_ct_key key = ct_key(IPPROTO_TCP, POD_IP, 39000, "198.51.100.10", 443);
	struct weft_ct_entry e = {.flags = WEFT_CT_F_RST, .packets_fwd = 5};
	struct timespec ts;
	struct trace before;
	struct xrun x;
	struct pkt p;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	e.expires_ns = (ts.tv_sec + 60) * 1000000000ULL;
	CHECK_INT(ct_put(a, &key, &e), 0, "read-only: a closed flow in conntrack");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_tcp(&p, POD_IP, 39000, "198.51.100.10", 443, TCP_SYN);
	before = trace(a);
	x = explain_prog(a->progs.weft_from_pod, &p);
	CHECK(x.err == 0 && x.retval == TC_ACT_OK && hop_reason(&x, 0) == WEFT_FWD_HOST,
	      "read-only: explain forwards to the host");
	CHECK_INT(hop_kind(&x, 0), WEFT_FLOW_ALLOWED, "read-only: a new flow, allowed egress");
	check_no_trace(a, &before, "read-only");
	CHECK(ct_get(a, &key, &e) == 0 && e.packets_fwd == 5, "read-only: the old entry stays");

	/* The mark alone (a pod can set SO_MARK) is a real packet. */
	{
		struct __sk_buff ctx = {.ifindex = host_ifindex, .mark = WEFT_EXPLAIN_MARK};
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.buf, .data_size_in = p.len,
			    .repeat = 1, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

		CHECK_INT(bpf_prog_test_run_opts(bpf_program__fd(a->progs.weft_from_pod), &opts), 0,
			  "read-only: a run with the mark only");
		CHECK(ct_get(a, &key, &e) == 0 && e.packets_fwd == 1,
		      "read-only: counted as real, a new entry (packets %llu)",
		      (unsigned long long)e.packets_fwd);
	}
}

HARNESS_MAIN({"explain: local pod, two hops in one run", test_local},
	     {"explain: remote pod, into the overlay", test_tunnel},
	     {"explain: conntrack is only read", test_read_only})
