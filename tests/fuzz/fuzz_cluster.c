// SPDX-License-Identifier: Apache-2.0
/*
 * A cluster file (weftd --cluster-file: a Kubernetes List of Nodes,
 * Namespaces, Pods and NetworkPolicies) from its bytes to the policy maps:
 * parsed whole (daemon/cluster/cluster_k8s.c's cluster_k8s_parse_list()),
 * applied to a cluster model as cluster_file.c applies it, every policy
 * parsed by the policy compiler (daemon/policy/netpol.c, selector.c), and
 * every pod's policy map compiled (compile.c) against a view of the model:
 * each pod its own identity, namespace labels from the model, named ports
 * from the pods, and the policies' own ipBlock prefixes registered. Every
 * compiled set has both meta entries.
 */
#include <errno.h>
#include <string.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster_k8s.h"
#include "daemon/policy/compile.h"
#include "tests/fuzz/fuzz.h"

#define MAX_PODS     64
#define MAX_POLICIES 64
#define MAX_CIDRS    64

struct world {
	struct cluster *model;
	const struct cl_pod *pods[MAX_PODS];
	size_t n_pods;
	struct netpol *pols[MAX_POLICIES];
	size_t n_pols;
	struct weft_prefix cidrs[MAX_CIDRS];
	size_t n_cidrs;
};

static int add_pod(void *ctx, const struct cl_pod *p)
{
	struct world *w = ctx;

	if (w->n_pods < MAX_PODS)
		w->pods[w->n_pods++] = p;
	return 0;
}

static void add_cidr(struct world *w, const struct weft_prefix *p)
{
	for (size_t i = 0; i < w->n_cidrs; i++)
		if (weft_prefix_equal(&w->cidrs[i], p))
			return;
	if (w->n_cidrs < MAX_CIDRS)
		w->cidrs[w->n_cidrs++] = *p;
}

static int add_policy(void *ctx, const struct cl_policy *p)
{
	struct world *w = ctx;
	struct netpol *pol;
	char err[512];
	int ret;

	if (w->n_pols == MAX_POLICIES)
		return 0;
	ret = netpol_parse(p, (uint32_t)w->n_pols + 1, &pol, err, sizeof(err));
	if (ret) {
		FUZZ_ASSERT(ret == -EINVAL && err[0], "policy %s/%s: %d without a reason", p->ns,
			    p->name, ret);
		return 0;
	}
	w->pols[w->n_pols++] = pol;
	for (int dir = 0; dir < NETPOL_DIRS; dir++) {
		for (size_t r = 0; r < pol->n_rules[dir]; r++) {
			const struct netpol_rule *rule = &pol->rules[dir][r];

			for (size_t i = 0; i < rule->n_peers; i++) {
				if (!rule->peers[i].is_ipblock)
					continue;
				add_cidr(w, &rule->peers[i].cidr);
				for (size_t e = 0; e < rule->peers[i].n_except; e++)
					add_cidr(w, &rule->peers[i].except[e]);
			}
		}
	}
	return 0;
}

static const struct cl_labels *ns_labels(void *ctx, const char *ns)
{
	const struct cl_namespace *n = cluster_find_namespace(((struct world *)ctx)->model, ns);

	return n ? &n->labels : NULL;
}

static int each_peer(void *ctx, int (*fn)(void *fctx, const struct policy_peer *p), void *fctx)
{
	struct world *w = ctx;
	struct policy_peer peer;
	int ret;

	for (size_t i = 0; i < w->n_pods; i++) {
		peer.identity = WEFT_IDENTITY_FIRST_POD + (uint32_t)i;
		peer.ns = w->pods[i]->ns;
		peer.labels = &w->pods[i]->labels;
		peer.ns_labels = ns_labels(ctx, peer.ns);
		ret = fn(fctx, &peer);
		if (ret)
			return ret;
	}
	return 0;
}

static int each_named_port(void *ctx, uint32_t identity, const char *name, uint8_t protocol,
			   int (*fn)(void *fctx, uint16_t port), void *fctx)
{
	struct world *w = ctx;
	const struct cl_pod *p;
	int ret;

	if (identity < WEFT_IDENTITY_FIRST_POD || identity - WEFT_IDENTITY_FIRST_POD >= w->n_pods)
		return 0;
	p = w->pods[identity - WEFT_IDENTITY_FIRST_POD];
	for (size_t i = 0; i < p->n_ports; i++) {
		if (!p->ports[i].name || strcmp(p->ports[i].name, name) ||
		    p->ports[i].protocol != protocol)
			continue;
		ret = fn(fctx, p->ports[i].port);
		if (ret)
			return ret;
	}
	return 0;
}

static int each_cidr_within(void *ctx, const struct weft_prefix *p,
			    int (*fn)(void *fctx, const struct weft_prefix *q, uint32_t identity),
			    void *fctx)
{
	struct world *w = ctx;
	int ret;

	for (size_t i = 0; i < w->n_cidrs; i++) {
		if (!weft_prefix_within(&w->cidrs[i], p))
			continue;
		ret = fn(fctx, &w->cidrs[i], WEFT_IDENTITY_FIRST_CIDR + (uint32_t)i);
		if (ret)
			return ret;
	}
	return 0;
}

static void compile_all(struct world *w)
{
	struct policy_view view = {
		.for_each_peer = each_peer,
		.ns_labels = ns_labels,
		.for_each_named_port = each_named_port,
		.for_each_cidr_within = each_cidr_within,
		.ctx = w,
	};
	struct policy_endpoint ep;
	struct policy_entries *out;
	struct weft_policy_key meta;

	FUZZ_ASSERT(!policy_entries_new(&out), "entries");
	for (size_t i = 0; i < w->n_pods; i++) {
		ep.ns = w->pods[i]->ns;
		ep.labels = &w->pods[i]->labels;
		ep.ports = w->pods[i]->ports;
		ep.n_ports = w->pods[i]->n_ports;
		FUZZ_ASSERT(!policy_compile(&view, w->pols, w->n_pols, &ep, out), "compile");
		for (int dir = 0; dir < NETPOL_DIRS; dir++) {
			meta = policy_meta_key((enum weft_policy_dir)dir);
			FUZZ_ASSERT(policy_entries_get(out, &meta), "no meta entry for %d", dir);
		}
	}
	policy_entries_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster_k8s_err kerr = {0};
	struct cluster_snapshot *snap;
	struct world w = {0};
	json_t *root;
	int ret;

	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!root)
		return 0;
	FUZZ_ASSERT(!cluster_snapshot_new(&snap) && !cluster_new(&w.model), "model");
	ret = cluster_k8s_parse_list(root, snap, &kerr);
	if (ret) {
		FUZZ_ASSERT(ret == -EINVAL && kerr.msg[0], "list: %d without a reason", ret);
		goto free_snapshot;
	}
	FUZZ_ASSERT(!cluster_apply_snapshot(w.model, snap), "apply");
	cluster_for_each_pod(w.model, add_pod, &w);
	cluster_for_each_policy(w.model, add_policy, &w);
	compile_all(&w);
	for (size_t i = 0; i < w.n_pols; i++)
		netpol_free(w.pols[i]);
free_snapshot:
	cluster_snapshot_free(snap);
	cluster_free(w.model);
	json_decref(root);
	return 0;
}
