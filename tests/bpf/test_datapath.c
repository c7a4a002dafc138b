// SPDX-License-Identifier: Apache-2.0
/*
 * weft_pod.bpf.o and weft_overlay.bpf.o on the running kernel: hand-built
 * frames through BPF_PROG_TEST_RUN, checking the verdict, the rewritten frame
 * and the metrics counter each verdict must bump. Needs root; never touches
 * bpffs.
 *
 * BPF_PROG_TEST_RUN performs no redirect and hands back no tunnel metadata,
 * so the redirect target and the tunnel key themselves are checked by the
 * 2-node bats test (tests/bats/60-overlay.bats); here it is the verdict, the
 * counter and the frame.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/datapath.h"
#include "log.h"
#include "weft_overlay.skel.h"
#include "weft_pod.skel.h"
#include "tests/unit/testing.h"

/* The endpoint under test, and a second local pod it talks to. */
static const uint8_t pod_mac[ETH_ALEN] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x05};
static const uint8_t host_mac[ETH_ALEN] = {0xee, 0xee, 0xee, 0xee, 0xee, 0x05};
static const uint8_t peer_mac[ETH_ALEN] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x06};
static const uint8_t peer_host_mac[ETH_ALEN] = {0xee, 0xee, 0xee, 0xee, 0xee, 0x06};
static const uint8_t bogus_mac[ETH_ALEN] = {0x02, 0xba, 0xd0, 0x00, 0x00, 0x01};
static const uint8_t bcast_mac[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define POD_IP	     "10.0.0.5"
#define PEER_IP	     "10.0.0.6"
#define HOST_IFINDEX 42
#define PEER_IFINDEX 43
#define POD_ID	     5
#define PEER_ID	     6

#define ARPOP_REQ 1
#define ARPOP_REP 2

/* --- packet builder ------------------------------------------------------ */

struct pkt {
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

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void *pkt_put(struct pkt *p, size_t len)
{
	void *at = p->buf + p->len;

	if (p->len + len > sizeof(p->buf))
		abort();
	memset(at, 0, len);
	p->len += len;
	return at;
}

static void pkt_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto)
{
	struct ethhdr *eth;

	p->len = 0;
	eth = pkt_put(p, sizeof(*eth));
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(proto);
}

static void pkt_arp(struct pkt *p, uint16_t op, const uint8_t *sha, const char *sip,
		    const uint8_t *tha, const char *tip)
{
	struct arp_eth_ipv4 *arp = pkt_put(p, sizeof(*arp));
	uint32_t a;

	arp->hrd = htons(1);
	arp->pro = htons(ETH_P_IP);
	arp->hln = ETH_ALEN;
	arp->pln = 4;
	arp->op = htons(op);
	memcpy(arp->sha, sha, ETH_ALEN);
	a = ip4(sip);
	memcpy(arp->sip, &a, 4);
	memcpy(arp->tha, tha, ETH_ALEN);
	a = ip4(tip);
	memcpy(arp->tip, &a, 4);
}

static uint16_t csum16(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 + @payload bytes of UDP-ish filler, with a correct header checksum. */
static void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t ttl, size_t payload)
{
	struct iphdr *ip = pkt_put(p, sizeof(*ip));
	uint8_t *data;

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + payload);
	ip->id = htons(0x1234);
	ip->ttl = ttl;
	ip->protocol = 17;
	ip->saddr = ip4(src);
	ip->daddr = ip4(dst);
	ip->check = htons(csum16(ip, sizeof(*ip)));
	data = pkt_put(p, payload);
	for (size_t i = 0; i < payload; i++)
		data[i] = (uint8_t)i;
}

/* --- running and counting ------------------------------------------------ */

struct run {
	int err;
	int retval;
	struct pkt out;
};

static struct run run_prog(const struct bpf_program *prog, const struct pkt *in)
{
	struct run r = {0};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf, .data_size_in = in->len,
		    .data_out = r.out.buf, .data_size_out = sizeof(r.out.buf), .repeat = 1);

	r.err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	r.retval = opts.retval;
	r.out.len = opts.data_size_out;
	if (r.err)
		printf("# test_run: %s\n", strerror(-r.err));
	return r;
}

