/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy and conntrack half of the BPF test harness: transport-layer
 * packet builders, endpoint policy maps written as weftd's compiler would
 * (an entry plus its shape in the direction's meta entry), ipBlock prefixes,
 * the policy revision, and conntrack read back.
 *
 * Every endpoint a test loads (A, and B with load_peer()) starts with an
 * OPEN policy map (any peer, any protocol, both directions) and revision 1,
 * so tests that are not about policy see the datapath as before.
 */
#ifndef WEFT_TESTS_BPF_HARNESS_POLICY_H
#define WEFT_TESTS_BPF_HARNESS_POLICY_H

#include <stdint.h>

#include "bpf/datapath.h"
#include "weft_pod.skel.h"

struct pkt;

/* Identities of the test's peers: B's in weft_endpoints (put_peer_endpoint),
 * the remote pod's in weft_ipcache (put_overlay_ipcache). */
#define PEER_IDENTITY	    1001
#define REMOTE_POD_IDENTITY WEFT_IDENTITY_FIRST_POD

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* --- packet builders (after pkt_eth) --------------------------------------- */

/* An IPv4 header for @len bytes of @proto, and those bytes zeroed. */
void *pkt_ipv4_l4(struct pkt *p, const char *src, const char *dst, uint8_t proto, size_t len);
void pkt_udp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport);
void pkt_tcp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	     uint8_t flags);
void pkt_sctp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport);
/* ICMP echo request (type 8) or reply (0) with echo id @id. */
void pkt_icmp_echo(struct pkt *p, const char *src, const char *dst, uint8_t type, uint16_t id);
/* ICMP error @type/@code quoting the IPv4 packet of frame @quoted (its IP
 * header and the first 8 bytes after it). */
void pkt_icmp_error(struct pkt *p, const char *src, const char *dst, uint8_t type, uint8_t code,
		    const struct pkt *quoted);

/* --- policy maps ---------------------------------------------------------- */

/* A fresh endpoint policy map (WEFT_POLICY_MAP_TYPE, _FLAGS): fd or -errno. */
int policy_map_create(uint32_t max_entries);
/* @fd becomes endpoint @ep_id's policy map in weft_policy_maps. */
int policy_map_install(struct weft_pod_bpf *a, uint32_t ep_id, int fd);
/* An fd of endpoint @ep_id's current policy map (close it), or -errno. */
int policy_map_fd(struct weft_pod_bpf *a, uint32_t ep_id);
/* Endpoint @ep_id without a policy map (fail closed). */
int policy_map_remove(struct weft_pod_bpf *a, uint32_t ep_id);

/* A new empty map for @ep_id: both directions allow nothing. */
int policy_deny_all(struct weft_pod_bpf *a, uint32_t ep_id);
/* A new map for @ep_id allowing any peer, any protocol, both ways. */
int policy_open(struct weft_pod_bpf *a, uint32_t ep_id);

/*
 * Allow @peer (an identity, WEFT_POLICY_ANY_PEER or an ipBlock identity) in
 * direction @dir for @proto (0: any, then port must be 0/0) on the ports
 * @port/@prefixlen, with rule cookie @rule; the direction's meta entry gets
 * the entry's shape.
 */
int policy_allow(struct weft_pod_bpf *a, uint32_t ep_id, int dir, uint32_t peer, uint8_t proto,
		 uint16_t port, uint8_t prefixlen, uint32_t rule);
/* The same on @fd, a map not installed (yet). */
int policy_allow_fd(int fd, int dir, uint32_t peer, uint8_t proto, uint16_t port, uint8_t prefixlen,
		    uint32_t rule);
/* Ports @lo..@hi as the few prefixes covering them; entries written or -errno. */
int policy_allow_range_fd(int fd, int dir, uint32_t peer, uint8_t proto, uint16_t lo, uint16_t hi,
			  uint32_t rule);
int policy_allow_range(struct weft_pod_bpf *a, uint32_t ep_id, int dir, uint32_t peer,
		       uint8_t proto, uint16_t lo, uint16_t hi, uint32_t rule);
/* Remove one entry (the meta entry keeps its shapes, as weftd may). */
int policy_revoke(struct weft_pod_bpf *a, uint32_t ep_id, int dir, uint32_t peer, uint8_t proto,
		  uint16_t port, uint8_t prefixlen);

/* @cidr/@len -> ipBlock @identity in weft_policy_cidrs. */
int policy_cidr_put(struct weft_pod_bpf *a, const char *cidr, int len, uint32_t identity);

uint32_t policy_revision_get(struct weft_pod_bpf *a);
int policy_revision_set(struct weft_pod_bpf *a, uint32_t revision);
/* revision + 1, as weftd after a change. */
int policy_revision_bump(struct weft_pod_bpf *a);

/* --- conntrack ------------------------------------------------------------ */

struct weft_ct_key ct_key(uint8_t proto, const char *src, uint16_t sport, const char *dst,
			  uint16_t dport);
/* The entry of @key: 0, or -ENOENT. */
int ct_get(struct weft_pod_bpf *a, const struct weft_ct_key *key, struct weft_ct_entry *e);
int ct_put(struct weft_pod_bpf *a, const struct weft_ct_key *key, const struct weft_ct_entry *e);

#endif
