/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The harness every tests/bpf/test_*.c links: packet builders, map set-up,
 * the BPF_PROG_TEST_RUN helper and its counter checks, and a main() that
 * loads a fresh weft_pod.bpf.o for each case. A test file only says what it
 * sets up, what it sends and what it expects.
 *
 * One load of the object serves every pod, as weftd loads it once per node:
 * a program knows its pod by skb->ifindex, the host veth it runs on, through
 * weft_veths. BPF_PROG_TEST_RUN takes skb->ifindex from the context's
 * ifindex and looks that device up in the caller's network namespace, so
 * the harness gives itself a private one with real veths for A and B
 * (net_setup()); every run names the veth it runs on.
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
#define POD_IP	"10.0.0.5"
#define PEER_IP "10.0.0.6"
#define POD_ID	5
#define PEER_ID 6

/*
 * Real devices of the harness's network namespace (net_setup()): A's and B's
 * host veths, which get weft_veths entries (A's at load, B's with
 * add_peer()), and A's pod-side end, a veth weftd never gave an entry.
 */
extern uint32_t host_ifindex, peer_ifindex, stray_ifindex;
/* No device: BPF_PROG_TEST_RUN runs the skb on loopback (skb->ifindex 1),
 * which has no weft_veths entry; the overlay programs run so. */
#define NO_IFINDEX 0

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

/*
 * Run @in through @prog on the device @ifindex (skb->ifindex: the host veth
 * the program is attached to, or NO_IFINDEX) with skb->ingress_ifindex =
 * @iif. BPF_PROG_TEST_RUN otherwise leaves the latter 0, which weft_to_pod
 * reads as a packet the node itself sent (allowed by policy); a forwarded
 * packet has the ifindex it came in on.
 */
struct run run_prog_on(const struct bpf_program *prog, const struct pkt *in, uint32_t ifindex,
		       uint32_t iif);
/* On A's host veth, iif 0. */
struct run run_prog(const struct bpf_program *prog, const struct pkt *in);
/* On A's host veth. */
struct run run_prog_iif(const struct bpf_program *prog, const struct pkt *in, uint32_t iif);
/* One counter of weft_metrics, summed over the CPUs. */
struct weft_metrics_value metric(const struct weft_pod_bpf *skel, int dir, int reason);

/*
 * Run @in through @prog (run_prog_on()) and check the return code and that
 * exactly this packet was counted under @reason. Returns the run for further
 * checks.
 */
struct run expect_on(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
		     const struct pkt *in, uint32_t ifindex, uint32_t iif, int want_ret, int reason,
		     const char *what);
/* expect_on() on A's host veth, iif 0. */
struct run expect(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
		  const struct pkt *in, int want_ret, int reason, const char *what);
/* expect_on() on A's host veth. */
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
 * Run @in through weft_from_pod on A's host veth, expect @want_ret, and check
 * the from-pod side counted forward-local once and the to-pod side counted
 * @to_reason @to_n times (0: weft_to_pod_local did not run).
 */
struct run expect_local(const struct weft_pod_bpf *a, const struct pkt *in, int want_ret,
			int to_reason, unsigned int to_n, const char *what);

/* --- map set-up ---------------------------------------------------------- */

/* The pod @id (@ip, @pod_mac behind the gateway @host_mac) on the host veth
 * @ifindex, in weft_veths, as weftd writes it before attaching. */
int put_veth(struct weft_pod_bpf *a, uint32_t ifindex, uint32_t id, const char *ip,
	     const uint8_t *pod, const uint8_t *host);
/* @ifindex's entry removed, as weftd on DEL. */
int del_veth(struct weft_pod_bpf *a, uint32_t ifindex);
/* @ip -> the peer (B) in weft_endpoints, with B's id, MACs and ifindex. */
int put_peer_endpoint(struct weft_pod_bpf *a, const char *ip);
int set_policy_prog(struct weft_pod_bpf *a, uint32_t id, const struct bpf_program *prog);
int ipcache_put(struct weft_pod_bpf *a, const char *addr, int len, const char *tunnel,
		uint32_t identity);
int set_vxlan_ifindex(struct weft_pod_bpf *a, uint32_t ifindex);
/* The remote range and pod behind NODE_IP, and this node, in weft_ipcache. */
int put_overlay_ipcache(struct weft_pod_bpf *a);

/*
 * The peer (endpoint B = PEER_ID) on the node: its weft_veths entry on its
 * host veth and an open policy map, as weftd adds a second pod. B runs A's
 * programs (one load serves both): a run on peer_ifindex is B's. 0, or
 * -errno (and a failed check). It does not put B in weft_endpoints
 * (put_peer_endpoint()) nor its slot in weft_policy_progs.
 */
int add_peer(struct weft_pod_bpf *a);
/* weft_overlay.bpf.o on A's maps, as weftd loads it on the pinned ones. */
struct weft_overlay_bpf *load_overlay(struct weft_pod_bpf *a);

/*
 * The harness's private network namespace (the calling thread enters it)
 * with A's and B's host veths, and host_ifindex and the others set: once
 * per process, later calls return the first one's result. 0 or -errno.
 */
int net_setup(void);

/*
 * weft_pod.bpf.o loaded, with endpoint A (POD_ID, POD_IP, ...) on its host
 * veth in weft_veths, an open policy map for A and policy revision 1; in
 * the network namespace of net_setup(), which it calls: 0 and *out, or
 * -errno. Prints nothing (the benchmark and the fuzzer use it too); the
 * runner checks it.
 */
int load_pod_quiet(struct weft_pod_bpf **out);

/* --- the runner ---------------------------------------------------------- */

/* One case: it gets the object freshly loaded, with empty maps but A's. */
struct bpf_case {
	const char *name;
	void (*run)(struct weft_pod_bpf *a);
};

/*
 * Skips (a TAP plan of 0) without root or without SCHED_CLS support, sets up
 * the network namespace, then runs every case on its own load, prints the
 * plan, and returns main()'s exit code.
 */
int harness_main(const struct bpf_case *cases, size_t n);

#define HARNESS_MAIN(...)                                                                          \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct bpf_case cases_[] = {__VA_ARGS__};                             \
		return harness_main(cases_, ARRAY_SIZE(cases_));                                   \
	}

#endif