static struct weft_metrics_value metric(const struct weft_pod_bpf *skel, int dir, int reason)
{
	struct weft_metrics_value sum = {0}, *vals;
	int ncpu = libbpf_num_possible_cpus();
	uint32_t key = dir * WEFT_REASON_MAX + (reason < 0 ? -reason : reason);

	if (ncpu <= 0)
		return sum;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return sum;
	if (!bpf_map__lookup_elem(skel->maps.weft_metrics, &key, sizeof(key), vals,
				  sizeof(*vals) * ncpu, 0)) {
		for (int i = 0; i < ncpu; i++) {
			sum.packets += vals[i].packets;
			sum.bytes += vals[i].bytes;
		}
	}
	free(vals);
	return sum;
}

/*
 * Run @in through @prog and check the return code and that exactly this
 * packet was counted under @reason. Returns the run for further checks.
 */
static struct run expect(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
			 const struct pkt *in, int want_ret, int reason, const char *what)
{
	struct weft_metrics_value before = metric(skel, dir, reason), after;
	struct run r = run_prog(prog, in);

	after = metric(skel, dir, reason);
	CHECK(r.err == 0 && r.retval == want_ret, "%s: returns %d (got err %d, ret %d)", what,
	      want_ret, r.err, r.retval);
	CHECK(after.packets - before.packets == 1 && after.bytes - before.bytes == in->len,
	      "%s: counted 1 packet, %zu bytes under reason %d (got %llu, %llu)", what, in->len,
	      reason, (unsigned long long)(after.packets - before.packets),
	      (unsigned long long)(after.bytes - before.bytes));
	return r;
}

/* --- cases --------------------------------------------------------------- */

static void test_arp(struct weft_pod_bpf *skel)
{
	const struct bpf_program *prog = skel->progs.weft_from_pod;
	const struct arp_eth_ipv4 *arp;
	const struct ethhdr *eth;
	struct pkt p;
	struct run r;
	uint32_t a;

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, POD_IP, (const uint8_t[ETH_ALEN]){0}, "169.254.1.1");
	r = expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_ARP_REPLY,
		   "arp request for the gateway");
	eth = (const void *)r.out.buf;
	arp = (const void *)(eth + 1);
	CHECK(r.out.len == p.len, "arp reply: same length");
	CHECK(!memcmp(eth->h_dest, pod_mac, ETH_ALEN) &&
		      !memcmp(eth->h_source, host_mac, ETH_ALEN) &&
		      eth->h_proto == htons(ETH_P_ARP),
	      "arp reply: ethernet host mac -> pod mac");
	CHECK(arp->hrd == htons(1) && arp->pro == htons(ETH_P_IP) && arp->hln == 6 &&
		      arp->pln == 4 && arp->op == htons(ARPOP_REP),
	      "arp reply: ethernet/ipv4 reply op");
	a = ip4("169.254.1.1");
	CHECK(!memcmp(arp->sha, host_mac, ETH_ALEN) && !memcmp(arp->sip, &a, 4),
	      "arp reply: 169.254.1.1 is at the host mac");
	a = ip4(POD_IP);
	CHECK(!memcmp(arp->tha, pod_mac, ETH_ALEN) && !memcmp(arp->tip, &a, 4),
	      "arp reply: addressed to the pod");

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, "0.0.0.0", (const uint8_t[ETH_ALEN]){0}, POD_IP);
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_ARP_NOT_GATEWAY,
	       "arp probe for the pod's own address");

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, POD_IP, (const uint8_t[ETH_ALEN]){0}, PEER_IP);
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_ARP_NOT_GATEWAY,
	       "arp request for another ip");

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, pod_mac, PEER_IP, (const uint8_t[ETH_ALEN]){0}, "169.254.1.1");
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_IP,
	       "arp with a spoofed sender ip");

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, bogus_mac, POD_IP, (const uint8_t[ETH_ALEN]){0}, "169.254.1.1");
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_MAC,
	       "arp with a spoofed sender mac");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REP, pod_mac, POD_IP, host_mac, "192.168.1.10");
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "arp reply from the pod to the host");

	pkt_eth(&p, bcast_mac, pod_mac, ETH_P_ARP);
	pkt_put(&p, 10);
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "truncated arp");
}

