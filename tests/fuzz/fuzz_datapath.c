// SPDX-License-Identifier: Apache-2.0
/*
 * Frames through the real programs with BPF_PROG_TEST_RUN, on endpoints set
 * up as tests/bpf/harness.c sets them up: A (POD_ID, the pod under test) and
 * its local peer B, the remote node's range in the ipcache, the VXLAN device
 * and the overlay programs, all on shared maps. Needs root; the programs run
 * in the kernel, uninstrumented (ASan and UBSan watch this side only).
 *
 * Input: a selector byte (bits 0-1: weft_from_pod, weft_to_pod,
 * weft_from_overlay, weft_to_overlay; bit 2: make the frame A's own on
 * from-pod, or addressed to B otherwise, with a valid IPv4 header checksum;
 * bits 3-4: the ingress ifindex), a policy byte (A and B both open, both
 * deny everything, or both allowing some ports), then the frame. The pod
 * programs run on A's host veth (skb->ifindex, in the harness's network
 * namespace), the overlay ones on no device.
 *
 * After each run: the program returned a known verdict; every counter it
 * moved is a known reason, and its own direction counted the frame exactly
 * once; from-pod forwarded nothing whose source MAC or IP (Ethernet, IPv4,
 * ARP, where 0.0.0.0 probes are fine) is not A's; under deny-all no IPv4 packet was delivered into
 * a pod but what the node sent, and from-pod forwarded none. Conntrack is emptied after each input,
 * so inputs do not depend on each other.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf.h>

#include "reasons.h"
#include "tests/bpf/harness.h"
#include "tests/fuzz/fuzz.h"

enum { POLICY_OPEN, POLICY_DENY, POLICY_SOME, POLICY_NR };

static struct weft_pod_bpf *a;
static struct weft_overlay_bpf *o;
static int policy_fds[POLICY_NR];
static int ncpu;
/* libFuzzer sees no coverage inside the kernel: each (program, policy,
 * direction, reason) a run counts is a feature of its own instead, so inputs
 * that reach a new verdict are kept. */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t
	verdicts[4][POLICY_NR][WEFT_DIR_MAX][WEFT_REASON_MAX];
static struct weft_metrics_value *before, *after; /* [WEFT_METRICS_ENTRIES][ncpu] */

static int policy_fill(int fd, int which)
{
	int err = 0;

	for (int dir = WEFT_POLICY_INGRESS;
	     which == POLICY_OPEN && !err && dir <= WEFT_POLICY_EGRESS; dir++)
		err = policy_allow_fd(fd, dir, WEFT_POLICY_ANY_PEER, 0, 0, 0, 1);
	if (which == POLICY_SOME) {
		err = policy_allow_fd(fd, WEFT_POLICY_INGRESS, WEFT_POLICY_ANY_PEER, IPPROTO_TCP,
				      80, 16, 2);
		/* It returns how many prefixes the range took. */
		if (!err && policy_allow_range_fd(fd, WEFT_POLICY_EGRESS, WEFT_IDENTITY_WORLD,
						  IPPROTO_UDP, 53, 60, 3) < 0)
			err = -EIO;
		if (!err)
			err = policy_allow_fd(fd, WEFT_POLICY_EGRESS, PEER_IDENTITY, 0, 0, 0, 4);
	}
	return err;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int err;

	(void)argc;
	(void)argv;
	FUZZ_ASSERT(geteuid() == 0, "needs root for BPF_PROG_TEST_RUN");
	err = load_pod_quiet(&a);
	FUZZ_ASSERT(!err, "load endpoint A: %s", strerror(-err));
	err = add_peer(a);
	FUZZ_ASSERT(!err, "the peer B: %s", strerror(-err));
	err = put_peer_endpoint(a, PEER_IP);
	if (!err)
		err = set_policy_prog(a, PEER_ID, a->progs.weft_to_pod_local);
	if (!err)
		err = set_policy_prog(a, POD_ID, a->progs.weft_to_pod_local);
	if (!err)
		err = put_overlay_ipcache(a);
	if (!err)
		err = set_vxlan_ifindex(a, VXLAN_IFINDEX);
	FUZZ_ASSERT(!err, "maps: %s", strerror(-err));
	o = load_overlay(a);
	FUZZ_ASSERT(o, "load the overlay programs");
	for (int i = 0; i < POLICY_NR; i++) {
		policy_fds[i] = policy_map_create(WEFT_POLICY_MAP_MIN_ENTRIES);
		FUZZ_ASSERT(policy_fds[i] >= 0, "policy map");
		FUZZ_ASSERT(!policy_fill(policy_fds[i], i), "policy %d", i);
	}
	ncpu = libbpf_num_possible_cpus();
	FUZZ_ASSERT(ncpu > 0, "possible CPUs");
	before = calloc((size_t)WEFT_METRICS_ENTRIES * ncpu, sizeof(*before));
	after = calloc((size_t)WEFT_METRICS_ENTRIES * ncpu, sizeof(*after));
	FUZZ_ASSERT(before && after, "counters");
	return 0;
}

