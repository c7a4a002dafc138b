// SPDX-License-Identifier: Apache-2.0
/*
 * The shared half of the BPF tests (see harness.h): weft_pod.bpf.o and
 * weft_overlay.bpf.o on the running kernel, driven with hand-built frames
 * through BPF_PROG_TEST_RUN. Needs root; never touches bpffs: the maps are
 * each load's own, shared with the overlay object by fd as weftd shares them
 * by pin. Its veths live in a network namespace of its own, which goes away
 * with the process.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/ip.h>
#include <bpf/bpf.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "log.h"
#include "nlh.h"
#include "tests/bpf/harness.h"

const uint8_t pod_mac[ETH_ALEN] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x05};
const uint8_t host_mac[ETH_ALEN] = {0xee, 0xee, 0xee, 0xee, 0xee, 0x05};
const uint8_t peer_mac[ETH_ALEN] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x06};
const uint8_t peer_host_mac[ETH_ALEN] = {0xee, 0xee, 0xee, 0xee, 0xee, 0x06};
const uint8_t bogus_mac[ETH_ALEN] = {0x02, 0xba, 0xd0, 0x00, 0x00, 0x01};
const uint8_t bcast_mac[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const uint8_t zero_mac[ETH_ALEN] = {0};

uint32_t host_ifindex, peer_ifindex, stray_ifindex;

/* A's and B's host veths and their pod-side ends (left in the namespace:
 * the programs only need the host sides' ifindexes). */
#define HOST_VETH "weft-a"
#define POD_VETH  "eth-a"
#define PEER_VETH "weft-b"
#define PEER_POD  "eth-b"

/* --- packet builders ----------------------------------------------------- */

/* A test's own literal that does not parse is a bug in the test: stop. */
uint32_t ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

void *pkt_put(struct pkt *p, size_t len)
{
	void *at = p->buf + p->len;

	if (p->len + len > sizeof(p->buf))
		abort();
	memset(at, 0, len);
	p->len += len;
	return at;
}

void pkt_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto)
{
	struct ethhdr *eth;

	p->len = 0;
	eth = pkt_put(p, sizeof(*eth));
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(proto);
}

void pkt_arp(struct pkt *p, uint16_t op, const uint8_t *sha, const char *sip, const uint8_t *tha,
	     const char *tip)
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

uint16_t csum16(const void *data, size_t len)
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

void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t ttl, size_t payload)
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

struct run run_prog(const struct bpf_program *prog, const struct pkt *in)
{
	return run_prog_on(prog, in, host_ifindex, 0);
}

struct run run_prog_iif(const struct bpf_program *prog, const struct pkt *in, uint32_t iif)
{
	return run_prog_on(prog, in, host_ifindex, iif);
}

struct run run_prog_on(const struct bpf_program *prog, const struct pkt *in, uint32_t ifindex,
		       uint32_t iif)
{
	struct __sk_buff ctx = {.ifindex = ifindex, .ingress_ifindex = iif};
	struct run r = {0};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf, .data_size_in = in->len,
		    .data_out = r.out.buf, .data_size_out = sizeof(r.out.buf), .repeat = 1,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	r.err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	r.retval = opts.retval;
	r.out.len = opts.data_size_out;
	if (r.err)
		printf("# test_run: %s\n", strerror(-r.err));
	return r;
}

struct weft_metrics_value metric(const struct weft_pod_bpf *skel, int dir, int reason)
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

struct run expect(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
		  const struct pkt *in, int want_ret, int reason, const char *what)
{
	return expect_on(skel, prog, dir, in, host_ifindex, 0, want_ret, reason, what);
}

struct run expect_iif(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
		      const struct pkt *in, uint32_t iif, int want_ret, int reason,
		      const char *what)
{
	return expect_on(skel, prog, dir, in, host_ifindex, iif, want_ret, reason, what);
}

