// SPDX-License-Identifier: Apache-2.0
/*
 * Per-packet cost of weft_from_pod and weft_to_pod with policy and
 * conntrack, measured with BPF_PROG_TEST_RUN on the running kernel: figures,
 * not a test (issue 9's targets: <= 150 ns/packet, and the cost at 100,000
 * policy entries <= 1.1x the cost at 10).
 *
 * Set-up (the BPF tests' harness, tests/bpf/): endpoint A, weft_ipcache with
 * 10,000 prefixes (100 remote node ranges /24, 9,900 remote pods /32, each
 * with an identity), the overlay configured, and A's policy map with N
 * entries: exact ports for many peer identities, a port range every 100
 * entries (48 ports as 2 prefixes: the meta entry names 3 port shapes), and
 * the entries that allow the measured flows (exact ports) among them. The
 * same shapes at every N, so only the entry count changes. The maps of the
 * four sizes are built first and swapped in turn into A's slot in every
 * round (as weftd swaps a grown map), so noise weighs on all alike.
 *
 *   from-pod  A:sport -> remote pod R:443 (TCP): egress check, conntrack,
 *             ipcache, TTL, tunnel key, redirect to the VXLAN device
 *   to-pod    R:sport -> A:8080 (TCP), in from the VXLAN device: ingress
 *             check, conntrack
 *
 * Established: the same packet again and again in runs of BATCH repeats
 * (the kernel's own average of each run), after one packet opened the
 * flow. The packet is restored between runs: from-pod lowers the TTL of the
 * one buffer BPF_PROG_TEST_RUN repeats on.
 *
 * Re-check: the same, with the policy revision at 0, which no conntrack
 * entry counts as checked: every packet finds its flow and runs the full
 * policy check again (and records the revision), as the first packet of
 * each flow does after weftd moved the revision. This is a new flow's
 * policy work without the conntrack insert, with warm caches.
 *
 * New flows: BPF_PROG_TEST_RUN cannot change the tuple between repeats, so
 * each new flow is a run of repeat 1 with a source port not used before
 * (conntrack misses both ways, the full policy check runs, an entry is
 * created). A run of 1 starts on caches the syscall's own work (the skb it
 * builds) has cooled, and counts the kernel's timer around it; the
 * established packet run once next to each new flow, against its batched
 * runs, measures that overhead, which is taken off: new = new(run of 1) -
 * (est(run of 1) - est(batch)). What remains still pays the cache misses of
 * what only a new flow touches (policy map, ipcache trie, the conntrack
 * insert): an upper bound; re-check is the warm policy part.
 *
 * Flow events: the same figures at 10,000 entries with weft_flow_config's
 * mode off, drops (the default) and all, in the same rounds, at a rate
 * limit nothing reaches and with the ring emptied after each mode, so "all"
 * pays for sending an event on every new flow. Established flows never
 * send one in any mode; drops only must cost nothing on forwarded packets.
 *
 * Medians (of the runs, then of ROUNDS rounds): the machine is shared, and
 * a run an interrupt hit is an outlier of microseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ip.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

#define IPCACHE_PREFIXES 10000
#define REMOTE_NODES	 100
#define R_IP		 "10.1.5.9"
#define R_IDENTITY	 5000
#define BATCH		 200 /* from-pod lowers the TTL once per repeat: < 254 */
#define BATCHES		 50
#define NEW_FLOWS	 500
#define ROUNDS		 7

static const unsigned int sizes[] = {10, 1000, 10000, 100000};
/* New flows' source ports: never one used before, never the established
 * flows' (1000). */
static uint16_t next_sport = 1024;
_Static_assert(ROUNDS *(4 + 3) * 2 * NEW_FLOWS < 65536 - 1024, "source ports for every new flow");

struct figures {
	double est, recheck, est1, new1;
};

