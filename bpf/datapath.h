/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the BPF programs and weftd share: map keys and values, verdict reasons,
 * well-known addresses. Fixed-width types and explicit padding only, because
 * both compilers must agree on every byte.
 */
#ifndef WEFT_DATAPATH_H
#define WEFT_DATAPATH_H

#include <linux/types.h>

/* The pod's default gateway: a link-local address that no host owns. from-pod
 * answers ARP for it with the host-side veth's MAC, so routed traffic leaves the
 * pod without any broadcast reaching the host. */
#define WEFT_GATEWAY_IPV4    "169.254.1.1"
#define WEFT_GATEWAY_IPV4_BE 0x0101fea9 /* 169.254.1.1 in network order */

#define WEFT_MAC_LEN 6 /* Ethernet, as ETH_ALEN, which user space may not have */

/*
 * WEFT_TEST_LAYOUT=N builds a test object whose weft_endpoints value has an
 * extra trailing field (layout N), to exercise the migration
 * (tests/bats/60-upgrade.bats). The layout numbers live in WEFT_SHARED_MAPS.
 */
#ifdef WEFT_TEST_LAYOUT
#define WEFT_ENDPOINTS_LAYOUT WEFT_TEST_LAYOUT
#else
#define WEFT_ENDPOINTS_LAYOUT 1
#endif

/*
 * Endpoints per node. weftd hands out endpoint ids in 1..WEFT_MAX_ENDPOINTS-1
 * (they are < 65536), and an endpoint id is also its index in
 * weft_policy_progs, so that array has WEFT_MAX_ENDPOINTS slots.
 */
#define WEFT_MAX_ENDPOINTS 65536

enum weft_family {
	WEFT_FAMILY_IPV4 = 4,
	WEFT_FAMILY_IPV6 = 6,
};

/* weft_endpoints key: an address of either family. IPv4 uses addr[0] (network
 * order) and leaves the rest zero, so lookups never see stale bytes. */
struct weft_ip_key {
	__u8 family; /* enum weft_family */
	__u8 pad[3];
	__u32 addr[4];
};

enum weft_endpoint_flags {
	WEFT_EP_F_LOCAL = 1 << 0, /* attached on this node */
};

/* weft_endpoints value: everything from-pod needs to deliver to a local pod. */
struct weft_endpoint_info {
	__u32 ifindex;		     /* host-side veth */
	__u32 endpoint_id;	     /* weftd's id, also the pin directory name */
	__u8 pod_mac[WEFT_MAC_LEN];  /* destination MAC for frames into the pod */
	__u8 host_mac[WEFT_MAC_LEN]; /* host-side veth MAC = the pod's gateway MAC */
	__u32 identity;		     /* security identity, for policy */
	__u32 flags;		     /* enum weft_endpoint_flags */
	__u32 pad;
#if WEFT_ENDPOINTS_LAYOUT >= 2
	__u64 test_generation; /* test layout only: never read by the datapath */
#endif
};

/*
 * weft_veths value: what a pod's programs know about the pod on whose host
 * veth they run, keyed by that veth's ifindex (skb->ifindex at either hook).
 * One copy of the programs serves every pod on the node, so no per-pod
 * constant is compiled into them and a new pod costs no verifier run:
 * weftd writes this entry before it attaches the programs, and a veth
 * without one drops everything (WEFT_DROP_NO_ENDPOINT).
 */
struct weft_veth {
	__u32 endpoint_id;	     /* weftd's id: its policy map, its flow events */
	__u32 pod_ipv4;		     /* network order; 0: the pod has no IPv4 address */
	__u8 pod_mac[WEFT_MAC_LEN];  /* the only source MAC the pod may send from */
	__u8 host_mac[WEFT_MAC_LEN]; /* the host veth's = the gateway MAC ARP answers with */
	__u32 pad;
};

/*
 * weft_ipcache: every address weft knows outside the local endpoints, as an
 * LPM trie. The trie matches bits from the start of the data after prefixlen,
 * so family and pad come first and are always matched whole:
 * prefixlen = WEFT_IPCACHE_PREFIX_BASE + the address's prefix length.
 */
#define WEFT_IPCACHE_PREFIX_BASE 32
#define WEFT_IPCACHE_MAX_ENTRIES 262144

