/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftctl explain: a built packet run through the programs attached now
 * (bpf/datapath.h, "Explain runs"), hop by hop, with the policy that
 * decided each.
 */
#ifndef WEFTD_EXPLAIN_H
#define WEFTD_EXPLAIN_H

#include <jansson.h>
#include <stdint.h>
#include <linux/bpf.h>

struct weftd;

/* The packet asked about: addresses in network order, @port host order (0
 * for ICMP). */
struct explain_req {
	uint32_t saddr, daddr;
	uint8_t protocol;
	uint16_t port;
};

enum explain_first {
	EXPLAIN_FROM_POD,     /* the source endpoint's weft_from_pod */
	EXPLAIN_FROM_OVERLAY, /* weft_from_overlay, for a packet from another node */
};

/* What the run handed back. */
struct explain_result {
	enum explain_first first;
	uint32_t ep_id;	  /* the first program's endpoint; 0 for the overlay's */
	uint32_t prog_id; /* the first program's id */
	int retval;	  /* its TC_ACT_* */
	struct __sk_buff ctx;
};

/* The "explain" op: {"from", "to", "proto", "port"} -> {"hops": [...],
 * "verdict", "complete", ...}, or an error reply. */
json_t *explain_op(struct weftd *d, json_t *req);
/* The reply for a run (daemon/explain/hops.c). NULL when out of memory. */
json_t *explain_hops_json(struct weftd *d, const struct explain_req *r,
			  const struct explain_result *res);

#endif
