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
#define WEFT_GATEWAY_IPV4 "169.254.1.1"
#define WEFT_GATEWAY_IPV4_BE 0x0101fea9 /* 169.254.1.1 in network order */
#define WEFT_GATEWAY_IPV6 "fe80::1"

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
#define WEFT_METRICS_LAYOUT 1
#define WEFT_POLICY_PROGS_LAYOUT 1
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
 * Verdict reasons. Forwarding outcomes are positive, drops negative; the
 * metrics index of a reason is its absolute value. Keep weft_reason_name() in
 * lib/reasons.c in step.
 */
enum weft_reason {
	WEFT_FWD_HOST = 1,	 /* to the host stack */
	WEFT_FWD_LOCAL = 2,	 /* to a local pod: its policy program, else its host veth */
	WEFT_FWD_ARP_REPLY = 3, /* gateway ARP answered in BPF */
	WEFT_FWD_TO_POD = 4,	 /* delivered into the pod */

	WEFT_DROP_MIN = -32,
	WEFT_DROP_INVALID_PACKET = -32,	  /* truncated or malformed headers */
	WEFT_DROP_SPOOFED_MAC = -33,	  /* source MAC is not the pod's */
	WEFT_DROP_SPOOFED_IP = -34,	  /* source IP is not the pod's */
	WEFT_DROP_UNSUPPORTED_L3 = -35,	  /* not IPv4 or ARP */
	WEFT_DROP_ARP_NOT_GATEWAY = -36, /* ARP request for anything but the gateway */
	WEFT_DROP_TTL_EXCEEDED = -37,	  /* TTL would reach 0 on the local hop */
	WEFT_DROP_NOT_FOR_POD = -38,	  /* to-pod: IPv4 not addressed to this pod */
	WEFT_DROP_REDIRECT_FAILED = -39, /* redirect helper refused */
	WEFT_DROP_CSUM_FAILED = -40,	  /* checksum helper refused */
};

#define WEFT_REASON_MAX 64 /* reasons per direction, |reason| < WEFT_REASON_MAX */

enum weft_direction {
	WEFT_DIR_FROM_POD = 0,
	WEFT_DIR_TO_POD = 1,
	WEFT_DIR_OVERLAY = 2,
	WEFT_DIR_MAX = 4,
};

#define WEFT_METRICS_ENTRIES (WEFT_DIR_MAX * WEFT_REASON_MAX)

/* weft_metrics: per-CPU array, index = direction * WEFT_REASON_MAX + |reason|. */
struct weft_metrics_value {
	__u64 packets;
	__u64 bytes;
};

#endif