struct weft_ipcache_key {
	__u32 prefixlen;
	__u8 family; /* enum weft_family */
	__u8 pad[3];
	__u32 addr[4]; /* network order, IPv4 in addr[0], host bits zero */
};

enum weft_ipcache_flags {
	WEFT_IPC_F_LOCAL = 1 << 0,    /* on this node: reached without the tunnel */
	WEFT_IPC_F_NODE = 1 << 1,     /* a node's own (underlay) address */
	WEFT_IPC_F_POD_CIDR = 1 << 2, /* a node's pod range */
};

struct weft_ipcache_value {
	__u32 identity;	    /* enum weft_identity or an allocated pod identity */
	__u8 tunnel_family; /* 0: not tunnelled (this node, or routed by the host) */
	__u8 pad;
	__u16 flags;	      /* enum weft_ipcache_flags */
	__u32 tunnel_addr[4]; /* the node to tunnel to, network order, IPv4 in [0] */
};

/*
 * Security identities: node-local numbers. The reserved ones are fixed; pods
 * get one per distinct (namespace, label set), allocated by weftd from
 * WEFT_IDENTITY_FIRST_POD up (daemon/identity.c says how).
 */
enum weft_identity {
	WEFT_IDENTITY_UNKNOWN = 0,
	WEFT_IDENTITY_HOST = 1,	       /* this node */
	WEFT_IDENTITY_WORLD = 2,       /* outside the cluster */
	WEFT_IDENTITY_REMOTE_NODE = 3, /* another node's own address */
	WEFT_IDENTITY_FIRST_POD = 256,
	WEFT_IDENTITY_MAX = 1 << 24, /* exclusive; room for a VNI-sized id later */
	/* ipBlock prefixes (weft_policy_cidrs): node-local, one per distinct
	 * prefix that some policy names as a cidr or an except. */
	WEFT_IDENTITY_FIRST_CIDR = 1 << 24,
	WEFT_IDENTITY_CIDR_MAX = 1 << 25, /* exclusive */
};

/*
 * --- Network policy -------------------------------------------------------
 *
 * Each local endpoint has its own policy map (a hash, the inner maps of
 * weft_policy_maps, at index = endpoint id). An entry ALLOWS traffic: there
 * are no deny entries, as NetworkPolicy is a union of allows. A packet of a
 * new flow is allowed in direction D when some entry matches
 *
 *   peer      the other end's identity (its pod identity, or host, world,
 *             remote node), or its ipBlock identity (weft_policy_cidrs), or
 *             WEFT_POLICY_ANY_PEER
 *   protocol  the packet's, or 0 (any protocol, then the port is 0/0)
 *   port      the destination port under the entry's prefix length: a port
 *             range is stored as the few masked prefixes that cover it
 *             (1000-1999 is 1000/13 ... 1984/12 ...), never one entry per port
 *
 * The program knows which prefix lengths and peer kinds a direction uses from
 * its meta entry (peer = WEFT_POLICY_META_PEER, protocol 0, port 0), so a
 * lookup costs the same at 10 entries or 100,000: one meta lookup, then one
 * hash lookup per (peer kind, shape) the meta entry names. A direction with no
 * meta entry allows nothing (fail closed). A direction no policy selects the
 * pod for gets WEFT_POLICY_ANY_PEER, any protocol: open.
 */
enum weft_policy_dir {
	WEFT_POLICY_INGRESS = 0, /* into the pod: the peer is the source */
	WEFT_POLICY_EGRESS = 1,	 /* out of the pod: the peer is the destination */
};

#define WEFT_POLICY_ANY_PEER  0u	  /* a rule with no peers: every source/destination */
#define WEFT_POLICY_META_PEER 0xffffffffu /* the meta entry of a direction */

struct weft_policy_key {
	__u32 peer;	     /* identity, WEFT_POLICY_ANY_PEER or WEFT_POLICY_META_PEER */
	__u8 direction;	     /* enum weft_policy_dir */
	__u8 protocol;	     /* IPPROTO_TCP, _UDP, _SCTP; 0 = any protocol */
	__u8 port_prefixlen; /* 0..16 leading bits of port that must match */
	__u8 pad;
	__be16 port;	     /* destination port, network order, bits past the prefix 0 */
	__u16 pad2;
};