static void test_antispoof(struct weft_pod_bpf *skel)
{
	const struct bpf_program *prog = skel->progs.weft_from_pod;
	struct weft_metrics_value m;
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, "10.0.0.99", PEER_IP, 64, 100);
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_IP,
	       "ipv4 with a spoofed source ip");
	/* The first spoofed IPv4 packet of this run (the ARP one was counted
	 * earlier under the same reason): check the total too. */
	m = metric(skel, WEFT_DIR_FROM_POD, WEFT_DROP_SPOOFED_IP);
	CHECK(m.packets == 2 && m.bytes == 14 + 28 + 14 + 20 + 100,
	      "drop-spoofed-ip total: 2 packets, %d bytes (got %llu, %llu)",
	      14 + 28 + 14 + 20 + 100, (unsigned long long)m.packets, (unsigned long long)m.bytes);

	pkt_eth(&p, host_mac, bogus_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 100);
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_SPOOFED_MAC,
	       "ipv4 with a spoofed source mac");
}

static void test_local(struct weft_pod_bpf *skel)
{
	const struct bpf_program *prog = skel->progs.weft_from_pod;
	struct weft_endpoint_info ep = {
		.ifindex = PEER_IFINDEX, .endpoint_id = PEER_ID, .flags = WEFT_EP_F_LOCAL};
	struct weft_ip_key key = {.family = WEFT_FAMILY_IPV4};
	const struct ethhdr *eth;
	const struct iphdr *ip;
	struct pkt p;
	struct run r;
	int err;

	key.addr[0] = ip4(PEER_IP);
	memcpy(ep.pod_mac, peer_mac, ETH_ALEN);
	memcpy(ep.host_mac, peer_host_mac, ETH_ALEN);
	err = bpf_map__update_elem(skel->maps.weft_endpoints, &key, sizeof(key), &ep, sizeof(ep),
				   BPF_ANY);
	CHECK_INT(err, 0, "insert the peer into weft_endpoints");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 64);
	r = expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_LOCAL,
		   "ipv4 to a local pod");
	eth = (const void *)r.out.buf;
	ip = (const void *)(eth + 1);
	CHECK(r.out.len == p.len, "local: same length");
	CHECK(!memcmp(eth->h_source, peer_host_mac, ETH_ALEN) &&
		      !memcmp(eth->h_dest, peer_mac, ETH_ALEN),
	      "local: ethernet rewritten to peer host mac -> peer pod mac");
	CHECK_INT(ip->ttl, 63, "local: ttl decremented");
	CHECK_INT(csum16(ip, sizeof(*ip)), 0, "local: ip header checksum still valid");
	CHECK(!memcmp(r.out.buf + sizeof(*eth) + sizeof(*ip), p.buf + sizeof(*eth) + sizeof(*ip),
		      64),
	      "local: payload untouched");

	/* A TTL whose checksum update carries around the 16-bit boundary. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 255, 0);
	r = run_prog(prog, &p);
	ip = (const void *)(r.out.buf + sizeof(*eth));
	CHECK(r.retval == TC_ACT_REDIRECT && ip->ttl == 254 && csum16(ip, sizeof(*ip)) == 0,
	      "local: ttl 255 -> 254 with a valid checksum");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 1, 64);
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_TTL_EXCEEDED,
	       "ipv4 to a local pod with ttl 1");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "8.8.8.8", 64, 64);
	r = expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
		   "ipv4 to an unknown address");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "host: frame passed unchanged");
}

static void test_malformed(struct weft_pod_bpf *skel)
{
	const struct bpf_program *prog = skel->progs.weft_from_pod;
	struct iphdr *ip;
	struct pkt p;

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IPV6);
	pkt_put(&p, 40 + 8);
	p.buf[14] = 0x60;
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3,
	       "ipv6 from the pod");

	/* BPF_PROG_TEST_RUN itself refuses an ETH_P_IP frame shorter than an
	 * iphdr (-EINVAL), so the short-header path is exercised with ARP
	 * above; here the header is complete but claims options the frame
	 * does not have. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 20);
	ip = (struct iphdr *)(p.buf + sizeof(struct ethhdr));
	ip->ihl = 15;
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "ipv4 header longer than the frame (ihl 15)");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 20);
	ip = (struct iphdr *)(p.buf + sizeof(struct ethhdr));
	ip->tot_len = htons(200);
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "ipv4 total length beyond the frame");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 64, 20);
	ip = (struct iphdr *)(p.buf + sizeof(struct ethhdr));
	ip->ihl = 4;
	expect(skel, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "ipv4 ihl < 5");
}

static void test_to_pod(struct weft_pod_bpf *skel)
{
	const struct bpf_program *prog = skel->progs.weft_to_pod;
	struct pkt p;

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, POD_IP, 64, 32);
	expect(skel, prog, WEFT_DIR_TO_POD, &p, TC_ACT_OK, WEFT_FWD_TO_POD,
	       "to-pod: ipv4 to the pod ip");

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, "10.0.0.7", 64, 32);
	expect(skel, prog, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT, WEFT_DROP_NOT_FOR_POD,
	       "to-pod: ipv4 to another ip");

	pkt_eth(&p, bcast_mac, host_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, host_mac, "192.168.1.10", (const uint8_t[ETH_ALEN]){0}, POD_IP);
	expect(skel, prog, WEFT_DIR_TO_POD, &p, TC_ACT_OK, WEFT_FWD_TO_POD,
	       "to-pod: arp from the host");

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	expect(skel, prog, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT, WEFT_DROP_UNSUPPORTED_L3,
	       "to-pod: ipv6");

	pkt_eth(&p, pod_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, PEER_IP, POD_IP, 64, 32);
	((struct iphdr *)(p.buf + sizeof(struct ethhdr)))->tot_len = htons(100);
	expect(skel, prog, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT, WEFT_DROP_INVALID_PACKET,
	       "to-pod: ipv4 total length beyond the frame");
}

/* --- local delivery through the destination's program --------------------- */