static __attribute__((noreturn)) void die(const char *what, int err)
{
	fprintf(stderr, "policy_cost: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Remote node k at 192.168.100.k+1, its range 10.1.k.0/24 and its pods. */
static void fill_ipcache(struct weft_pod_bpf *a)
{
	char addr[32], node[32];
	int n = 0, err;

	for (int k = 0; k < REMOTE_NODES; k++) {
		snprintf(node, sizeof(node), "192.168.100.%d", k + 1);
		snprintf(addr, sizeof(addr), "10.1.%d.0", k);
		err = ipcache_put(a, addr, 24, node, WEFT_IDENTITY_UNKNOWN);
		if (err)
			die("ipcache range", err);
		n++;
	}
	for (int i = 0; n < IPCACHE_PREFIXES; i++) {
		int k = i % REMOTE_NODES, host = 1 + i / REMOTE_NODES;

		snprintf(node, sizeof(node), "192.168.100.%d", k + 1);
		snprintf(addr, sizeof(addr), "10.1.%d.%d", k, host);
		err = ipcache_put(a, addr, 32, node,
				  strcmp(addr, R_IP) ? WEFT_IDENTITY_FIRST_POD + (uint32_t)i % 4000
						     : R_IDENTITY);
		if (err)
			die("ipcache pod", err);
		n++;
	}
}

/* Ports 30000-30047 + 64 * @k: two prefixes (30000/12, 30016/11), the
 * same two lengths for every k. Returns the entries written or -errno. */
static int allow_range(int fd, int dir, uint32_t peer, unsigned int k, uint32_t rule)
{
	uint16_t lo = 30000 + 64 * (k % 500);

	return policy_allow_range_fd(fd, dir, peer, IPPROTO_TCP, lo, lo + 47, rule);
}

/*
 * A policy map of about @n entries for A (not installed): the two that
 * allow the measured flows, a range for R each way, then exact ports for
 * other identities (never R's), split between the directions and TCP/UDP,
 * with a range every 100 entries. Returns its fd.
 */
static int build_policy(unsigned int n)
{
	uint32_t max = WEFT_POLICY_MAP_MIN_ENTRIES;
	unsigned int i, count = 2;
	int fd, err;

	while (max < n + 64)
		max *= 4; /* weftd's growth */
	fd = policy_map_create(max);
	if (fd < 0)
		die("policy map", fd);
	err = policy_allow_fd(fd, WEFT_POLICY_EGRESS, R_IDENTITY, IPPROTO_TCP, 443, 16, 1);
	if (!err)
		err = policy_allow_fd(fd, WEFT_POLICY_INGRESS, R_IDENTITY, IPPROTO_TCP, 8080, 16,
				      2);
	for (int dir = WEFT_POLICY_INGRESS; !err && dir <= WEFT_POLICY_EGRESS; dir++) {
		err = allow_range(fd, dir, R_IDENTITY, 0, 3);
		count += err > 0 ? err : 0;
	}
	for (i = 0; err >= 0 && count < n; i++) {
		if (i % 100 == 99)
			err = allow_range(fd, i & 1, 300 + i / 200, i / 100, 100 + i);
		else
			err = policy_allow_fd(fd, i & 1, 300 + i / 200,
					      i & 2 ? IPPROTO_UDP : IPPROTO_TCP, 1024 + i % 200, 16,
					      100 + i);
		count += err > 0 ? err : 1;
	}
	if (err < 0)
		die("policy entries", err);
	return fd;
}

/* @fd becomes A's policy map, as weftd swaps one in: revision bumped. */
static void install_policy(struct weft_pod_bpf *a, int fd)
{
	int err = policy_map_install(a, POD_ID, fd);

	if (!err)
		err = policy_revision_bump(a);
	if (err)
		die("install policy map", err);
}

static void from_pod_pkt(struct pkt *p, uint16_t sport)
{
	pkt_eth(p, host_mac, pod_mac, ETH_P_IP);
	pkt_tcp(p, POD_IP, sport, R_IP, 443, TCP_ACK);
	((struct iphdr *)(p->buf + sizeof(struct ethhdr)))->ttl = 255;
	((struct iphdr *)(p->buf + sizeof(struct ethhdr)))->check = 0;
	((struct iphdr *)(p->buf + sizeof(struct ethhdr)))->check =
		htons(csum16(p->buf + sizeof(struct ethhdr), sizeof(struct iphdr)));
}

static void to_pod_pkt(struct pkt *p, uint16_t sport)
{
	pkt_eth(p, pod_mac, host_mac, ETH_P_IP);
	pkt_tcp(p, R_IP, sport, POD_IP, 8080, TCP_ACK);
}

/* Average ns of @repeat runs of @in, and the verdict checked. */
static double run_ns(const struct bpf_program *prog, const struct pkt *in, int repeat, int want)
{
	struct __sk_buff ctx = {.ifindex = host_ifindex, .ingress_ifindex = VXLAN_IFINDEX};
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf, .data_size_in = in->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	if (err)
		die("test run", err);
	if ((int)opts.retval != want)
		die("unexpected verdict (policy set-up?)", EPROTO);
	return opts.duration;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One round of @prog: established in BATCHES runs of BATCH, then NEW_FLOWS
 * new flows, each next to a run of 1 of the established packet. Medians of
 * the runs: a run of 1 that an interrupt or a preemption hit is an outlier
 * of microseconds, which a mean would carry.
 */
static struct figures measure_once(struct weft_pod_bpf *a, const struct bpf_program *prog,
				   bool from_pod, int want)
{
	void (*build)(struct pkt *, uint16_t) = from_pod ? from_pod_pkt : to_pod_pkt;
	static double batch[BATCHES], est1[NEW_FLOWS], new1[NEW_FLOWS];
	const uint16_t est_sport = 1000;
	uint32_t rev = policy_revision_get(a);
	struct figures f;
	struct pkt p;

	build(&p, est_sport);
	run_ns(prog, &p, 1, want); /* opens (or re-checks) the flow */
	for (int b = 0; b < BATCHES; b++) {
		build(&p, est_sport);
		batch[b] = run_ns(prog, &p, BATCH, want);
	}
	for (int i = 0; i < NEW_FLOWS; i++) {
		build(&p, est_sport);
		est1[i] = run_ns(prog, &p, 1, want);
		build(&p, next_sport++);
		new1[i] = run_ns(prog, &p, 1, want);
	}
	f.est = median(batch, BATCHES);
	if (policy_revision_set(a, 0))
		die("revision 0", EIO);
	for (int b = 0; b < BATCHES; b++) {
		build(&p, est_sport);
		batch[b] = run_ns(prog, &p, BATCH, want);
	}
	if (policy_revision_set(a, rev))
		die("revision back", EIO);
	f.recheck = median(batch, BATCHES);
	f.est1 = median(est1, NEW_FLOWS);
	f.new1 = median(new1, NEW_FLOWS);
	return f;
}

/* --- flow events ------------------------------------------------------------ */

/* The modes compared: off, drops only (the default), all. */
static const uint32_t event_modes[] = {WEFT_FLOW_MODE_OFF, WEFT_FLOW_MODE_DROPS,
				       WEFT_FLOW_MODE_ALL};
static const char *const event_mode_names[] = {"off", "drops", "all"};

/* @mode, at a rate nothing reaches: the cost of sending, not of refusing. */
static void set_events(struct weft_pod_bpf *a, uint32_t mode)
{
	struct weft_flow_config c = {.mode = mode, .rate = 1000000, .burst = 1000000};
	uint32_t key = 0;

	if (bpf_map_update_elem(bpf_map__fd(a->maps.weft_flow_config), &key, &c, BPF_ANY))
		die("flow config", errno);
}

static int drop_event(void *ctx, void *data, size_t size)
{
	(void)data, (void)size;
	++*(unsigned long *)ctx;
	return 0;
}

/* Empty the ring (nothing reads it here) so the next round has room, as
 * weftd keeps it: returns the events taken. */
static unsigned long drain_events(struct weft_pod_bpf *a)
{
	unsigned long n = 0;
	struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(a->maps.weft_flow_events), drop_event, &n, NULL);

	if (!rb)
		die("ring buffer", errno);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n;
}

/* The medians of @n rounds. */
static struct figures medians(const struct figures *r, int n)
{
	double est[ROUNDS], recheck[ROUNDS], est1[ROUNDS], new1[ROUNDS];
	struct figures f;

	for (int i = 0; i < n; i++) {
		est[i] = r[i].est;
		recheck[i] = r[i].recheck;
		est1[i] = r[i].est1;
		new1[i] = r[i].new1;
	}
	f.est = median(est, n);
	f.recheck = median(recheck, n);
	f.est1 = median(est1, n);
	f.new1 = median(new1, n);
	return f;
}

static double new_cost(const struct figures *f)
{
	return f->new1 - (f->est1 - f->est);
}

static void prog_size(const char *name, const struct bpf_program *prog)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return;
	printf("  %-18s %u instructions, %u verified\n", name, info.xlated_prog_len / 8,
	       info.verified_insns);
}

int main(void)
{
	static struct figures rf[ARRAY_SIZE(sizes)][ROUNDS], rt[ARRAY_SIZE(sizes)][ROUNDS];
	struct figures from[ARRAY_SIZE(sizes)], to[ARRAY_SIZE(sizes)];
	static struct figures ef[ARRAY_SIZE(event_modes)][ROUNDS],
		et[ARRAY_SIZE(event_modes)][ROUNDS];
	unsigned long events[ARRAY_SIZE(event_modes)] = {0};
	int fds[ARRAY_SIZE(sizes)];
	struct weft_pod_bpf *a = NULL;
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "policy_cost: needs root (BPF_PROG_TEST_RUN)\n");
		return 1;
	}
	err = load_pod_quiet(&a);
	if (err)
		die("load weft_pod", err);
	err = set_vxlan_ifindex(a, VXLAN_IFINDEX);
	if (err)
		die("overlay config", err);
	fill_ipcache(a);

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
		fds[s] = build_policy(sizes[s]);
	/* Sizes interleaved in every round, so that what else the machine
	 * does weighs on all of them alike. */
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
			install_policy(a, fds[s]);
			rf[s][r] = measure_once(a, a->progs.weft_from_pod, true, TC_ACT_REDIRECT);
			rt[s][r] = measure_once(a, a->progs.weft_to_pod, false, TC_ACT_OK);
		}
	}
	/* Flow events, at 10,000 entries: every mode in every round, the
	 * ring emptied after each. */
	for (int r = 0; r < ROUNDS; r++) {
		install_policy(a, fds[2]);
		for (size_t m = 0; m < ARRAY_SIZE(event_modes); m++) {
			set_events(a, event_modes[m]);
			ef[m][r] = measure_once(a, a->progs.weft_from_pod, true, TC_ACT_REDIRECT);
			et[m][r] = measure_once(a, a->progs.weft_to_pod, false, TC_ACT_OK);
			events[m] += drain_events(a);
		}
	}
	set_events(a, WEFT_FLOW_MODE_DROPS);
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		from[s] = medians(rf[s], ROUNDS);
		to[s] = medians(rt[s], ROUNDS);
		close(fds[s]);
	}

	printf("Policy and conntrack cost per packet: BPF_PROG_TEST_RUN, ns, median of %d rounds,\n"
	       "%d ipcache prefixes. est. = established flow, re-check = established flow\n"
	       "after a revision change (full policy check, warm), new = new flow (run of 1\n"
	       "less its overhead: an upper bound; the raw run of 1 in brackets)\n",
	       ROUNDS, IPCACHE_PREFIXES);
	printf("%9s | %-31s | %-31s\n", "", "from-pod", "to-pod");
	printf("%9s | %6s %8s %15s | %6s %8s %15s\n", "entries", "est.", "re-check", "new", "est.",
	       "re-check", "new");
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
		printf("%9u | %6.1f %8.1f %6.1f (%6.1f) | %6.1f %8.1f %6.1f (%6.1f)\n", sizes[s],
		       from[s].est, from[s].recheck, new_cost(&from[s]), from[s].new1, to[s].est,
		       to[s].recheck, new_cost(&to[s]), to[s].new1);
	printf("100,000 vs 10 entries: from-pod est. %.2fx re-check %.2fx new %.2fx; to-pod est. "
	       "%.2fx re-check %.2fx new %.2fx\n",
	       from[3].est / from[0].est, from[3].recheck / from[0].recheck,
	       new_cost(&from[3]) / new_cost(&from[0]), to[3].est / to[0].est,
	       to[3].recheck / to[0].recheck, new_cost(&to[3]) / new_cost(&to[0]));
	printf("overhead of a run of 1 (est. once - est. batched): from-pod %.1f, to-pod %.1f\n",
	       from[3].est1 - from[3].est, to[3].est1 - to[3].est);
	printf("\nFlow events (10,000 entries, same rounds): ns per packet by --flow-events mode\n");
	printf("%9s | %-31s | %-31s | %s\n", "", "from-pod", "to-pod", "events");
	printf("%9s | %6s %8s %15s | %6s %8s %15s |\n", "mode", "est.", "re-check", "new", "est.",
	       "re-check", "new");
	for (size_t m = 0; m < ARRAY_SIZE(event_modes); m++) {
		struct figures f = medians(ef[m], ROUNDS), t = medians(et[m], ROUNDS);

		printf("%9s | %6.1f %8.1f %6.1f (%6.1f) | %6.1f %8.1f %6.1f (%6.1f) | %lu\n",
		       event_mode_names[m], f.est, f.recheck, new_cost(&f), f.new1, t.est,
		       t.recheck, new_cost(&t), t.new1, events[m]);
	}
	prog_size("weft_from_pod", a->progs.weft_from_pod);
	prog_size("weft_to_pod", a->progs.weft_to_pod);
	weft_pod_bpf__destroy(a);
	return 0;
}