/* The meta entry's shapes: which lookups a direction needs. */
#define WEFT_POLICY_SHAPE_PREFIX(len) (1u << (len)) /* protocol entries with that prefix */
#define WEFT_POLICY_SHAPE_ANY_PROTO   (1u << 17)    /* any-protocol entries */
#define WEFT_POLICY_SHAPE_ANY_PEER    (1u << 18)    /* entries for WEFT_POLICY_ANY_PEER */
#define WEFT_POLICY_SHAPE_CIDR_PEER   (1u << 19)    /* entries for ipBlock identities */
#define WEFT_POLICY_SHAPE_PREFIXES    ((1u << 17) - 1)

struct weft_policy_value {
	__u32 rule;   /* weftd's cookie of the (first) rule that allows; 0: no policy */
	__u32 shapes; /* meta entries only: WEFT_POLICY_SHAPE_* */
};

/* Each endpoint's policy map starts at WEFT_POLICY_MAP_MIN_ENTRIES and weftd
 * replaces it by one 4x larger (swapped into weft_policy_maps in one update)
 * when it fills, up to WEFT_POLICY_MAP_MAX_ENTRIES. No preallocation: memory
 * follows the entries (plus the hash buckets, 16 bytes per max entry). */
#define WEFT_POLICY_MAP_MIN_ENTRIES 1024
#define WEFT_POLICY_MAP_MAX_ENTRIES 262144

/* weft_policy_cidrs value: the ipBlock identity of the longest policy prefix
 * holding the address (key: struct weft_ipcache_key). */
struct weft_policy_cidr {
	__u32 identity; /* WEFT_IDENTITY_FIRST_CIDR .. WEFT_IDENTITY_CIDR_MAX-1 */
};
#define WEFT_POLICY_CIDRS_MAX_ENTRIES 65536

/* weft_policy_state: one entry (key 0). weftd bumps revision after every
 * policy map write of one change; a conntrack entry checked at an older
 * revision gets the full policy lookup again on its next packet. */
struct weft_policy_state {
	__u32 revision; /* starts at 1: 0 in a conntrack entry = never checked */
	__u32 pad;
};

/*
 * --- Conntrack ------------------------------------------------------------
 *
 * One LRU hash for the node, keyed by the flow as its first packet had it
 * (source = the side that opened it). A packet looks up its own tuple
 * (forward) and then the swapped one (reply). ICMP echo uses the echo id as
 * both ports, so a reply's swapped tuple finds the request's entry; an ICMP
 * error is matched through the header it quotes.
 */
struct weft_ct_key {
	__u8 family;   /* enum weft_family */
	__u8 protocol; /* IPPROTO_* */
	__u16 pad;
	__be16 sport; /* network order; ICMP echo: the id; other ICMP: 0 */
	__be16 dport;
	__u32 saddr[4]; /* network order, IPv4 in [0], the rest 0 */
	__u32 daddr[4];
};

enum weft_ct_flags {
	WEFT_CT_F_REPLIED = 1 << 0, /* a packet went the reply way */
	WEFT_CT_F_FIN_FWD = 1 << 1, /* TCP FIN from the opener */
	WEFT_CT_F_FIN_REV = 1 << 2, /* TCP FIN from the other side */
	WEFT_CT_F_RST = 1 << 3,	    /* TCP RST either way */
};

struct weft_ct_entry {
	__u64 expires_ns; /* CLOCK_MONOTONIC ns after which it is gone; the programs
			   * read it at tick resolution (bpf_ktime_get_coarse_ns()) */
	__u64 packets_fwd;
	__u64 bytes_fwd;
	__u64 packets_rev;
	__u64 bytes_rev;
	__u32 rev_egress;  /* policy revision the opener's egress check passed at */
	__u32 rev_ingress; /* ... the receiver's ingress check; 0 = not checked here */
	__u32 flags;	   /* enum weft_ct_flags */
	__u32 pad;
};

/* Lifetimes by state, in seconds, counted from the flow's last packet
 * (refreshed at most once a second per flow, so busy flows do not write the
 * shared entry on every packet). */
