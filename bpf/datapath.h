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
#define WEFT_GATEWAY_IPV6    "fe80::1"

/*
 * Layout version of each shared map: bump a map's number whenever its key or
 * value layout changes. weftd pins layout N > 1 as "<name>_v<N>" (bpffs refuses dots), so an
 * upgrade creates the new map next to the old one, migrates the entries,
 * swaps the programs and only then removes the old map (docs/architecture.md).
 * Value layouts only grow at the end: weftd copies the common prefix, and the
 * daemon's own writes fill what it knows and zero the rest.
 *
 * WEFT_TEST_LAYOUT=N builds a test object whose weft_endpoints value has an
 * extra trailing field, to exercise the migration (tests/bats/60-upgrade.bats).
 */
#ifdef WEFT_TEST_LAYOUT
#define WEFT_ENDPOINTS_LAYOUT WEFT_TEST_LAYOUT
#else
#define WEFT_ENDPOINTS_LAYOUT 1
#endif
#define WEFT_METRICS_LAYOUT	   1
#define WEFT_POLICY_PROGS_LAYOUT   1
#define WEFT_IPCACHE_LAYOUT	   1
#define WEFT_OVERLAY_CONFIG_LAYOUT 1
/* Kept for readers of older notes: the highest per-map version. */
#define WEFT_MAP_LAYOUT_VERSION WEFT_ENDPOINTS_LAYOUT

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
	__u32 ifindex;	   /* host-side veth */
	__u32 endpoint_id; /* weftd's id, also the pin directory name */
	__u8 pod_mac[6];   /* destination MAC for frames into the pod */
	__u8 host_mac[6];  /* host-side veth MAC = the pod's gateway MAC */
	__u32 identity;	   /* security identity, for policy */
	__u32 flags;	   /* enum weft_endpoint_flags */
	__u32 pad;
#if WEFT_ENDPOINTS_LAYOUT >= 2
	__u64 test_generation; /* test layout only: never read by the datapath */
#endif
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
};

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

#endif
