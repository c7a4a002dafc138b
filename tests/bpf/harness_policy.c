// SPDX-License-Identifier: Apache-2.0
/*
 * Policy and conntrack helpers of the BPF test harness (harness_policy.h):
 * the maps are written the way weftd writes them, through the fds of the
 * loaded object's maps.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ip.h>
#include <bpf/bpf.h>

#include "tests/bpf/harness.h"

/* --- packet builders ------------------------------------------------------ */

void *pkt_ipv4_l4(struct pkt *p, const char *src, const char *dst, uint8_t proto, size_t len)
{
	struct iphdr *ip = pkt_put(p, sizeof(*ip));

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + len);
	ip->id = htons(0x4321);
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = ip4(src);
	ip->daddr = ip4(dst);
	ip->check = htons(csum16(ip, sizeof(*ip)));
	return pkt_put(p, len);
}

/* The source and destination ports every port-carrying header starts with. */
static void put_ports(uint8_t *l4, uint16_t sport, uint16_t dport)
{
	uint16_t s = htons(sport), d = htons(dport);

	memcpy(l4, &s, 2);
	memcpy(l4 + 2, &d, 2);
}

void pkt_udp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	uint8_t *udp = pkt_ipv4_l4(p, src, dst, IPPROTO_UDP, 8 + 16);
	uint16_t len = htons(8 + 16);

	put_ports(udp, sport, dport);
	memcpy(udp + 4, &len, 2);
}

void pkt_tcp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	     uint8_t flags)
{
	uint8_t *tcp = pkt_ipv4_l4(p, src, dst, IPPROTO_TCP, 20);

	put_ports(tcp, sport, dport);
	tcp[12] = 5 << 4; /* data offset: 20 bytes */
	tcp[13] = flags;
}

void pkt_sctp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	put_ports(pkt_ipv4_l4(p, src, dst, IPPROTO_SCTP, 12), sport, dport);
}

void pkt_icmp_echo(struct pkt *p, const char *src, const char *dst, uint8_t type, uint16_t id)
{
	uint8_t *icmp = pkt_ipv4_l4(p, src, dst, IPPROTO_ICMP, 8 + 8);
	uint16_t nid = htons(id), seq = htons(1);

	icmp[0] = type;
	memcpy(icmp + 4, &nid, 2);
	memcpy(icmp + 6, &seq, 2);
}

void pkt_icmp_error(struct pkt *p, const char *src, const char *dst, uint8_t type, uint8_t code,
		    const struct pkt *quoted)
{
	const size_t qlen = sizeof(struct iphdr) + 8;
	uint8_t *icmp = pkt_ipv4_l4(p, src, dst, IPPROTO_ICMP, 8 + qlen);

	icmp[0] = type;
	icmp[1] = code;
	memcpy(icmp + 8, quoted->buf + sizeof(struct ethhdr), qlen);
}

/* --- policy maps ---------------------------------------------------------- */

int policy_map_create(uint32_t max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = WEFT_POLICY_MAP_FLAGS);
	int fd = bpf_map_create(WEFT_POLICY_MAP_TYPE, "weft_pol_test",
				sizeof(struct weft_policy_key), sizeof(struct weft_policy_value),
				max_entries, &opts);

	return fd < 0 ? -errno : fd;
}

int policy_map_install(struct weft_pod_bpf *a, uint32_t ep_id, int fd)
{
	return bpf_map__update_elem(a->maps.weft_policy_maps, &ep_id, sizeof(ep_id), &fd,
				    sizeof(fd), BPF_ANY);
}

