/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's state, shared by engine.c (changes, compiling, writing) and
 * show.c (reading back for weftctl and status). */
#ifndef WEFTD_POLICY_ENGINE_INTERNAL_H
#define WEFTD_POLICY_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/datapath.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/policy/engine.h"
#include "daemon/policy/policy_map.h"

struct netpol;

/* Expired conntrack entries are removed this often; the LRU evicts the
 * oldest first anyway when the table fills between two runs. */
#define POLICY_CT_GC_INTERVAL_NS (10ULL * 1000 * 1000 * 1000)

/* How an endpoint's map was last built. */
enum ep_state {
	EP_OPEN,	  /* no policy selects it */
	EP_ENFORCED,	  /* compiled from the policies that select it */
	EP_DENY_UNKNOWN,  /* its pod is not in the model, its namespace has policies */
	EP_DENY_OVERFLOW, /* its policies need more than WEFT_POLICY_MAP_MAX_ENTRIES */
	EP_WRITE_FAILED,  /* the last write failed; retried every tick */
};

struct pol_ep {
	struct pol_ep *next;
	uint32_t id;
	char *ns, *name; /* NULL without Kubernetes arguments */
	struct weft_ip_key ips[EP_MAX_IPS];
	int n_ips;
	uint32_t identity; /* one reference held; 0 while the pod is unknown */
	struct policy_map map;
	bool dirty;
	enum ep_state state;
	size_t wanted; /* entries the last compile produced */
};

struct pol_item {
	char *ns, *name;
	uint32_t cookie;    /* value.rule of its entries */
	struct netpol *np;  /* what is enforced: a deny-all stand-in when invalid */
	char *error;	    /* why the spec was refused, or NULL */
};

struct policy {
	struct maps *maps;
	struct identities *ids;
	struct cluster *cl;
	struct peers *peers;
	struct cidrs *cidrs;
	bool cidrs_adopted;
	struct pol_item *items; /* sorted by nothing; few thousand at most */
	size_t n_items, cap_items;
	struct netpol **nps; /* items[i].np, the compiler's input */
	struct pol_ep *eps;
	struct policy_entries *scratch;
	struct spares *spares; /* NULL: maps go in and out of their slots directly */
	uint32_t revision;
	/* Bumped by every model change the compiler's view shows (policy_view
	 * generation): the compiler reuses the peers it matched per rule
	 * until it moves. Never 0, which turns the reuse off. */
	uint64_t view_gen;
	bool any_dirty;
	uint64_t last_ct_gc_ns; /* CLOCK_MONOTONIC of the last conntrack GC */
	unsigned int ct_live;	/* live entries the last GC saw */
	uint64_t ct_gc_runs;	/* conntrack GC walks, and the entries they removed */
	uint64_t ct_gc_removed;
	uint64_t last_flush_us; /* how long the last flush with work took */
	unsigned int last_flush_eps;
};

/* The policy (by cookie) an entry came from, or NULL. */
const struct pol_item *engine_item_by_cookie(const struct policy *pol, uint32_t cookie);
struct pol_ep *engine_ep(const struct policy *pol, uint32_t id);
const char *engine_state_name(enum ep_state s);

#endif
