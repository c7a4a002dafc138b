/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The harness every tests/bpf/test_*.c links: packet builders, map set-up,
 * the BPF_PROG_TEST_RUN helper and its counter checks, and a main() that
 * loads a fresh endpoint for each case. A test file only says what it sets
 * up, what it sends and what it expects.
 *
 * BPF_PROG_TEST_RUN performs no redirect and hands back no tunnel metadata,
 * so the redirect target and the tunnel key themselves are checked by the
 * 2-node bats test (tests/bats/55-overlay.bats); here it is the verdict, the
 * counter and the frame.
 */
#ifndef WEFT_TESTS_BPF_HARNESS_H
#define WEFT_TESTS_BPF_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "bpf/datapath.h"
#include "weft_overlay.skel.h"
#include "weft_pod.skel.h"
#include "tests/unit/testing.h"
#include "tests/bpf/harness_policy.h"

/* The endpoint under test (A), and a second local pod (B, the peer). */
extern const uint8_t pod_mac[ETH_ALEN], host_mac[ETH_ALEN];
extern const uint8_t peer_mac[ETH_ALEN], peer_host_mac[ETH_ALEN];
extern const uint8_t bogus_mac[ETH_ALEN], bcast_mac[ETH_ALEN], zero_mac[ETH_ALEN];
#define POD_IP	     "10.0.0.5"
#define PEER_IP	     "10.0.0.6"
#define HOST_IFINDEX 42
#define PEER_IFINDEX 43
#define POD_ID	     5
#define PEER_ID	     6

/* The overlay: one remote node and its pod range, and this node. */
#define NODE_IP	      "192.168.50.2" /* the remote node, tunnel endpoint */
#define REMOTE_CIDR   "10.1.0.0"     /* its pod range, /24 */
#define REMOTE_POD    "10.1.0.9"
#define LOCAL_NODE_IP "192.168.50.1" /* this node: in ipcache, not tunnelled */
#define VXLAN_IFINDEX 77

#define ARPOP_REQ 1
#define ARPOP_REP 2

/* --- packet builders ----------------------------------------------------- */

struct pkt {
	/* Two bytes ahead of buf, as the kernel's NET_IP_ALIGN: the IP header
	 * after a 14-byte Ethernet header is 4-byte aligned (UBSan checks it). */
	uint16_t ip_align;
	uint8_t buf[256];
	size_t len;
};

/* The same layout as bpf/lib/arp.h, spelled out for the wire. */
struct arp_eth_ipv4 {
	uint16_t hrd, pro;
	uint8_t hln, pln;
	uint16_t op;
	uint8_t sha[ETH_ALEN], sip[4], tha[ETH_ALEN], tip[4];
} __attribute__((packed));

uint32_t ip4(const char *s);
void *pkt_put(struct pkt *p, size_t len);
/* Starts a new frame: @p is emptied first. */
void pkt_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto);
void pkt_arp(struct pkt *p, uint16_t op, const uint8_t *sha, const char *sip, const uint8_t *tha,
	     const char *tip);
/* IPv4 + @payload bytes of UDP-ish filler, with a correct header checksum. */
void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t ttl, size_t payload);
/* The Internet checksum of @len bytes: 0 over a header with a valid one. */
uint16_t csum16(const void *data, size_t len);

/* --- running and counting ------------------------------------------------ */

struct run {
	int err;
	int retval;
	struct pkt out;
};

struct run run_prog(const struct bpf_program *prog, const struct pkt *in);
/*
 * The same with skb->ingress_ifindex = @iif. BPF_PROG_TEST_RUN otherwise
 * leaves it 0, which weft_to_pod reads as a packet the node itself sent
 * (allowed by policy); a forwarded packet has the ifindex it came in on.
 */
struct run run_prog_iif(const struct bpf_program *prog, const struct pkt *in, uint32_t iif);
/* One counter of weft_metrics, summed over the CPUs. */
struct weft_metrics_value metric(const struct weft_pod_bpf *skel, int dir, int reason);

/*
 * Run @in through @prog and check the return code and that exactly this
 * packet was counted under @reason. Returns the run for further checks.
 */
struct run expect(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
		  const struct pkt *in, int want_ret, int reason, const char *what);
/* expect() through run_prog_iif(). */
struct run expect_iif(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
		      const struct pkt *in, uint32_t iif, int want_ret, int reason,
		      const char *what);

/* Packets and bytes of one counter, before and after a run. */
struct delta {
	int dir, reason;
	struct weft_metrics_value before;
};

void delta_start(struct delta *d, const struct weft_pod_bpf *skel, int dir, int reason);
/* Checks that @n packets of @in's size were counted since delta_start(). */
void delta_check(const struct delta *d, const struct weft_pod_bpf *skel, unsigned int n,
		 const struct pkt *in, const char *what);

/*
 * Run @in through A's weft_from_pod, expect @want_ret, and check the from-pod
 * side counted forward-local once and the to-pod side counted @to_reason
 * @to_n times (0: B's program did not run).
 */
struct run expect_local(const struct weft_pod_bpf *a, const struct pkt *in, int want_ret,
			int to_reason, unsigned int to_n, const char *what);

/* --- map set-up ---------------------------------------------------------- */

/* @ip -> the peer (B) in weft_endpoints, with B's id, MACs and ifindex. */
int put_peer_endpoint(struct weft_pod_bpf *a, const char *ip);
int set_policy_prog(struct weft_pod_bpf *a, uint32_t id, const struct bpf_program *prog);
int ipcache_put(struct weft_pod_bpf *a, const char *addr, int len, const char *tunnel,
		uint32_t identity);
int set_vxlan_ifindex(struct weft_pod_bpf *a, uint32_t ifindex);
/* The remote range and pod behind NODE_IP, and this node, in weft_ipcache. */
int put_overlay_ipcache(struct weft_pod_bpf *a);

/*
 * A second copy of the object for the peer (endpoint B = PEER_ID), sharing
 * A's maps as weftd shares them by pin path. NULL (and a failed check) when
 * it does not load.
 */
struct weft_pod_bpf *load_peer(struct weft_pod_bpf *a);
/* weft_overlay.bpf.o on A's maps, as weftd loads it on the pinned ones. */
struct weft_overlay_bpf *load_overlay(struct weft_pod_bpf *a);

/*
 * Endpoint A (POD_ID, POD_IP, ...) loaded with its constants, with an open
 * policy map and policy revision 1: 0 and *out, or -errno. Prints nothing
 * (the benchmark uses it too); the runner checks it.
 */
int load_pod_quiet(struct weft_pod_bpf **out);

/* --- the runner ---------------------------------------------------------- */

/* One case: it gets endpoint A freshly loaded, with empty maps. */
struct bpf_case {
	const char *name;
	void (*run)(struct weft_pod_bpf *a);
};

/*
 * Skips (a TAP plan of 0) without root or without SCHED_CLS support, then
 * runs every case on its own A, prints the plan, and returns main()'s exit
 * code.
 */
int harness_main(const struct bpf_case *cases, size_t n);

#define HARNESS_MAIN(...)                                                                          \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct bpf_case cases_[] = {__VA_ARGS__};                             \
		return harness_main(cases_, ARRAY_SIZE(cases_));                                   \
	}

#endif