/* Packets and bytes of one counter, before and after a run. */
struct delta {
	int dir, reason;
	struct weft_metrics_value before;
};

static void delta_start(struct delta *d, const struct weft_pod_bpf *skel, int dir, int reason)
{
	d->dir = dir;
	d->reason = reason;
	d->before = metric(skel, dir, reason);
}

static void delta_check(const struct delta *d, const struct weft_pod_bpf *skel, unsigned int n,
			const struct pkt *in, const char *what)
{
	struct weft_metrics_value after = metric(skel, d->dir, d->reason);
	unsigned long long dp = after.packets - d->before.packets;
	unsigned long long db = after.bytes - d->before.bytes;

	CHECK(dp == n && db == n * in->len, "%s: %u packet(s) under %s reason %d (got %llu, %llu)",
	      what, n, d->dir == WEFT_DIR_TO_POD ? "to-pod" : "from-pod", d->reason, dp, db);
}

/*
 * Run @in through A's weft_from_pod, expect @want_ret, and check the from-pod
 * side counted forward-local once and the to-pod side counted @to_reason
 * @to_n times (0: B's program did not run).
 */
static struct run expect_local(const struct weft_pod_bpf *a, const struct pkt *in, int want_ret,
			       int to_reason, unsigned int to_n, const char *what)
{
	struct delta from, to;
	struct run r;

	delta_start(&from, a, WEFT_DIR_FROM_POD, WEFT_FWD_LOCAL);
	delta_start(&to, a, WEFT_DIR_TO_POD, to_reason);
	r = run_prog(a->progs.weft_from_pod, in);
	CHECK(r.err == 0 && r.retval == want_ret, "%s: returns %d (got err %d, ret %d)", what,
	      want_ret, r.err, r.retval);
	delta_check(&from, a, 1, in, what);
	delta_check(&to, a, to_n, in, what);
	return r;
}

/* Make every shared map of @obj that @a has use @a's, as weftd shares them by
 * pin. */
static int reuse_maps(struct bpf_object *obj, const struct weft_pod_bpf *a)
{
	struct bpf_map *map, *theirs;
	int err;

	bpf_object__for_each_map(map, obj)
	{
		theirs = bpf_object__find_map_by_name(a->obj, bpf_map__name(map));
		/* Internal maps (.rodata and the like) are each copy's own. */
		if (!theirs || bpf_map__is_internal(map))
			continue;
		err = bpf_map__reuse_fd(map, bpf_map__fd(theirs));
		if (err)
			return err;
	}
	return 0;
}