/* Every per-CPU counter of weft_metrics, in one system call. */
static void read_metrics(struct weft_metrics_value *v)
{
	static uint32_t keys[WEFT_METRICS_ENTRIES];
	uint32_t out_batch, count = WEFT_METRICS_ENTRIES;
	int err;

	err = bpf_map_lookup_batch(bpf_map__fd(a->maps.weft_metrics), NULL, &out_batch, keys, v,
				   &count, NULL);
	FUZZ_ASSERT((!err || errno == ENOENT) && count == WEFT_METRICS_ENTRIES,
		    "weft_metrics: %d entries, %s", count, strerror(errno));
	for (uint32_t i = 0; i < count; i++)
		FUZZ_ASSERT(keys[i] == i, "weft_metrics batch out of order");
}

/* Packets counted under @idx (direction * WEFT_REASON_MAX + |reason|). */
static uint64_t counted(int idx)
{
	uint64_t n = 0;

	for (int c = 0; c < ncpu; c++)
		n += after[idx * ncpu + c].packets - before[idx * ncpu + c].packets;
	return n;
}

static void empty_conntrack(void)
{
	int fd = bpf_map__fd(a->maps.weft_conntrack);
	struct weft_ct_key key;

	while (!bpf_map_get_next_key(fd, NULL, &key))
		FUZZ_ASSERT(!bpf_map_delete_elem(fd, &key), "conntrack delete");
}

static void ip_checksum(uint8_t *frame, size_t len)
{
	struct iphdr *ip = (struct iphdr *)(frame + ETH_HLEN);
	size_t hlen = ip->ihl * 4u;

	if (hlen < sizeof(*ip) || ETH_HLEN + hlen > len)
		return;
	ip->check = 0;
	ip->check = csum16(ip, hlen);
}

static uint16_t ethertype(const uint8_t *f)
{
	return (uint16_t)(f[12] << 8 | f[13]);
}

/* Bit 2 of the selector: A's own frame on from-pod, one for B otherwise. */
static void fix_up(uint8_t *f, size_t len, bool from_pod)
{
	struct arp_eth_ipv4 *arp = (struct arp_eth_ipv4 *)(f + ETH_HLEN);
	uint32_t pod = ip4(POD_IP), peer = ip4(PEER_IP);

	if (from_pod)
		memcpy(f + ETH_ALEN, pod_mac, ETH_ALEN);
	if (ethertype(f) == ETH_P_IP && len >= ETH_HLEN + sizeof(struct iphdr)) {
		memcpy(f + ETH_HLEN + (from_pod ? 12 : 16), from_pod ? &pod : &peer, 4);
		ip_checksum(f, len);
	} else if (from_pod && ethertype(f) == ETH_P_ARP && len >= ETH_HLEN + sizeof(*arp)) {
		memcpy(arp->sha, pod_mac, ETH_ALEN);
		memcpy(arp->sip, &pod, 4);
	}
}

/* Whether @f's source addresses are all A's. */
static bool is_pods(const uint8_t *f, size_t len)
{
	const struct arp_eth_ipv4 *arp = (const struct arp_eth_ipv4 *)(f + ETH_HLEN);
	uint32_t pod = ip4(POD_IP), zero = 0;

	if (memcmp(f + ETH_ALEN, pod_mac, ETH_ALEN))
		return false;
	if (ethertype(f) == ETH_P_IP)
		return len >= ETH_HLEN + sizeof(struct iphdr) &&
		       !memcmp(f + ETH_HLEN + 12, &pod, 4);
	/* 0.0.0.0: a duplicate address probe (RFC 5227), which is allowed. */
	if (ethertype(f) == ETH_P_ARP)
		return len >= ETH_HLEN + sizeof(*arp) && !memcmp(arp->sha, pod_mac, ETH_ALEN) &&
		       (!memcmp(arp->sip, &pod, 4) || !memcmp(arp->sip, &zero, 4));
	return true;
}