#define WEFT_CT_LIFETIME_TCP_OPENING 60	  /* no reply yet */
#define WEFT_CT_LIFETIME_TCP	     21600 /* established */
#define WEFT_CT_LIFETIME_TCP_CLOSING 10	  /* FIN both ways, or RST */
#define WEFT_CT_LIFETIME_UDP	     60
#define WEFT_CT_LIFETIME_OTHER	     30 /* ICMP, SCTP */
#define WEFT_CT_MAX_ENTRIES	     131072

/* The VXLAN network identifier of every weft tunnel. */
#define WEFT_VXLAN_VNI 1

/*
 * weft_overlay_config: an array with one entry (key 0), written by weftd.
 * The VXLAN ifindex lives here and not in .rodata so that a re-created
 * device only means one map update, not a reload of every endpoint.
 */
struct weft_overlay_config {
	__u32 vxlan_ifindex; /* 0: no overlay, remote destinations go to the host */
	__u32 pad[3];
};

/*
 * --- Flow events ------------------------------------------------------------
 *
 * The programs explain verdicts to weftd through weft_flow_events, a ring
 * buffer: every drop (from weft_verdict(), the one exit), and, when weftd
 * asks, every new flow a policy rule allowed or every new flow at all (from
 * pod_flow(), where the decision and the matched entry are known). Each
 * event carries the frame's first WEFT_FLOW_HDR_LEN bytes: weftd parses the
 * tuple itself, so a malformed or spoofed frame is reported as it came, and
 * the datapath copies instead of parsing on its drop path.
 *
 * weft_flow_config (one entry) holds the mode and the rate; a zeroed entry
 * (a map the first load created before weftd wrote it) means drops at the
 * default rate. A map, not .rodata: weftd changes the mode without
 * reloading every endpoint, and the lookup happens only where an event may
 * be sent (a drop, a new flow), never on an established flow's packet.
 *
 * weft_flow_stats (per-CPU, one entry) is the rate limit's token bucket and
 * the event counters. Every event the programs try to send counts exactly
 * once: sent, suppressed (the rate limit) or ringbuf_full (no room: weftd
 * is behind or down). In drops mode their sum over the CPUs is the number
 * of drops in weft_metrics since the map was created.
 */
enum weft_flow_mode {
	WEFT_FLOW_MODE_DROPS = 0,  /* the default, and a zeroed config */
	WEFT_FLOW_MODE_OFF = 1,	   /* nothing, drops are still counted */
	WEFT_FLOW_MODE_POLICY = 2, /* drops and new flows a policy rule allowed */
	WEFT_FLOW_MODE_ALL = 3,	   /* drops and every new flow */
};

enum weft_flow_kind {
	WEFT_FLOW_DROP = 1,    /* reason is the drop reason */
	WEFT_FLOW_ALLOWED = 2, /* a new flow, allowed by the policy rule @rule */
	WEFT_FLOW_OPEN = 3,    /* a new flow in a direction no policy selects the pod for */
	WEFT_FLOW_NODE = 4,    /* a new flow to or from the node, always allowed */
};

/* The default rate limit, per CPU: events a second, and the burst. */
#define WEFT_FLOW_DEFAULT_RATE 1000
#define WEFT_FLOW_RING_SIZE    (1 << 20) /* bytes: about 6,000 events */
#define WEFT_FLOW_HDR_LEN      128	 /* Ethernet + IPv4 with options + TCP flags */

struct weft_flow_config {
	__u32 mode;  /* enum weft_flow_mode */
	__u32 rate;  /* events a second per CPU; 0: WEFT_FLOW_DEFAULT_RATE */
	__u32 burst; /* bucket size in events; 0: one second's worth */
	__u32 pad;
};

struct weft_flow_stats {
	__u64 sent;	    /* events in the ring buffer */
	__u64 suppressed;   /* refused by the rate limit */
	__u64 ringbuf_full; /* no room in the ring buffer */
	__u64 credit_ns;    /* the token bucket, in ns of rate (an event costs 1e9/rate) */
	__u64 last_ns;	    /* bpf_ktime_get_ns() of the last refill */
};