struct run expect_on(const struct weft_pod_bpf *skel, const struct bpf_program *prog, int dir,
		     const struct pkt *in, uint32_t ifindex, uint32_t iif, int want_ret, int reason,
		     const char *what)
{
	struct weft_metrics_value before = metric(skel, dir, reason), after;
	struct run r = run_prog_on(prog, in, ifindex, iif);

	after = metric(skel, dir, reason);
	CHECK(r.err == 0 && r.retval == want_ret, "%s: returns %d (got err %d, ret %d)", what,
	      want_ret, r.err, r.retval);
	CHECK(after.packets - before.packets == 1 && after.bytes - before.bytes == in->len,
	      "%s: counted 1 packet, %zu bytes under reason %d (got %llu, %llu)", what, in->len,
	      reason, (unsigned long long)(after.packets - before.packets),
	      (unsigned long long)(after.bytes - before.bytes));
	return r;
}

void delta_start(struct delta *d, const struct weft_pod_bpf *skel, int dir, int reason)
{
	d->dir = dir;
	d->reason = reason;
	d->before = metric(skel, dir, reason);
}

void delta_check(const struct delta *d, const struct weft_pod_bpf *skel, unsigned int n,
		 const struct pkt *in, const char *what)
{
	struct weft_metrics_value after = metric(skel, d->dir, d->reason);
	unsigned long long dp = after.packets - d->before.packets;
	unsigned long long db = after.bytes - d->before.bytes;

	CHECK(dp == n && db == n * in->len, "%s: %u packet(s) under %s reason %d (got %llu, %llu)",
	      what, n, d->dir == WEFT_DIR_TO_POD ? "to-pod" : "from-pod", d->reason, dp, db);
}