static void check_counts(int dir, int prog, int policy, uint32_t iif, const uint8_t *f, size_t len,
			 int retval)
{
	uint64_t own = 0, n;
	int only = 0;

	for (int d = 0; d < WEFT_DIR_MAX; d++) {
		for (int r = 0; r < WEFT_REASON_MAX; r++) {
			n = counted(d * WEFT_REASON_MAX + r);
			if (!n)
				continue;
			/* Index r counts reason r or -r: forwards are below
			 * -WEFT_DROP_MIN, drops from it up (lib/reasons.c
			 * names every known one). */
			FUZZ_ASSERT(weft_reason_name(r < -WEFT_DROP_MIN ? r : -r),
				    "direction %d counted unknown reason index %d", d, r);
			verdicts[prog][policy][d][r]++;
			if (d == dir) {
				own += n;
				only = r < -WEFT_DROP_MIN ? r : -r;
			}
		}
	}
	FUZZ_ASSERT(own == 1, "program %d counted %llu frames in its direction", prog,
		    (unsigned long long)own);
	FUZZ_ASSERT((only < 0) == (retval == TC_ACT_SHOT) || prog == 0 || prog == 2,
		    "reason %d with verdict %d", only, retval);
	if (prog == 0 && only > 0)
		FUZZ_ASSERT(is_pods(f, len), "from-pod forwarded (%d) a frame not from A", only);
	if (policy != POLICY_DENY)
		return;
	if (prog == 0 && ethertype(f) == ETH_P_IP)
		FUZZ_ASSERT(only < 0, "deny-all: from-pod forwarded IPv4 (%d)", only);
	/* ARP is no flow: NetworkPolicy does not apply to it. */
	if (ethertype(f) == ETH_P_IP &&
	    counted(WEFT_DIR_TO_POD * WEFT_REASON_MAX + WEFT_FWD_TO_POD)) {
		uint32_t node = ip4(LOCAL_NODE_IP);

		FUZZ_ASSERT((prog == 1 && iif == 0) || (len >= ETH_HLEN + sizeof(struct iphdr) &&
							!memcmp(f + ETH_HLEN + 12, &node, 4)),
			    "deny-all: program %d delivered a frame into a pod", prog);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint32_t iifs[] = {0, 7, VXLAN_IFINDEX, peer_ifindex};
	/* Two bytes in, so the IPv4 header after the 14 of Ethernet is aligned. */
	static uint8_t buf[2 + 1600] __attribute__((aligned(8))), out[1600 + 256];
	uint8_t *frame = buf + 2;
	const struct bpf_program *progs[] = {a->progs.weft_from_pod, a->progs.weft_to_pod,
					     o->progs.weft_from_overlay, o->progs.weft_to_overlay};
	static const int dirs[] = {WEFT_DIR_FROM_POD, WEFT_DIR_TO_POD, WEFT_DIR_OVERLAY,
				   WEFT_DIR_TO_OVERLAY};
	struct __sk_buff ctx = {0};
	int prog, policy, err;
	size_t len;

	if (size < 2 + ETH_HLEN || size - 2 > sizeof(buf) - 2)
		return 0;
	/* BPF_PROG_TEST_RUN refuses (EINVAL) an IPv4 or IPv6 frame shorter than
	 * its network header, so such runts cannot be run here; the verifier
	 * holds the programs' bounds checks for them. */
	if ((ethertype(data + 2) == ETH_P_IP && size - 2 < ETH_HLEN + 20) ||
	    (ethertype(data + 2) == ETH_P_IPV6 && size - 2 < ETH_HLEN + 40))
		return 0;
	prog = data[0] & 3;
	policy = data[1] % POLICY_NR;
	ctx.ingress_ifindex = iifs[(data[0] >> 3) & 3];
	ctx.ifindex = prog < 2 ? host_ifindex : NO_IFINDEX;
	len = size - 2;
	memcpy(frame, data + 2, len);
	if (data[0] & 4)
		fix_up(frame, len, prog == 0);
	FUZZ_ASSERT(!policy_map_install(a, POD_ID, policy_fds[policy]) &&
			    !policy_map_install(a, PEER_ID, policy_fds[policy]),
		    "install policy %d", policy);

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));
	read_metrics(before);
	err = bpf_prog_test_run_opts(bpf_program__fd(progs[prog]), &opts);
	FUZZ_ASSERT(!err, "BPF_PROG_TEST_RUN of program %d: %s", prog, strerror(-err));
	FUZZ_ASSERT(opts.retval == TC_ACT_OK || opts.retval == TC_ACT_SHOT ||
			    opts.retval == TC_ACT_REDIRECT,
		    "program %d returned %u", prog, opts.retval);
	read_metrics(after);
	check_counts(dirs[prog], prog, policy, ctx.ingress_ifindex, frame, len, (int)opts.retval);
	empty_conntrack();
	return 0;
}