/*
 * A second copy of the object for the peer (endpoint B = PEER_ID), sharing
 * A's maps as weftd shares them by pin path.
 */
static struct weft_pod_bpf *load_peer(struct weft_pod_bpf *a)
{
	struct weft_pod_bpf *b = weft_pod_bpf__open();
	int err;

	CHECK(b != NULL, "open a second copy for the peer");
	if (!b)
		return NULL;
	b->rodata->weft_endpoint_id = PEER_ID;
	b->rodata->weft_pod_ipv4 = ip4(PEER_IP);
	memcpy(b->rodata->weft_pod_mac, peer_mac, ETH_ALEN);
	memcpy(b->rodata->weft_host_mac, peer_host_mac, ETH_ALEN);
	b->rodata->weft_host_ifindex = PEER_IFINDEX;

	err = reuse_maps(b->obj, a);
	CHECK_INT(err, 0, "peer copy reuses the shared maps");
	if (!err)
		err = weft_pod_bpf__load(b);
	CHECK_INT(err, 0, "load the peer copy with its constants (verifier)");
	if (err) {
		weft_pod_bpf__destroy(b);
		return NULL;
	}
	return b;
}

static int set_policy_prog(struct weft_pod_bpf *a, uint32_t id, const struct bpf_program *prog)
{
	int fd = bpf_program__fd(prog);

	return bpf_map__update_elem(a->maps.weft_policy_progs, &id, sizeof(id), &fd, sizeof(fd),
				    BPF_ANY);
}

static void test_local_tail_call(struct weft_pod_bpf *a)
{
	struct weft_endpoint_info ep = {
		.ifindex = PEER_IFINDEX, .endpoint_id = PEER_ID, .flags = WEFT_EP_F_LOCAL};
	struct weft_ip_key key = {.family = WEFT_FAMILY_IPV4};
	uint32_t id = PEER_ID;
	const struct ethhdr *eth;
	const struct iphdr *ip;
	struct weft_pod_bpf *b;
	struct pkt p;
	struct run r;
	int err;

	b = load_peer(a);
	if (!b)
		return;

	/* B in weft_endpoints (test_local put it there already; again here so
	 * this case stands alone), B's program at index B's id. */
	key.addr[0] = ip4(PEER_IP);
	memcpy(ep.pod_mac, peer_mac, ETH_ALEN);
	memcpy(ep.host_mac, peer_host_mac, ETH_ALEN);
	err = bpf_map__update_elem(a->maps.weft_endpoints, &key, sizeof(key), &ep, sizeof(ep),
				   BPF_ANY);
	CHECK_INT(err, 0, "tail call: peer in weft_endpoints");
	err = set_policy_prog(a, PEER_ID, b->progs.weft_to_pod_local);
	CHECK_INT(err, 0, "tail call: peer's weft_to_pod_local at index %d of weft_policy_progs",
		  PEER_ID);

	/* BPF_PROG_TEST_RUN returns the program's verdict and performs no
	 * redirect: bpf_redirect_peer() only records the target and returns
	 * TC_ACT_REDIRECT, as bpf_redirect() does, so the two are told apart
	 * by the to-pod counter that only B's program bumps. */
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
	 * check refuses it, exactly as its weft_to_pod would. */
	key.addr[0] = ip4("10.0.0.7");
	err = bpf_map__update_elem(a->maps.weft_endpoints, &key, sizeof(key), &ep, sizeof(ep),
				   BPF_ANY);
	CHECK_INT(err, 0, "tail call: stale entry 10.0.0.7 -> peer");
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "10.0.0.7", 64, 64);
	expect_local(a, &p, TC_ACT_SHOT, WEFT_DROP_NOT_FOR_POD, 1,
		     "tail call: ipv4 not for the peer, refused by its program");
	err = bpf_map__delete_elem(a->maps.weft_endpoints, &key, sizeof(key), 0);
	CHECK_INT(err, 0, "tail call: stale entry removed");

	/* B's program on its own, with B's constants. */
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, PEER_IP, 63, 16);
	expect(b, b->progs.weft_to_pod_local, WEFT_DIR_TO_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD,
	       "to-pod-local: ipv4 to the pod ip");
	pkt_eth(&p, peer_mac, peer_host_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	expect(b, b->progs.weft_to_pod_local, WEFT_DIR_TO_POD, &p, TC_ACT_SHOT,
	       WEFT_DROP_UNSUPPORTED_L3, "to-pod-local: ipv6");

	/* An empty slot (older weftd, or not inserted yet): the tail call
	 * falls through to the redirect to B's host veth, B's program does
	 * not run. */
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
	ep.endpoint_id = WEFT_MAX_ENDPOINTS + 7;
	err = set_policy_prog(a, PEER_ID, b->progs.weft_to_pod_local);
	if (!err)
		err = bpf_map__update_elem(a->maps.weft_endpoints, &key, sizeof(key), &ep,
					   sizeof(ep), BPF_ANY);
	CHECK_INT(err, 0, "tail call: peer entry with an out-of-range id");
	expect_local(a, &p, TC_ACT_REDIRECT, WEFT_FWD_TO_POD, 0,
		     "fallback: endpoint id beyond weft_policy_progs");

	/* Leave the shared maps as test_local found them. */
	ep.endpoint_id = PEER_ID;
	err = bpf_map__update_elem(a->maps.weft_endpoints, &key, sizeof(key), &ep, sizeof(ep),
				   BPF_ANY);
	if (!err)
		err = bpf_map__delete_elem(a->maps.weft_policy_progs, &id, sizeof(id), 0);
	CHECK_INT(err, 0, "tail call: shared maps restored");
	weft_pod_bpf__destroy(b);
}