struct run expect_local(const struct weft_pod_bpf *a, const struct pkt *in, int want_ret,
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

/* --- map set-up ---------------------------------------------------------- */

int put_veth(struct weft_pod_bpf *a, uint32_t ifindex, uint32_t id, const char *ip,
	     const uint8_t *pod, const uint8_t *host)
{
	struct weft_veth v = {.endpoint_id = id, .pod_ipv4 = ip4(ip)};

	memcpy(v.pod_mac, pod, ETH_ALEN);
	memcpy(v.host_mac, host, ETH_ALEN);
	return bpf_map__update_elem(a->maps.weft_veths, &ifindex, sizeof(ifindex), &v, sizeof(v),
				    BPF_ANY);
}

int del_veth(struct weft_pod_bpf *a, uint32_t ifindex)
{
	return bpf_map__delete_elem(a->maps.weft_veths, &ifindex, sizeof(ifindex), 0);
}

int put_peer_endpoint(struct weft_pod_bpf *a, const char *ip)
{
	struct weft_endpoint_info ep = {.ifindex = peer_ifindex,
					.endpoint_id = PEER_ID,
					.identity = PEER_IDENTITY,
					.flags = WEFT_EP_F_LOCAL};
	struct weft_ip_key key = {.family = WEFT_FAMILY_IPV4};

	key.addr[0] = ip4(ip);
	memcpy(ep.pod_mac, peer_mac, ETH_ALEN);
	memcpy(ep.host_mac, peer_host_mac, ETH_ALEN);
	return bpf_map__update_elem(a->maps.weft_endpoints, &key, sizeof(key), &ep, sizeof(ep),
				    BPF_ANY);
}

int set_policy_prog(struct weft_pod_bpf *a, uint32_t id, const struct bpf_program *prog)
{
	int fd = bpf_program__fd(prog);

	return bpf_map__update_elem(a->maps.weft_policy_progs, &id, sizeof(id), &fd, sizeof(fd),
				    BPF_ANY);
}

int ipcache_put(struct weft_pod_bpf *a, const char *addr, int len, const char *tunnel,
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

int set_vxlan_ifindex(struct weft_pod_bpf *a, uint32_t ifindex)
{
	struct weft_overlay_config cfg = {.vxlan_ifindex = ifindex};
	uint32_t zero = 0;

	return bpf_map__update_elem(a->maps.weft_overlay_config, &zero, sizeof(zero), &cfg,
				    sizeof(cfg), BPF_ANY);
}

int put_overlay_ipcache(struct weft_pod_bpf *a)
{
	int err;

	err = ipcache_put(a, REMOTE_CIDR, 24, NODE_IP, WEFT_IDENTITY_UNKNOWN);
	if (!err)
		err = ipcache_put(a, REMOTE_POD, 32, NODE_IP, WEFT_IDENTITY_FIRST_POD);
	if (!err)
		err = ipcache_put(a, LOCAL_NODE_IP, 32, NULL, WEFT_IDENTITY_HOST);
	return err;
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

int add_peer(struct weft_pod_bpf *a)
{
	int err = put_veth(a, peer_ifindex, PEER_ID, PEER_IP, peer_mac, peer_host_mac);

	CHECK_INT(err, 0, "peer B on its host veth in weft_veths");
	if (err)
		return err;
	err = policy_open(a, PEER_ID);
	CHECK_INT(err, 0, "peer B's open policy map");
	return err;
}

struct weft_overlay_bpf *load_overlay(struct weft_pod_bpf *a)
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

/* --- the runner ---------------------------------------------------------- */

static int net_create(void)
{
	struct nl_sock *sk;
	int err;

	/* The thread that runs the programs: BPF_PROG_TEST_RUN resolves the
	 * context's ifindex in the caller's namespace. */
	if (unshare(CLONE_NEWNET))
		return -errno;
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nlh_errno(nl_connect(sk, NETLINK_ROUTE));
	if (!err)
		err = nlh_veth_create(sk, HOST_VETH, POD_VETH, -1, 0);
	if (!err)
		err = nlh_veth_create(sk, PEER_VETH, PEER_POD, -1, 0);
	nl_socket_free(sk);
	if (err)
		return err;
	host_ifindex = if_nametoindex(HOST_VETH);
	peer_ifindex = if_nametoindex(PEER_VETH);
	stray_ifindex = if_nametoindex(POD_VETH);
	if (!host_ifindex || !peer_ifindex || !stray_ifindex)
		return -errno;
	return 0;
}

int net_setup(void)
{
	static int done, result;

	if (!done) {
		result = net_create();
		done = 1;
	}
	return result;
}

/* The node's one load of the object, as weftd loads it, with A's host veth
 * in weft_veths and the policy weftd gives an endpoint no policy selects. */
int load_pod_quiet(struct weft_pod_bpf **out)
{
	struct weft_pod_bpf *skel;
	int err = net_setup();

	if (err)
		return err;
	skel = weft_pod_bpf__open_and_load();
	if (!skel)
		return -errno;
	err = put_veth(skel, host_ifindex, POD_ID, POD_IP, pod_mac, host_mac);
	if (!err)
		err = policy_open(skel, POD_ID);
	if (!err)
		err = policy_revision_set(skel, 1);
	if (err) {
		weft_pod_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static struct weft_pod_bpf *load_pod(void)
{
	struct weft_pod_bpf *skel = NULL;
	int err = load_pod_quiet(&skel);

	CHECK_INT(err, 0, "load weft_pod (verifier), A in weft_veths, open policy");
	return skel;
}

int harness_main(const struct bpf_case *cases, size_t n)
{
	struct weft_pod_bpf *a;
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
	err = net_setup();
	CHECK_INT(err, 0, "a private network namespace with A's and B's host veths");
	if (err)
		return test_done();

	/* A fresh load per case: no case depends on the maps or counters
	 * another one left. */
	for (size_t i = 0; i < n; i++) {
		printf("# %s\n", cases[i].name);
		a = load_pod();
		if (!a)
			continue;
		cases[i].run(a);
		weft_pod_bpf__destroy(a);
	}
	return test_done();
}
