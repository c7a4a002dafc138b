// SPDX-License-Identifier: Apache-2.0
/*
 * The policy engine's bookkeeping without a datapath (no endpoint on this
 * "node", so no map is touched): identities follow the pods that exist, not
 * the pods that ever existed, however long a rollout or churn goes on
 * (cilium/cilium#34512); ipBlock identities follow the policies; an invalid
 * policy is kept as a deny-all and reported; peers follow pods and labels.
 * The datapath side runs in tests/bats/75-netpol.bats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/cluster/cluster.h"
#include "daemon/datapath/maps.h"
#include "daemon/policy/engine.h"
#include "daemon/policy/identity.h"
#include "log.h"
#include "testing.h"

struct env {
	struct cluster *cl;
	struct identities *ids;
	struct maps maps;
	struct policy *pol;
};

static void env_up(struct env *e)
{
	memset(e, 0, sizeof(*e));
	/* No bpffs here: the engine only opens maps for local endpoints. */
	maps_init(&e->maps, "/nonexistent-weft-test-bpffs");
	if (cluster_new(&e->cl) || identities_new(&e->ids) ||
	    policy_open(&e->pol, &e->maps, e->ids, e->cl))
		abort();
}

static void env_down(struct env *e)
{
	cluster_free(e->cl);
	policy_close(e->pol);
	identities_free(e->ids);
	maps_close(&e->maps);
}

static void pod_put(struct env *e, const char *ns, const char *name, const char *app,
		    const char *hash, unsigned int ip)
{
	struct cl_pod *p = cl_pod_new(ns, name);
	struct weft_addr a = weft_addr_from_ipv4(htonl(ip));

	if (!p || cl_labels_add(&p->labels, "app", app) ||
	    (hash && cl_labels_add(&p->labels, "pod-template-hash", hash)) || cl_pod_add_ip(p, &a))
		abort();
	if (cluster_upsert_pod(e->cl, p))
		abort();
}

static void policy_put(struct env *e, const char *ns, const char *name, const char *spec)
{
	json_error_t jerr;
	json_t *j = json_loads(spec, 0, &jerr);
	struct cl_policy *p;

	if (!j)
		abort();
	p = cl_policy_new(ns, name, j);
	json_decref(j);
	if (!p || cluster_upsert_policy(e->cl, p))
		abort();
}

static long long status_int(struct env *e, const char *key)
{
	json_t *st = policy_status(e->pol);
	long long v = json_integer_value(json_object_get(st, key));

	json_decref(st);
	return v;
}

/* A Deployment rolled 200 times, 50 pods each (10,000 pods over the run, as
 * 50 pods/s for 200 s would be): each rollout brings a new
 * pod-template-hash, so a new label set, and retires the previous one. */
static void test_churn(void)
{
	struct env e;
	char name[32], hash[32];
	unsigned int peak = 0;

	env_up(&e);
	policy_put(&e, "shop", "web", "{\"podSelector\": {\"matchLabels\": {\"app\": \"web\"}}}");
	for (int gen = 0; gen < 200; gen++) {
		snprintf(hash, sizeof(hash), "h%d", gen);
		for (int i = 0; i < 50; i++) {
			snprintf(name, sizeof(name), "web-%d-%d", gen, i);
			pod_put(&e, "shop", name, "web", hash, 0x0af40000 + (unsigned)(gen % 2) * 64 + i);
		}
		if (identities_count(e.ids) > peak)
			peak = identities_count(e.ids);
		for (int i = 0; gen && i < 50; i++) {
			snprintf(name, sizeof(name), "web-%d-%d", gen - 1, i);
			cluster_delete_pod(e.cl, "shop", name);
		}
	}
	CHECK_INT(identities_count(e.ids), 1, "churn: one label set alive, one identity");
	CHECK_INT(peak, 2, "churn: never more than the two label sets of a rollout");
	CHECK_INT(status_int(&e, "podIdentities"), 1, "churn: the peers are the live pods'");
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "web-%d-%d", 199, i);
		cluster_delete_pod(e.cl, "shop", name);
	}
	CHECK_INT(identities_count(e.ids), 0, "churn: no pod, no identity");
	env_down(&e);
}

static void test_cidrs_and_invalid(void)
{
	struct env e;
	json_t *st, *inv;

	env_up(&e);
	policy_put(&e, "x", "blocks",
		   "{\"podSelector\": {}, \"ingress\": [{\"from\": [{\"ipBlock\": "
		   "{\"cidr\": \"10.0.0.0/8\", \"except\": [\"10.1.0.0/16\"]}}]}]}");
	policy_put(&e, "x", "more",
		   "{\"podSelector\": {}, \"egress\": [{\"to\": [{\"ipBlock\": "
		   "{\"cidr\": \"10.0.0.0/8\"}}]}]}");
	CHECK_INT(status_int(&e, "ipBlocks"), 2, "ipBlocks: one identity per distinct prefix");
	cluster_delete_policy(e.cl, "x", "blocks");
	CHECK_INT(status_int(&e, "ipBlocks"), 1, "ipBlocks: freed with the last policy naming it");

	policy_put(&e, "y", "broken",
		   "{\"podSelector\": {}, \"ingress\": [{\"ports\": [{\"port\": 90, \"endPort\": "
		   "80}]}]}");
	st = policy_status(e.pol);
	inv = json_array_get(json_object_get(st, "invalid"), 0);
	CHECK_STR(json_string_value(json_object_get(inv, "name")), "broken",
		  "invalid: the policy is listed");
	CHECK(strstr(json_string_value(json_object_get(inv, "error")) ?: "",
		     "spec.ingress[0].ports[0].endPort"),
	      "invalid: the error names the field (%s)",
	      json_string_value(json_object_get(inv, "error")));
	CHECK_INT(json_integer_value(json_object_get(st, "policies")), 2,
		  "invalid: kept (as a deny-all), not dropped");
	json_decref(st);
	policy_put(&e, "y", "broken", "{\"podSelector\": {}}");
	CHECK_INT(json_array_size(json_object_get(st = policy_status(e.pol), "invalid")), 0,
		  "invalid: fixed, no longer listed");
	json_decref(st);
	env_down(&e);
}

int main(void)
{
	log_set_level(LOG_LEVEL_WARN);
	test_churn();
	test_cidrs_and_invalid();
	return test_done();
}