enum weft_flow_flags {
	WEFT_FLOW_F_TRUNCATED = 1 << 0, /* the frame is longer than hdr_len */
};

struct weft_flow_event {
	__u64 ts_ns;	     /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 endpoint_id;   /* the pod's endpoint; 0 for the overlay's programs */
	__u32 ifindex;	     /* skb->ifindex where the program ran */
	__u32 pkt_len;	     /* skb->len */
	__u32 peer_identity; /* new flows: the peer's identity as policy saw it; drops: 0 */
	__u32 rule;	     /* WEFT_FLOW_ALLOWED: the entry's rule cookie */
	__s16 reason;	     /* enum weft_reason for drops; 0 otherwise */
	__u8 kind;	     /* enum weft_flow_kind */
	__u8 direction;	     /* enum weft_direction */
	__u8 flags;	     /* enum weft_flow_flags */
	__u8 pad;
	__u16 hdr_len; /* bytes of hdr[] that hold the frame */
	__u32 pad2;
	__u8 hdr[WEFT_FLOW_HDR_LEN]; /* the frame from its Ethernet header */
};

/* A ring buffer has no key or value: a type of size 0 for the table's
 * columns (libbpf then creates it with key and value size 0). */
struct weft_flow_none {};

/*
 * --- Explain runs -----------------------------------------------------------
 *
 * weftctl explain runs the attached programs on a built frame with
 * BPF_PROG_TEST_RUN. Such a run is told from a real packet by its context:
 * skb->mark == WEFT_EXPLAIN_MARK and skb->hwtstamp == WEFT_EXPLAIN_STAMP,
 * both set through the test run's struct __sk_buff ctx_in. A real packet
 * never has both: crossing a veth into another namespace scrubs the mark,
 * and a veth or the VXLAN device never sets a hardware timestamp. An explain
 * run decides exactly as a real packet would (the same policy and conntrack
 * lookups); it only leaves out the bookkeeping: no conntrack entry created,
 * refreshed, re-checked or removed, no weft_metrics count, no flow event.
 * Each program that runs writes its hop into skb->cb[], which the test run
 * hands back in ctx_out: the first hop (the program run) into the
 * WEFT_EXPLAIN_CB_* slots below and byte 0-1 of WEFT_EXPLAIN_CB_REASONS, a
 * second hop (the destination's weft_to_pod_local, tail-called in the same
 * run) into bytes 2-3, WEFT_EXPLAIN_CB_RULE2 and skb->priority (its peer).
 * A hop is the second when byte 0 is already set: weft_verdict() of the
 * first has run before the tail call.
 */
#define WEFT_EXPLAIN_MARK  0x77656674u		  /* "weft" */
#define WEFT_EXPLAIN_STAMP 0x6578706c61696e21ull /* "explain!" */

enum weft_explain_cb {
	WEFT_EXPLAIN_CB_REASONS = 0, /* per hop: s8 reason, u8 enum weft_explain_kind */
	WEFT_EXPLAIN_CB_RULE1 = 1,   /* first hop: the allowing entry's rule cookie */
	WEFT_EXPLAIN_CB_PEER1 = 2,   /* first hop: the peer identity policy saw */
	WEFT_EXPLAIN_CB_TARGET1 = 3, /* forward-local: endpoint id; tunnel: node IPv4 */
	WEFT_EXPLAIN_CB_RULE2 = 4,   /* second hop: the allowing entry's rule cookie */
};

/* How conntrack and policy decided a hop. The values below 16 are those of
 * enum weft_flow_kind for a new flow (allowed, open, node). */
enum weft_explain_kind {
	WEFT_EXPLAIN_NONE = 0,		/* no policy step: not IPv4, or dropped before */
	WEFT_EXPLAIN_DENIED = 16,	/* policy checked, no entry allows it */
	WEFT_EXPLAIN_ESTABLISHED = 17,	/* conntrack: a flow checked at this revision */
	WEFT_EXPLAIN_REPLY = 18,	/* conntrack: a reply of a tracked flow */
	WEFT_EXPLAIN_RELATED = 19,	/* an ICMP error about a tracked flow */
};

/*
 * Verdict reasons. Forwarding outcomes are positive, drops negative; the
 * metrics index of a reason is its absolute value. Keep weft_reason_name() in
 * lib/reasons.c in step.
 */
