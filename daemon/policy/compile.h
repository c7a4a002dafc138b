/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy compiler: every entry of one endpoint's policy map (the format is
 * bpf/datapath.h's "Network policy") from the parsed NetworkPolicies and a
 * view of the cluster's identities. Pure computation: the engine owns the
 * view, the identities and the BPF maps, and writes the difference between an
 * endpoint's last set and its new one (policy_entries_diff()).
 *
 * What it compiles, by networking.k8s.io/v1:
 * - A direction no policy selecting the endpoint covers (by policyTypes) is
 *   open: {ANY_PEER, protocol 0, port 0/0}, rule 0. A covered direction
 *   allows only what the rules of the selecting policies allow (none: deny).
 * - Peers: a podSelector alone selects pods of the policy's namespace; with a
 *   namespaceSelector, pods of the matching namespaces (AND); several peers,
 *   rules and policies add up. No peers: WEFT_POLICY_ANY_PEER. Reserved
 *   identities (host, world, remote node) are never selected by selectors.
 * - ipBlock: the ipBlock identity of every registered prefix within cidr and
 *   not within any except. The datapath takes the longest registered prefix
 *   holding an address (pod addresses too), so this is exact.
 * - Ports: no ports, protocol 0 (everything); a number or endPort range, its
 *   masked prefixes; a name, on ingress the endpoint's own container port of
 *   that name and protocol, on egress each destination identity's own number
 *   (one entry per identity and number, also for rules with no peers). On
 *   egress a name with an ipBlock peer matches nothing: an ipBlock identity
 *   stands for addresses, not pods (the view has no pod addresses to resolve
 *   it through), and one entry for it would open a number one pod names to
 *   every address in the block.
 * - Both meta entries, with the shapes of their direction's entries.
 */
#ifndef WEFTD_POLICY_COMPILE_H
#define WEFTD_POLICY_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "daemon/cluster/cluster.h"
#include "daemon/policy/entries.h"
#include "daemon/policy/netpol.h" /* struct netpol, struct policy_peer */

/* What the compiler asks of the cluster; every walk stops at and returns the
 * first non-zero from its @fn. */
struct policy_view {
	/* every pod identity in the cluster (local and remote pods), once each */
	int (*for_each_peer)(void *ctx, int (*fn)(void *fctx, const struct policy_peer *p),
			     void *fctx);
	/* a namespace's labels, NULL when unknown (peers carry their own, so the
	 * compiler does not need it today) */
	const struct cl_labels *(*ns_labels)(void *ctx, const char *ns);
	/* each distinct port number that pods of @identity give the name @name with @protocol */
	int (*for_each_named_port)(void *ctx, uint32_t identity, const char *name, uint8_t protocol,
				   int (*fn)(void *fctx, uint16_t port), void *fctx);
	/* each registered ipBlock prefix lying within @p (itself included), with its identity */
	int (*for_each_cidr_within)(void *ctx, const struct weft_prefix *p,
				    int (*fn)(void *fctx, const struct weft_prefix *q,
					      uint32_t identity),
				    void *fctx);
	void *ctx;
	/*
	 * 0, or a number the engine changes whenever anything the walks above
	 * return changes (peers, their labels, namespace labels, registered
	 * prefixes). While it stays the same, each rule's peer identities are
	 * computed once and reused for every endpoint the rule applies to: a
	 * cold start compiles the node's endpoints at the cost of one selector
	 * pass per rule, not one per rule and endpoint.
	 */
	uint64_t generation;
};

struct policy_endpoint {
	const char *ns;
	const struct cl_labels *labels;
	const struct cl_port *ports; /* the pod's own container ports, for ingress named ports */
	size_t n_ports;
};

/*
 * Every entry of @ep's policy map (both meta entries included) for the
 * policies @pols (all the node knows; those that do not select @ep are
 * skipped) into @out (cleared first). 0, or -ENOMEM with @out empty; a
 * non-zero from a view walk is returned as it is, @out empty too.
 */
int policy_compile(const struct policy_view *v, struct netpol *const *pols, size_t n,
		   const struct policy_endpoint *ep, struct policy_entries *out);

#endif
