/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NetworkPolicy specs (networking.k8s.io/v1) parsed and validated once, when
 * the policy arrives, into the form the compiler walks for every endpoint:
 * selectors ready to match, ports as ranges, ipBlocks as prefixes, policyTypes
 * resolved (explicit or implied) and the rules of a direction the policy does
 * not cover dropped. Errors name the policy and the field, as the API server's
 * would.
 */
#ifndef WEFTD_POLICY_NETPOL_H
#define WEFTD_POLICY_NETPOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "bpf/datapath.h"
#include "daemon/cluster/cluster.h"
#include "daemon/policy/selector.h"

#define NETPOL_DIRS 2 /* indexed by enum weft_policy_dir */

/* One ports[] item. No port given: [0, 65535] of the protocol. */
struct netpol_port {
	uint8_t protocol;	 /* IPPROTO_TCP (the default), IPPROTO_UDP, IPPROTO_SCTP */
	const char *name;	 /* a named port (borrowed from the spec), else NULL */
	uint16_t port, end_port; /* numeric: [port, end_port] */
};

/* One from[] / to[] item: pods by selectors, or addresses by ipBlock. */
struct netpol_peer {
	bool is_ipblock;
	/* Pods: with only a podSelector, of the policy's namespace; with a
	 * namespaceSelector, of the matching namespaces (and the podSelector, if
	 * any, must match too). */
	bool has_pod_sel, has_ns_sel;
	struct selector pod_sel, ns_sel;
	/* ipBlock: cidr less the excepts, each strictly inside cidr. */
	struct weft_prefix cidr;
	struct weft_prefix *except;
	size_t n_except;
};

struct netpol_rule {
	struct netpol_peer *peers; /* none: every peer (WEFT_POLICY_ANY_PEER) */
	size_t n_peers;
	struct netpol_port *ports; /* none: every protocol and port */
	size_t n_ports;
	/* The compiler's memo of the identities the peers allow, good while the
	 * view's generation is memo_generation (compile.h). */
	uint64_t memo_generation;
	uint32_t *memo_ids;
	size_t n_memo_ids;
};

struct netpol {
	char *ns, *name;
	uint32_t cookie; /* the engine's, carried in every entry's value.rule */
	json_t *spec;	 /* a reference: selectors and port names borrow its strings */
	struct selector pod_sel;
	/* policyTypes. A direction not covered has no rules; a covered one with
	 * none denies. */
	bool covers[NETPOL_DIRS];
	struct netpol_rule *rules[NETPOL_DIRS];
	size_t n_rules[NETPOL_DIRS];
};

/* A pod identity as the policies' peer selectors see it. */
struct policy_peer {
	uint32_t identity; /* pod identity */
	const char *ns;
	const struct cl_labels *labels;	   /* pod labels */
	const struct cl_labels *ns_labels; /* its namespace's labels, NULL if the namespace is
					    * unknown (then no namespaceSelector matches it) */
};

/*
 * @p's spec into *@out, to carry @cookie (non-zero). 0; -EINVAL with @err
 * (of @errsz bytes) naming the policy and the field, e.g. "networkpolicy
 * x/deny-all: spec.ingress[0].ports[1].endPort: 79 is below port 80"; or
 * -ENOMEM. The netpol keeps a reference to @p's spec, not to @p.
 */
int netpol_parse(const struct cl_policy *p, uint32_t cookie, struct netpol **out, char *err,
		 size_t errsz);
void netpol_free(struct netpol *pol);

/* The policy applies to a pod of @ns with @pod_labels. */
bool netpol_selects(const struct netpol *pol, const char *ns, const struct cl_labels *pod_labels);
/* The pod peer @np of @pol selects @p. ipBlock peers select no identity here
 * (their addresses get ipBlock identities), and neither selector ever selects
 * the reserved identities (host, world, remote node). */
bool netpol_peer_selects(const struct netpol *pol, const struct netpol_peer *np,
			 const struct policy_peer *p);
/*
 * Whether @p appearing, going or changing can change what @pol compiles to:
 * some rule's pod or namespace peer selects it, or an egress rule for every
 * peer names a port (those entries are per destination identity). The engine
 * recompiles only the endpoints that such policies select.
 */
bool netpol_peer_may_select(const struct netpol *pol, const struct policy_peer *p);
/* @fn on every ipBlock cidr and except of the covered directions, so the
 * engine can register their identities before compiling. Stops at and returns
 * the first non-zero from @fn. */
int netpol_for_each_cidr(const struct netpol *pol,
			 int (*fn)(void *ctx, const struct weft_prefix *p), void *ctx);
/* Some rule names a port (its entries then follow pods' container ports). */
bool netpol_has_named_ports(const struct netpol *pol);

#endif