/* --- overlay ------------------------------------------------------------- */

#define NODE_IP	      "192.168.50.2" /* the remote node, tunnel endpoint */
#define REMOTE_CIDR   "10.1.0.0"     /* its pod range, /24 */
#define REMOTE_POD    "10.1.0.9"
#define LOCAL_NODE_IP "192.168.50.1" /* this node: in ipcache, not tunnelled */
#define VXLAN_IFINDEX 77

static int ipcache_put(struct weft_pod_bpf *a, const char *addr, int len, const char *tunnel,
		       uint32_t identity)
{
	struct weft_ipcache_key key = {.prefixlen = WEFT_IPCACHE_PREFIX_BASE + len,
				       .family = WEFT_FAMILY_IPV4};
	struct weft_ipcache_value v = {.identity = identity};

	key.addr[0] = ip4(addr);
	if (tunnel) {
		v.tunnel_family = WEFT_FAMILY_IPV4;
		v.tunnel_addr[0] = ip4(tunnel);
	}
	return bpf_map__update_elem(a->maps.weft_ipcache, &key, sizeof(key), &v, sizeof(v),
				    BPF_ANY);
}

static int set_vxlan_ifindex(struct weft_pod_bpf *a, uint32_t ifindex)
{
	struct weft_overlay_config cfg = {.vxlan_ifindex = ifindex};
	uint32_t zero = 0;

	return bpf_map__update_elem(a->maps.weft_overlay_config, &zero, sizeof(zero), &cfg,
				    sizeof(cfg), BPF_ANY);
}