int policy_map_fd(struct weft_pod_bpf *a, uint32_t ep_id)
{
	uint32_t id;
	int err, fd;

	/* A map of maps reads back the inner map's id, not an fd. */
	err = bpf_map__lookup_elem(a->maps.weft_policy_maps, &ep_id, sizeof(ep_id), &id, sizeof(id),
				   0);
	if (err)
		return err;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

int policy_map_remove(struct weft_pod_bpf *a, uint32_t ep_id)
{
	return bpf_map__delete_elem(a->maps.weft_policy_maps, &ep_id, sizeof(ep_id), 0);
}

static struct weft_policy_key policy_key(int dir, uint32_t peer, uint8_t proto, uint16_t port,
					 uint8_t prefixlen)
{
	struct weft_policy_key k;

	memset(&k, 0, sizeof(k));
	k.peer = peer;
	k.direction = dir;
	k.protocol = proto;
	k.port_prefixlen = prefixlen;
	k.port = htons(prefixlen ? port & (uint16_t)(0xffff0000u >> prefixlen) : 0);
	return k;
}

/* The meta entry's shape bits for an entry of this kind. */
static uint32_t policy_shape(uint32_t peer, uint8_t proto, uint8_t prefixlen)
{
	uint32_t s = proto ? WEFT_POLICY_SHAPE_PREFIX(prefixlen) : WEFT_POLICY_SHAPE_ANY_PROTO;

	if (peer == WEFT_POLICY_ANY_PEER)
		s |= WEFT_POLICY_SHAPE_ANY_PEER;
	else if (peer >= WEFT_IDENTITY_FIRST_CIDR && peer < WEFT_IDENTITY_CIDR_MAX)
		s |= WEFT_POLICY_SHAPE_CIDR_PEER;
	return s;
}

int policy_allow_fd(int fd, int dir, uint32_t peer, uint8_t proto, uint16_t port, uint8_t prefixlen,
		    uint32_t rule)
{
	struct weft_policy_key k = policy_key(dir, peer, proto, port, prefixlen);
	struct weft_policy_key mk = policy_key(dir, WEFT_POLICY_META_PEER, 0, 0, 0);
	struct weft_policy_value v = {.rule = rule}, meta = {0};

	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		return -errno;
	if (bpf_map_lookup_elem(fd, &mk, &meta) && errno != ENOENT)
		return -errno;
	meta.shapes |= policy_shape(peer, proto, prefixlen);
	return bpf_map_update_elem(fd, &mk, &meta, BPF_ANY) ? -errno : 0;
}

int policy_allow(struct weft_pod_bpf *a, uint32_t ep_id, int dir, uint32_t peer, uint8_t proto,
		 uint16_t port, uint8_t prefixlen, uint32_t rule)
{
	int fd = policy_map_fd(a, ep_id), err;

	if (fd < 0)
		return fd;
	err = policy_allow_fd(fd, dir, peer, proto, port, prefixlen, rule);
	close(fd);
	return err;
}

int policy_allow_range_fd(int fd, int dir, uint32_t peer, uint8_t proto, uint16_t lo, uint16_t hi,
			  uint32_t rule)
{
	uint32_t at = lo, size;
	int len, err, n = 0;

	/* The largest aligned power-of-two block at @at that stays within
	 * @hi, then the next: at most 2 * 16 blocks for any range. */
	while (at <= hi) {
		for (len = 0; len < 16; len++) {
			size = 1u << (16 - len);
			if (!(at & (size - 1)) && at + size - 1 <= hi)
				break;
		}
		size = 1u << (16 - len);
		err = policy_allow_fd(fd, dir, peer, proto, at, len, rule);
		if (err)
			return err;
		n++;
		at += size;
	}
	return n;
}

int policy_allow_range(struct weft_pod_bpf *a, uint32_t ep_id, int dir, uint32_t peer,
		       uint8_t proto, uint16_t lo, uint16_t hi, uint32_t rule)
{
	int fd = policy_map_fd(a, ep_id), err;

	if (fd < 0)
		return fd;
	err = policy_allow_range_fd(fd, dir, peer, proto, lo, hi, rule);
	close(fd);
	return err;
}

int policy_revoke(struct weft_pod_bpf *a, uint32_t ep_id, int dir, uint32_t peer, uint8_t proto,
		  uint16_t port, uint8_t prefixlen)
{
	struct weft_policy_key k = policy_key(dir, peer, proto, port, prefixlen);
	int fd = policy_map_fd(a, ep_id), err;

	if (fd < 0)
		return fd;
	err = bpf_map_delete_elem(fd, &k) ? -errno : 0;
	close(fd);
	return err;
}

/* A new map for @ep_id, open (any peer, any protocol) or empty. */
static int policy_new(struct weft_pod_bpf *a, uint32_t ep_id, bool open)
{
	int fd = policy_map_create(WEFT_POLICY_MAP_MIN_ENTRIES), err = 0;

	if (fd < 0)
		return fd;
	for (int dir = WEFT_POLICY_INGRESS; open && !err && dir <= WEFT_POLICY_EGRESS; dir++)
		err = policy_allow_fd(fd, dir, WEFT_POLICY_ANY_PEER, 0, 0, 0, 1);
	if (!err)
		err = policy_map_install(a, ep_id, fd);
	/* weft_policy_maps holds its own reference. */
	close(fd);
	return err;
}

int policy_deny_all(struct weft_pod_bpf *a, uint32_t ep_id)
{
	return policy_new(a, ep_id, false);
}

int policy_open(struct weft_pod_bpf *a, uint32_t ep_id)
{
	return policy_new(a, ep_id, true);
}

int policy_cidr_put(struct weft_pod_bpf *a, const char *cidr, int len, uint32_t identity)
{
	struct weft_ipcache_key key = {.prefixlen = WEFT_IPCACHE_PREFIX_BASE + len,
				       .family = WEFT_FAMILY_IPV4};
	struct weft_policy_cidr v = {.identity = identity};

	key.addr[0] = ip4(cidr);
	return bpf_map__update_elem(a->maps.weft_policy_cidrs, &key, sizeof(key), &v, sizeof(v),
				    BPF_ANY);
}

uint32_t policy_revision_get(struct weft_pod_bpf *a)
{
	struct weft_policy_state s = {0};
	uint32_t zero = 0;

	bpf_map__lookup_elem(a->maps.weft_policy_state, &zero, sizeof(zero), &s, sizeof(s), 0);
	return s.revision;
}

int policy_revision_set(struct weft_pod_bpf *a, uint32_t revision)
{
	struct weft_policy_state s = {.revision = revision};
	uint32_t zero = 0;

	return bpf_map__update_elem(a->maps.weft_policy_state, &zero, sizeof(zero), &s, sizeof(s),
				    BPF_ANY);
}

int policy_revision_bump(struct weft_pod_bpf *a)
{
	return policy_revision_set(a, policy_revision_get(a) + 1);
}

/* --- conntrack ------------------------------------------------------------ */

struct weft_ct_key ct_key(uint8_t proto, const char *src, uint16_t sport, const char *dst,
			  uint16_t dport)
{
	struct weft_ct_key k;

	memset(&k, 0, sizeof(k));
	k.family = WEFT_FAMILY_IPV4;
	k.protocol = proto;
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.saddr[0] = ip4(src);
	k.daddr[0] = ip4(dst);
	return k;
}

int ct_get(struct weft_pod_bpf *a, const struct weft_ct_key *key, struct weft_ct_entry *e)
{
	return bpf_map__lookup_elem(a->maps.weft_conntrack, key, sizeof(*key), e, sizeof(*e), 0);
}

int ct_put(struct weft_pod_bpf *a, const struct weft_ct_key *key, const struct weft_ct_entry *e)
{
	return bpf_map__update_elem(a->maps.weft_conntrack, key, sizeof(*key), e, sizeof(*e),
				    BPF_ANY);
}