enum weft_reason {
	WEFT_FWD_HOST = 1,	/* to the host stack */
	WEFT_FWD_LOCAL = 2,	/* to a local pod: its policy program, else its host veth */
	WEFT_FWD_ARP_REPLY = 3, /* gateway ARP answered in BPF */
	WEFT_FWD_TO_POD = 4,	/* delivered into the pod */
	WEFT_FWD_TUNNEL = 5,	/* to another node through the VXLAN device */

	WEFT_DROP_MIN = -32,
	WEFT_DROP_INVALID_PACKET = -32,	 /* truncated or malformed headers */
	WEFT_DROP_SPOOFED_MAC = -33,	 /* source MAC is not the pod's */
	WEFT_DROP_SPOOFED_IP = -34,	 /* source IP is not the pod's */
	WEFT_DROP_UNSUPPORTED_L3 = -35,	 /* not IPv4 or ARP */
	WEFT_DROP_ARP_NOT_GATEWAY = -36, /* ARP request for anything but the gateway */
	WEFT_DROP_TTL_EXCEEDED = -37,	 /* TTL would reach 0 on the local hop */
	WEFT_DROP_NOT_FOR_POD = -38,	 /* to-pod: IPv4 not addressed to this pod */
	WEFT_DROP_REDIRECT_FAILED = -39, /* redirect helper refused */
	WEFT_DROP_CSUM_FAILED = -40,	 /* checksum helper refused */
	WEFT_DROP_NO_TUNNEL = -41,	 /* to-overlay: no node known for the destination */
	WEFT_DROP_TUNNEL_KEY = -42,	 /* bpf_skb_set_tunnel_key() refused */
	WEFT_DROP_TUNNEL_SOURCE = -43,	 /* from-overlay: sender is no node, or the
					  * inner source is not behind it */
	WEFT_DROP_POLICY_DENIED = -44,	 /* a new flow no policy entry allows */
	WEFT_DROP_POLICY_REVOKED = -45,	 /* an established flow the changed policy
					  * no longer allows: cut */
	WEFT_DROP_NO_POLICY_MAP = -46,	 /* the endpoint has no policy map (fail closed) */
	WEFT_DROP_NO_ENDPOINT = -47,	 /* the veth has no weft_veths entry, or to-pod-local:
					  * the destination is no local endpoint (fail closed) */
};

#define WEFT_REASON_MAX 64 /* reasons per direction, |reason| < WEFT_REASON_MAX */

enum weft_direction {
	WEFT_DIR_FROM_POD = 0,
	WEFT_DIR_TO_POD = 1,
	WEFT_DIR_OVERLAY = 2,	 /* from the VXLAN device (decapsulated) */
	WEFT_DIR_TO_OVERLAY = 3, /* into the VXLAN device (to be encapsulated) */
	WEFT_DIR_MAX = 4,
};

#define WEFT_METRICS_ENTRIES (WEFT_DIR_MAX * WEFT_REASON_MAX)

/* weft_metrics: per-CPU array, index = direction * WEFT_REASON_MAX + |reason|. */
struct weft_metrics_value {
	__u64 packets;
	__u64 bytes;
};

/*
 * The contract between the BPF objects and weftd, as two tables that both
 * sides expand (X-macros), so no list is kept in step with another by hand:
 * bpf/lib/maps.h and bpf/lib/rodata.h declare the maps and .rodata variables
 * from them, weftd builds its map and .rodata tables from them
 * (daemon/datapath/maps.c, rodata.c), and tests/unit/test_datapath_contract.c
 * checks the built objects against weftd's tables.
 */