static void test_tunnel(struct weft_pod_bpf *a)
{
	const struct bpf_program *prog = a->progs.weft_from_pod;
	const struct iphdr *ip;
	struct pkt p;
	struct run r;
	int err;

	err = ipcache_put(a, REMOTE_CIDR, 24, NODE_IP, WEFT_IDENTITY_UNKNOWN);
	if (!err)
		err = ipcache_put(a, REMOTE_POD, 32, NODE_IP, WEFT_IDENTITY_FIRST_POD);
	if (!err)
		err = ipcache_put(a, LOCAL_NODE_IP, 32, NULL, WEFT_IDENTITY_HOST);
	CHECK_INT(err, 0, "ipcache: remote range, remote pod, local node");

	/* No VXLAN device configured yet: the host decides. */
	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, REMOTE_POD, 64, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "tunnel: remote pod without an overlay device goes to the host");

	err = set_vxlan_ifindex(a, VXLAN_IFINDEX);
	CHECK_INT(err, 0, "overlay config: vxlan ifindex %d", VXLAN_IFINDEX);
	r = expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_TUNNEL,
		   "tunnel: remote pod (its /32) into the overlay");
	ip = (const void *)(r.out.buf + sizeof(struct ethhdr));
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, 2 * ETH_ALEN) && ip->ttl == 63 &&
		      csum16(ip, sizeof(*ip)) == 0,
	      "tunnel: macs kept, ttl decremented, checksum valid");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "10.1.0.200", 64, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_REDIRECT, WEFT_FWD_TUNNEL,
	       "tunnel: unknown address in a remote range into the overlay");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, LOCAL_NODE_IP, 64, 64);
	r = expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
		   "tunnel: this node's address (no tunnel endpoint) goes to the host");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "tunnel: host-bound frame unchanged");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, "10.1.1.1", 64, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_OK, WEFT_FWD_HOST,
	       "tunnel: outside every range goes to the host");

	pkt_eth(&p, host_mac, pod_mac, ETH_P_IP);
	pkt_ipv4(&p, POD_IP, REMOTE_POD, 1, 64);
	expect(a, prog, WEFT_DIR_FROM_POD, &p, TC_ACT_SHOT, WEFT_DROP_TTL_EXCEEDED,
	       "tunnel: ttl 1 to a remote pod");
}

static struct weft_overlay_bpf *load_overlay(struct weft_pod_bpf *a)
{
	struct weft_overlay_bpf *o = weft_overlay_bpf__open();
	int err;

	CHECK(o != NULL, "open the weft_overlay skeleton");
	if (!o)
		return NULL;
	err = reuse_maps(o->obj, a);
	CHECK_INT(err, 0, "overlay object reuses the shared maps");
	if (!err)
		err = weft_overlay_bpf__load(o);
	CHECK_INT(err, 0, "load weft_overlay (verifier)");
	if (err) {
		weft_overlay_bpf__destroy(o);
		return NULL;
	}
	return o;
}

