/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy engine: NetworkPolicies of the cluster model compiled into the
 * policy maps of this node's endpoints.
 *
 * It observes the model (policies, pods, namespaces) and keeps, for the
 * compiler, the pod identities (peers.c) and ipBlock identities (cidrs.c) of
 * the whole cluster. A change marks only the endpoints it can affect:
 *
 *   policy added/changed/removed  endpoints its old or new podSelector selects
 *   an identity appears or goes   endpoints whose policies have a peer that
 *                                 may select it
 *   named ports of an identity    endpoints whose policies use named ports
 *   namespace labels              endpoints whose policies may select a pod
 *                                 of that namespace before or after
 *   the endpoint's own pod        that endpoint (its identity, its policies)
 *
 * policy_flush() then compiles the marked endpoints, writes only the entries
 * that differ (policy_map.c), the ipBlock trie, and, if anything changed,
 * bumps the node's policy revision: established flows then get one full
 * check on their next packet, so a tightened policy cuts them and a still
 * allowed one never notices.
 *
 * Without cluster state (no --cluster-file) there are no policies: every
 * endpoint is open both ways. An endpoint whose pod the model does not know
 * yet is open only if its namespace has no policy, else it denies both ways
 * until the pod appears: its labels decide what selects it.
 */
#ifndef WEFTD_POLICY_ENGINE_H
#define WEFTD_POLICY_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "api.h"
#include "bpf/datapath.h"

struct policy;
struct maps;
struct cluster;
struct identities;

/* @cl may be NULL. The engine registers its observer on @cl; free the
 * cluster before policy_close(). 0 or -ENOMEM. */
int policy_open(struct policy **out, struct maps *maps, struct identities *ids,
		struct cluster *cl);
/* weftd's side only: the maps keep enforcing. */
void policy_close(struct policy *pol);

/*
 * An endpoint appears (ADD, or adopted at start; its programs and so the
 * shared maps exist): its identity from its pod's labels (@k8s:
 * {"namespace","name"} or NULL), its policy map compiled and put in
 * weft_policy_maps (adopting the one a previous weftd left). *@identity is
 * what its weft_endpoints entries carry. 0 or -errno with @e filled.
 */
int policy_endpoint_add(struct policy *pol, uint32_t id, const json_t *k8s,
			const struct weft_ip_key *ips, int n_ips, uint32_t *identity,
			struct weft_api_error *e);
/* The endpoint is gone: its map emptied and kept as a spare (or its slot
 * emptied), its identity reference dropped. */
void policy_endpoint_del(struct policy *pol, uint32_t id);

/*
 * Spare policy maps (daemon/policy/spares.h): endpoint ids whose empty map
 * is already in weft_policy_maps, so an ADD given one waits for no grace
 * period. endpoint.c takes ids from here first (policy_spare_take), gives
 * no id the pool holds to an endpoint otherwise (policy_spare_holds), and
 * tops the pool up after each ADD and on the tick (policy_spares_fill, with
 * its own idea of a free id: no endpoint, no pins). policy_spares_adopt
 * takes over the empty maps a previous weftd left in slots of ids no
 * endpoint has (reconcile.c finds them). All no-ops without the pool.
 */
bool policy_spare_take(struct policy *pol, uint32_t *id);
bool policy_spare_holds(struct policy *pol, uint32_t id);
void policy_spares_fill(struct policy *pol, uint32_t (*next_free)(void *ctx, uint32_t after),
			void *ctx);
void policy_spares_adopt(struct policy *pol, const uint32_t *ids, unsigned int n);

/* Compile and write what the last changes marked. Called after every
 * batch of model changes and from the tick (retries). */
void policy_flush(struct policy *pol);
/* From weftd's 1 s tick: policy_flush() (retries), and every
 * POLICY_CT_GC_INTERVAL_NS the conntrack GC. */
void policy_tick(struct policy *pol);
/* Reopen the shared maps after an upgrade changed their layout. */
void policy_maps_changed(struct policy *pol);

/* For `status`: counts, revision, each endpoint's map size and state. */
json_t *policy_status(struct policy *pol);
/* For `weftctl policy`: endpoint @id's map read back from the kernel, with
 * identities and policies named. NULL with @e filled when unknown. */
json_t *policy_show(struct policy *pol, uint32_t id, struct weft_api_error *e);
/* Identity @id named: {"kind": "pods", "namespace", "labels"}, "ipBlock"
 * with its "cidr", "host", "world", "remote-node", or "stale". */
json_t *policy_identity_json(const struct policy *pol, uint32_t id);
/* Every identity the node knows: the reserved ones, the pods', the
 * ipBlocks'. NULL when out of memory. */
json_t *policy_identities_json(struct policy *pol);
/* The endpoint id of pod @ns/@name on this node, 0 when none. */
uint32_t policy_endpoint_of_pod(struct policy *pol, const char *ns, const char *name);

#endif