/*
 * The maps both objects share, pinned by weftd under its bpffs root (no
 * pinning attribute: weftd picks the paths, bpf_map__set_pin_path) and reused
 * by every endpoint's copy of weft_pod.bpf.o and by weft_overlay.bpf.o:
 *
 *   X(id, name, map type, key type, value type, max entries, map flags, layout,
 *     inner)
 *
 * id names the enum weft_map entry, the index into weft_map_layout[] and into
 * weftd's table. layout is the map's layout version: bump it whenever its key
 * or value layout changes. weftd pins layout N > 1 as "<name>_v<N>" (bpffs
 * refuses dots), so an upgrade creates the new map next to the old one,
 * migrates the entries, swaps the programs and only then removes the old map
 * (docs/architecture.md). Value layouts only grow at the end: weftd copies the
 * common prefix, and the daemon's own writes fill what it knows and zero the
 * rest.
 *
 * weft_endpoints: local endpoints by pod address, where from-pod delivers
 *   without the host stack.
 * weft_metrics: verdict counters, index = direction * WEFT_REASON_MAX +
 *   |reason|. Per-CPU so the hot path never contends on a cache line; readers
 *   sum the CPUs.
 * weft_policy_progs: each local endpoint's weft_to_pod_local at index = its
 *   endpoint id (the node's one program, or during a live upgrade the old or
 *   the new one). weft_from_pod tail-calls the destination's program so the
 *   destination's to-pod checks run before bpf_redirect_peer() skips its host
 *   veth; an empty slot makes the tail call fall through to a plain redirect
 *   to the host veth, whose weft_to_pod then runs. The kernel only lets
 *   programs of the same type and expected_attach_type share a program array
 *   (the first program that uses it sets the owner), so every program in here
 *   is SEC("tcx/ingress"), like weft_from_pod. The kernel empties a program
 *   array when its last user reference goes away (the last fd closed and no
 *   pin), so weftd must keep it pinned.
 * weft_ipcache: remote pod ranges, node addresses and every known pod address,
 *   with the identity and the node to tunnel to. Longest prefix wins, so a
 *   pod's /32 overrides its node's range. LPM tries must be created without
 *   preallocation (BPF_F_NO_PREALLOC).
 * weft_overlay_config: one entry (key 0), the node's overlay settings.
 * weft_policy_maps: each local endpoint's policy map at index = its endpoint
 *   id (an array of maps, so any program can read any endpoint's policy and
 *   weftd can swap in a bigger map in one update). inner names the template:
 *   WEFT_INNER(name) for a map of maps (bpf/lib/maps.h declares name's
 *   template from WEFT_POLICY_MAP_*), WEFT_NO_INNER for every other map.
 * weft_policy_cidrs: every prefix some policy's ipBlock names (cidr or
 *   except) -> its ipBlock identity; longest prefix wins.
 * weft_policy_state: one entry (key 0), the node's policy revision.
 * weft_conntrack: every flow through a local endpoint. LRU, so a full table
 *   evicts the least recently used flow instead of refusing a new one; weftd
 *   also removes expired entries.
 * weft_veths: each local pod's host veth ifindex -> what its programs need
 *   to know about the pod (struct weft_veth).
 * weft_flow_events, weft_flow_stats, weft_flow_config: the flow events
 *   ("Flow events" above): the ring buffer weftd reads, the per-CPU rate
 *   limit and counters, and the mode and rate weftd sets.
 */