static void test_overlay(struct weft_pod_bpf *a)
{
	struct weft_overlay_bpf *o = load_overlay(a);
	const uint8_t remote_gw_mac[ETH_ALEN] = {0xee, 0xee, 0xee, 0x00, 0x00, 0x09};
	const uint8_t remote_pod_mac[ETH_ALEN] = {0x02, 0x00, 0x0a, 0x01, 0x00, 0x09};
	const struct ethhdr *eth;
	const struct iphdr *ip;
	struct weft_pod_bpf *b;
	struct delta to;
	struct pkt p;
	struct run r;

	if (!o)
		return;

	/* Decapsulated: remote pod -> the local peer, MACs as the remote
	 * pod sent them. (test_local put the peer in weft_endpoints.) */
	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, PEER_IP, 63, 64);
	r = expect(a, o->progs.weft_from_overlay, WEFT_DIR_OVERLAY, &p, TC_ACT_REDIRECT,
		   WEFT_FWD_LOCAL, "from-overlay: to a local pod (empty slot: its host veth)");
	eth = (const void *)r.out.buf;
	ip = (const void *)(eth + 1);
	CHECK(r.out.len == p.len && !memcmp(eth->h_source, peer_host_mac, ETH_ALEN) &&
		      !memcmp(eth->h_dest, peer_mac, ETH_ALEN) && ip->ttl == 62 &&
		      csum16(ip, sizeof(*ip)) == 0,
	      "from-overlay: routed to the local pod (macs, ttl, checksum)");

	/* With the peer's program in its slot, the overlay program's tail
	 * call reaches it: the program array accepts the overlay program. */
	b = load_peer(a);
	if (b) {
		CHECK_INT(set_policy_prog(a, PEER_ID, b->progs.weft_to_pod_local), 0,
			  "from-overlay: peer's weft_to_pod_local in its slot");
		delta_start(&to, a, WEFT_DIR_TO_POD, WEFT_FWD_TO_POD);
		expect(a, o->progs.weft_from_overlay, WEFT_DIR_OVERLAY, &p, TC_ACT_REDIRECT,
		       WEFT_FWD_LOCAL, "from-overlay: to a local pod through its program");
		delta_check(&to, a, 1, &p, "from-overlay: the peer's to-pod checks ran");
		CHECK_INT(bpf_map__delete_elem(a->maps.weft_policy_progs, &(uint32_t){PEER_ID},
					       sizeof(uint32_t), 0),
			  0, "from-overlay: peer's slot emptied again");
		weft_pod_bpf__destroy(b);
	}

	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, LOCAL_NODE_IP, 63, 64);
	r = expect(a, o->progs.weft_from_overlay, WEFT_DIR_OVERLAY, &p, TC_ACT_OK, WEFT_FWD_HOST,
		   "from-overlay: unknown destination (this node) goes to the host");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "from-overlay: host-bound frame unchanged");

	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_IP);
	pkt_ipv4(&p, REMOTE_POD, PEER_IP, 1, 64);
	expect(a, o->progs.weft_from_overlay, WEFT_DIR_OVERLAY, &p, TC_ACT_SHOT,
	       WEFT_DROP_TTL_EXCEEDED, "from-overlay: ttl 1 to a local pod");

	pkt_eth(&p, remote_gw_mac, remote_pod_mac, ETH_P_ARP);
	pkt_arp(&p, ARPOP_REQ, remote_pod_mac, REMOTE_POD, (const uint8_t[ETH_ALEN]){0}, PEER_IP);
	expect(a, o->progs.weft_from_overlay, WEFT_DIR_OVERLAY, &p, TC_ACT_SHOT,
	       WEFT_DROP_UNSUPPORTED_L3, "from-overlay: arp");

	/* The host's own packets routed into the device: key from ipcache. */
	pkt_eth(&p, remote_gw_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, LOCAL_NODE_IP, REMOTE_POD, 64, 64);
	r = expect(a, o->progs.weft_to_overlay, WEFT_DIR_TO_OVERLAY, &p, TC_ACT_OK, WEFT_FWD_TUNNEL,
		   "to-overlay: host to a remote pod gets its tunnel key");
	CHECK(r.out.len == p.len && !memcmp(r.out.buf, p.buf, p.len),
	      "to-overlay: frame unchanged");

	pkt_eth(&p, remote_gw_mac, host_mac, ETH_P_IP);
	pkt_ipv4(&p, LOCAL_NODE_IP, "10.9.9.9", 64, 64);
	expect(a, o->progs.weft_to_overlay, WEFT_DIR_TO_OVERLAY, &p, TC_ACT_SHOT,
	       WEFT_DROP_NO_TUNNEL, "to-overlay: destination without a node");

	pkt_eth(&p, remote_gw_mac, host_mac, ETH_P_IPV6);
	pkt_put(&p, 48);
	expect(a, o->progs.weft_to_overlay, WEFT_DIR_TO_OVERLAY, &p, TC_ACT_SHOT,
	       WEFT_DROP_UNSUPPORTED_L3, "to-overlay: ipv6");

	weft_overlay_bpf__destroy(o);
}

int main(void)
{
	struct weft_pod_bpf *skel;
	int err;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root for BPF_PROG_TEST_RUN\n");
		return 0;
	}
	log_route_libbpf();
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, NULL) <= 0) {
		printf("1..0 # SKIP kernel cannot load BPF_PROG_TYPE_SCHED_CLS\n");
		return 0;
	}

	skel = weft_pod_bpf__open();
	CHECK(skel != NULL, "open the weft_pod skeleton");
	if (!skel)
		return test_done();

	skel->rodata->weft_endpoint_id = POD_ID;
	skel->rodata->weft_pod_ipv4 = ip4(POD_IP);
	memcpy(skel->rodata->weft_pod_mac, pod_mac, ETH_ALEN);
	memcpy(skel->rodata->weft_host_mac, host_mac, ETH_ALEN);
	skel->rodata->weft_host_ifindex = HOST_IFINDEX;

	err = weft_pod_bpf__load(skel);
	CHECK_INT(err, 0, "load weft_pod with endpoint constants (verifier)");
	if (err)
		goto end_destroy;

	test_arp(skel);
	test_antispoof(skel);
	test_local(skel);
	test_local_tail_call(skel);
	test_tunnel(skel);
	test_overlay(skel);
	test_malformed(skel);
	test_to_pod(skel);

end_destroy:
	weft_pod_bpf__destroy(skel);
	return test_done();
}