#define WEFT_SHARED_MAPS(X)                                                                        \
	X(ENDPOINTS, weft_endpoints, BPF_MAP_TYPE_HASH, struct weft_ip_key,                        \
	  struct weft_endpoint_info, WEFT_MAX_ENDPOINTS, 0, WEFT_ENDPOINTS_LAYOUT, WEFT_NO_INNER)  \
	X(METRICS, weft_metrics, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct weft_metrics_value,      \
	  WEFT_METRICS_ENTRIES, 0, 1, WEFT_NO_INNER)                                               \
	X(POLICY_PROGS, weft_policy_progs, BPF_MAP_TYPE_PROG_ARRAY, __u32, __u32,                  \
	  WEFT_MAX_ENDPOINTS, 0, 1, WEFT_NO_INNER)                                                 \
	X(IPCACHE, weft_ipcache, BPF_MAP_TYPE_LPM_TRIE, struct weft_ipcache_key,                   \
	  struct weft_ipcache_value, WEFT_IPCACHE_MAX_ENTRIES, BPF_F_NO_PREALLOC, 1, WEFT_NO_INNER) \
	X(OVERLAY_CONFIG, weft_overlay_config, BPF_MAP_TYPE_ARRAY, __u32,                          \
	  struct weft_overlay_config, 1, 0, 1, WEFT_NO_INNER)                                      \
	X(POLICY_MAPS, weft_policy_maps, BPF_MAP_TYPE_ARRAY_OF_MAPS, __u32, __u32,                 \
	  WEFT_MAX_ENDPOINTS, 0, 1, WEFT_INNER(weft_policy_map))                                   \
	X(POLICY_CIDRS, weft_policy_cidrs, BPF_MAP_TYPE_LPM_TRIE, struct weft_ipcache_key,         \
	  struct weft_policy_cidr, WEFT_POLICY_CIDRS_MAX_ENTRIES, BPF_F_NO_PREALLOC, 1,            \
	  WEFT_NO_INNER)                                                                           \
	X(POLICY_STATE, weft_policy_state, BPF_MAP_TYPE_ARRAY, __u32, struct weft_policy_state, 1, \
	  0, 1, WEFT_NO_INNER)                                                                     \
	X(CONNTRACK, weft_conntrack, BPF_MAP_TYPE_LRU_HASH, struct weft_ct_key,                    \
	  struct weft_ct_entry, WEFT_CT_MAX_ENTRIES, 0, 1, WEFT_NO_INNER)                          \
	X(FLOW_EVENTS, weft_flow_events, BPF_MAP_TYPE_RINGBUF, struct weft_flow_none,              \
	  struct weft_flow_none, WEFT_FLOW_RING_SIZE, 0, 1, WEFT_NO_INNER)                         \
	X(FLOW_STATS, weft_flow_stats, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct weft_flow_stats,   \
	  1, 0, 1, WEFT_NO_INNER)                                                                  \
	X(FLOW_CONFIG, weft_flow_config, BPF_MAP_TYPE_ARRAY, __u32, struct weft_flow_config, 1, 0, \
	  1, WEFT_NO_INNER)                                                                        \
	X(VETHS, weft_veths, BPF_MAP_TYPE_HASH, __u32, struct weft_veth, WEFT_MAX_ENDPOINTS, 0, 1,  \
	  WEFT_NO_INNER)

/*
 * The inner map of a map of maps (the last column): every endpoint's policy
 * map has this type, key, value and flags; weftd creates them
 * (daemon/policy/), libbpf only uses the template to create the outer map.
 * The kernel lets hash inner maps differ in max_entries, which the growing
 * maps rely on.
 */
#define WEFT_POLICY_MAP_TYPE  BPF_MAP_TYPE_HASH
#define WEFT_POLICY_MAP_FLAGS BPF_F_NO_PREALLOC

#define WEFT_MAP_ENUM(id, ...) WEFT_MAP_##id,
/* (clang-format would join the table's expansion and the count.) */
/* clang-format off */
enum weft_map {
	WEFT_SHARED_MAPS(WEFT_MAP_ENUM)
	WEFT_MAP_NR,
};
/* clang-format on */
#undef WEFT_MAP_ENUM

/* { [WEFT_MAP_ENDPOINTS] = its layout, ... }: weft_map_layout's value. */
#define WEFT_MAP_LAYOUT_INIT(id, name, type, key, value, entries, flags, layout, inner)                   \
	[WEFT_MAP_##id] = layout,
#define WEFT_MAP_LAYOUTS                                                                           \
	{                                                                                          \
		WEFT_SHARED_MAPS(WEFT_MAP_LAYOUT_INIT)                                             \
	}

/*
 * The .rodata variables, X(name, element type, dimensions, initial value);
 * dimensions are empty for a scalar. Set (or read) by weftd by name through
 * the object's BTF before load, never through skeleton offsets, so a newer
 * object on disk can be loaded by a running weftd during a live upgrade.
 *
 * WEFT_RODATA_OBJECT: in every object, read by weftd before it loads one,
 * never by the programs. weft_map_layout holds each shared map's layout
 * (indexed by enum weft_map), to pick the pin names and to know which maps an
 * upgrade must migrate.
 *
 * There are no per-endpoint constants: one load of weft_pod.bpf.o serves every
 * pod, which the programs tell apart by weft_veths.
 */
#define WEFT_RODATA_OBJECT(X) X(weft_map_layout, __u32, [WEFT_MAP_NR], WEFT_MAP_LAYOUTS)

#endif
