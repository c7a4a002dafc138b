// SPDX-License-Identifier: Apache-2.0
/* The cluster model: snapshot diffs, event order, the one-object API, look-ups
 * by IP, the Kubernetes JSON parser's validation, and the cost of a 100k-pod
 * snapshot that changes nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster_k8s.h"
#include "log.h"
#include "testing.h"

/* ---- a recording observer ------------------------------------------------- */

#define REC_MAX 64

struct rec {
	char ev[REC_MAX][128]; /* "pod add default/web", ... */
	size_t n;
	size_t total; /* also counts past REC_MAX, for the big tests */
	char last_old_label[64], last_cur_label[64];
};

static void rec_add(struct rec *r, const char *kind, enum cluster_event ev, const char *ns,
		    const char *name)
{
	if (r->n < REC_MAX)
		snprintf(r->ev[r->n++], sizeof(r->ev[0]), "%s %s %s%s%s", kind,
			 cluster_event_name(ev), ns ? ns : "", ns ? "/" : "", name);
	r->total++;
}

static void rec_reset(struct rec *r)
{
	memset(r, 0, sizeof(*r));
}

static void on_node(void *ctx, enum cluster_event ev, const struct cl_node *old,
		    const struct cl_node *cur)
{
	rec_add(ctx, "node", ev, NULL, cur ? cur->name : old->name);
}

static void on_ns(void *ctx, enum cluster_event ev, const struct cl_namespace *old,
		  const struct cl_namespace *cur)
{
	rec_add(ctx, "namespace", ev, NULL, cur ? cur->name : old->name);
}

static void on_pod(void *ctx, enum cluster_event ev, const struct cl_pod *old,
		   const struct cl_pod *cur)
{
	struct rec *r = ctx;
	const char *v;

	rec_add(r, "pod", ev, cur ? cur->ns : old->ns, cur ? cur->name : old->name);
	if (ev == CLUSTER_UPDATE) {
		v = cl_labels_get(&old->labels, "app");
		snprintf(r->last_old_label, sizeof(r->last_old_label), "%s", v ? v : "");
		v = cl_labels_get(&cur->labels, "app");
		snprintf(r->last_cur_label, sizeof(r->last_cur_label), "%s", v ? v : "");
	}
}

static void on_policy(void *ctx, enum cluster_event ev, const struct cl_policy *old,
		      const struct cl_policy *cur)
{
	rec_add(ctx, "policy", ev, cur ? cur->ns : old->ns, cur ? cur->name : old->name);
}

/* Position of @what in the record, or -1. */
static int rec_find(const struct rec *r, const char *what)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->ev[i], what))
			return (int)i;
	}
	return -1;
}

/* Last namespace/node event comes before the first pod event. */
static bool rec_scoped_first(const struct rec *r)
{
	int last_scope = -1, first_pod = (int)r->n;

	for (size_t i = 0; i < r->n; i++) {
		if (!strncmp(r->ev[i], "node ", 5) || !strncmp(r->ev[i], "namespace ", 10))
			last_scope = (int)i;
		if (!strncmp(r->ev[i], "pod ", 4) && (int)i < first_pod)
			first_pod = (int)i;
	}
	return last_scope < first_pod;
}

/* ---- snapshots from JSON ------------------------------------------------------ */

static const char *const base_items[] = {
	"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"default\","
	"\"labels\":{\"kubernetes.io/metadata.name\":\"default\"}}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"prod\"}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"},"
	"\"spec\":{\"podCIDR\":\"10.244.1.0/24\",\"podCIDRs\":[\"10.244.1.0/24\",\"fd00:1::/64\"]},"
	"\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"n1\"},"
	"{\"type\":\"InternalIP\",\"address\":\"192.168.0.1\"},"
	"{\"type\":\"InternalIP\",\"address\":\"fc00::1\"}]}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n2\"},"
	"\"spec\":{\"podCIDR\":\"10.244.2.0/24\"},"
	"\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.168.0.2\"}]}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":"
	"\"default\",\"uid\":\"u-web\",\"labels\":{\"app\":\"web\",\"tier\":\"front\"}},"
	"\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"ports\":["
	"{\"name\":\"http\",\"containerPort\":8080},"
	"{\"containerPort\":53,\"protocol\":\"UDP\"}]}]},"
	"\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.1.5\",\"podIPs\":[{\"ip\":"
	"\"10.244.1.5\"},{\"ip\":\"fd00:1::5\"}]}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"db\",\"namespace\":"
	"\"prod\",\"labels\":{\"app\":\"db\"}},\"spec\":{\"nodeName\":\"n2\"},"
	"\"status\":{\"podIP\":\"10.244.2.7\"}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"agent\",\"namespace\":"
	"\"prod\"},\"spec\":{\"nodeName\":\"n2\",\"hostNetwork\":true},"
	"\"status\":{\"podIP\":\"192.168.0.2\"}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"job\",\"namespace\":"
	"\"prod\"},\"spec\":{\"nodeName\":\"n2\"},"
	"\"status\":{\"phase\":\"Succeeded\",\"podIP\":\"10.244.2.9\"}}",
	"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":"
	"{\"name\":\"deny\",\"namespace\":\"prod\"},\"spec\":{\"podSelector\":{}}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}",
	"{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"NetworkPolicy\",\"metadata\":"
	"{\"name\":\"calico\",\"namespace\":\"prod\"},\"spec\":{}}",
};

#define N_BASE (ARRAY_SIZE(base_items))

/* A snapshot of base_items with item @skip left out (or none: -1) and item @swap_at
 * replaced by @swap (NULL: none). */
static struct cluster_snapshot *snap_of(int skip, int swap_at, const char *swap)
{
	struct cluster_k8s_err err = {};
	struct cluster_snapshot *snap = NULL;
	json_t *list = json_pack("{s:s, s:s, s:[]}", "apiVersion", "v1", "kind", "List", "items");
	json_t *items = json_object_get(list, "items");
	json_error_t jerr;
	int ret;

	for (int i = 0; i < (int)N_BASE; i++) {
		const char *text = i == swap_at ? swap : base_items[i];

		if (i == skip)
			continue;
		json_array_append_new(items, json_loads(text, 0, &jerr));
	}
	if (cluster_snapshot_new(&snap))
		goto out;
	ret = cluster_k8s_parse_list(list, snap, &err);
	if (ret) {
		printf("# parse: %d %s\n", ret, err.msg);
		cluster_snapshot_free(snap);
		snap = NULL;
	}
out:
	json_decref(list);
	return snap;
}

static int apply(struct cluster *cl, struct cluster_snapshot *snap)
{
	int ret;

	if (!snap)
		return -EINVAL;
	ret = cluster_apply_snapshot(cl, snap);
	cluster_snapshot_free(snap);
	return ret;
}

static struct weft_addr ip(const char *s)
{
	struct weft_addr a = {};

	weft_addr_parse(s, &a);
	return a;
}

static void test_snapshots(void)
{
	struct cluster_observer obs = {on_node, on_ns, on_pod, on_policy, NULL, NULL};
	struct rec r = {}, r2 = {};
	struct cluster_counts c;
	const struct cl_node *n;
	const struct cl_pod *p;
	struct weft_addr a;
	struct cluster *cl;
	int pos[4];

	CHECK_INT(cluster_new(&cl), 0, "cluster_new");
	obs.ctx = &r;
	CHECK_INT(cluster_add_observer(cl, &obs), 0, "add an observer to an empty model");
	CHECK_INT(r.n, 0, "an empty model replays nothing");

	CHECK_INT(apply(cl, snap_of(-1, -1, NULL)), 0, "first snapshot applies");
	CHECK_INT(r.n, 9, "9 ADDs: 2 namespaces, 2 nodes, 4 pods, 1 policy (others ignored)");
	CHECK(rec_find(&r, "pod add default/web") >= 0, "pod default/web added");
	CHECK(rec_find(&r, "policy add prod/deny") >= 0, "policy prod/deny added");
	CHECK(rec_find(&r, "policy add prod/calico") < 0, "a Calico NetworkPolicy is not ours");
	CHECK(rec_scoped_first(&r), "namespaces and nodes come before pods");
	cluster_counts(cl, &c);
	CHECK(c.nodes == 2 && c.namespaces == 2 && c.pods == 4 && c.policies == 1,
	      "counts 2/2/4/1");

	n = cluster_find_node(cl, "n1");
	CHECK(n && n->n_ips == 2 && n->ips[1].family == AF_INET6, "node n1 has IPv4 + IPv6");
	a = ip("fd00:1::");
	CHECK(n && n->n_pod_cidrs == 2 && n->pod_cidrs[1].len == 64 &&
		      weft_addr_equal(&n->pod_cidrs[1].addr, &a),
	      "node n1 pod CIDRs from spec.podCIDRs, IPv6 second");
	n = cluster_find_node(cl, "n2");
	CHECK(n && n->n_pod_cidrs == 1 && n->pod_cidrs[0].len == 24, "node n2: spec.podCIDR alone");

	p = cluster_find_pod(cl, "default", "web");
	CHECK(p && p->n_ips == 2 && p->ips[0].family == AF_INET && p->ips[1].family == AF_INET6,
	      "pod web: podIPs v4 then v6");
	a = ip("fd00:1::5");
	CHECK(p && !memcmp(p->ips[1].addr, a.addr, 16), "pod web: IPv6 bytes parsed");
	CHECK(p && p->n_ports == 2 && !p->ports[0].name && p->ports[0].port == 53 &&
		      p->ports[0].protocol == IPPROTO_UDP && p->ports[1].name &&
		      !strcmp(p->ports[1].name, "http") && p->ports[1].protocol == IPPROTO_TCP,
	      "pod web: ports sorted, protocol defaults to TCP");
	CHECK_STR(p ? p->uid : NULL, "u-web", "pod web: uid");
	CHECK_STR(p ? p->node_name : NULL, "n1", "pod web: nodeName");
	CHECK_STR(p ? cl_labels_get(&p->labels, "tier") : NULL, "front", "pod web: labels");

	a = ip("fd00:1::5");
	CHECK(cluster_find_pod_by_ip(cl, &a) == p, "find_pod_by_ip: IPv6");
	a = ip("10.244.1.5");
	CHECK(cluster_find_pod_by_ip(cl, &a) == p, "find_pod_by_ip: IPv4");
	a = ip("192.168.0.2");
	CHECK(!cluster_find_pod_by_ip(cl, &a), "host-network pods are not indexed by IP");
	a = ip("10.244.2.9");
	CHECK(!cluster_find_pod_by_ip(cl, &a), "terminated pods are not indexed by IP");
	a = ip("10.9.9.9");
	CHECK(!cluster_find_pod_by_ip(cl, &a), "an unknown IP finds nothing");

	rec_reset(&r);
	CHECK_INT(apply(cl, snap_of(-1, -1, NULL)), 0, "the same snapshot again");
	CHECK_INT(r.n, 0, "an unchanged snapshot emits nothing");
	CHECK(cluster_find_pod(cl, "default", "web") == p, "unchanged objects keep their address");

	/* One label of one pod. */
	rec_reset(&r);
	CHECK_INT(
		apply(cl, snap_of(-1, 4,
				  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
				  "\"web\",\"namespace\":\"default\",\"uid\":\"u-web\",\"labels\":"
				  "{\"app\":\"web2\",\"tier\":\"front\"}},\"spec\":{\"nodeName\":"
				  "\"n1\",\"containers\":[{\"ports\":[{\"containerPort\":53,"
				  "\"protocol\":\"UDP\"},{\"name\":\"http\",\"containerPort\":"
				  "8080}]}]},\"status\":{\"podIPs\":[{\"ip\":\"10.244.1.5\"},"
				  "{\"ip\":\"fd00:1::5\"}]}}")),
		0, "snapshot with one pod label changed (ports reordered, same set)");
	CHECK_INT(r.n, 1, "exactly one event");
	CHECK_STR(r.ev[0], "pod update default/web", "it is the pod's UPDATE");
	CHECK_STR(r.last_old_label, "web", "UPDATE carries the old labels");
	CHECK_STR(r.last_cur_label, "web2", "UPDATE carries the new labels");

	/* Back to base minus pod prod/db. */
	rec_reset(&r);
	CHECK_INT(apply(cl, snap_of(5, -1, NULL)), 0, "snapshot without pod prod/db");
	CHECK_INT(r.n, 2, "two events: web's label back, db gone");
	CHECK(rec_find(&r, "pod delete prod/db") >= 0, "pod prod/db DELETE");
	a = ip("10.244.2.7");
	CHECK(!cluster_find_pod_by_ip(cl, &a), "a deleted pod's IP is gone from the index");

	/* A late observer is told about everything that is there. */
	obs.ctx = &r2;
	CHECK_INT(cluster_add_observer(cl, &obs), 0, "add a second observer");
	CHECK_INT(r2.n, 8, "it gets 8 ADDs replayed");
	CHECK(rec_scoped_first(&r2), "replay: namespaces and nodes before pods");

	/* Node n2 and its pods go; node n3 with a pod comes. */
	{
		static const char *const items[] = {
			"{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"prod\"}}",
			"{\"kind\":\"Node\",\"metadata\":{\"name\":\"n3\"}}",
			("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"new\",\"namespace\":\"prod\"},"
			 "\"spec\":{\"nodeName\":\"n3\"},\"status\":{\"podIP\":\"10.244.2.7\"}}"),
		};
		struct cluster_k8s_err err;
		struct cluster_snapshot *snap;
		json_t *list = json_pack("{s:s, s:[]}", "kind", "List", "items");

		for (size_t i = 0; i < 3; i++)
			json_array_append_new(json_object_get(list, "items"),
					      json_loads(items[i], 0, NULL));
		cluster_snapshot_new(&snap);
		CHECK_INT(cluster_k8s_parse_list(list, snap, &err), 0,
			  "parse: items without "
			  "apiVersion are fine");
		json_decref(list);
		rec_reset(&r);
		CHECK_INT(apply(cl, snap), 0, "snapshot: nodes n1, n2 replaced by n3");
		pos[0] = rec_find(&r, "node add n3");
		pos[1] = rec_find(&r, "pod add prod/new");
		pos[2] = rec_find(&r, "pod delete prod/agent");
		pos[3] = rec_find(&r, "node delete n2");
		CHECK(pos[0] >= 0 && pos[1] > pos[0], "node ADD before the ADD of a pod on it");
		CHECK(pos[2] >= 0 && pos[3] > pos[2], "pod DELETE before the DELETE of its node");
		CHECK(rec_find(&r, "pod delete default/web") <
			      rec_find(&r, "namespace delete default"),
		      "pod DELETE before its namespace's DELETE");
		CHECK(rec_find(&r, "policy delete prod/deny") >= 0, "policy DELETE");
		CHECK_INT(r.n, 9,
			  "9 events: node n3 + pod added; 3 pods, 1 policy, 2 nodes, 1 ns deleted");
		a = ip("10.244.2.7");
		p = cluster_find_pod_by_ip(cl, &a);
		CHECK_STR(p ? p->name : NULL, "new", "a reused IP finds the new pod");
	}
	cluster_free(cl);
}

static void test_upsert_delete(void)
{
	struct cluster_observer obs = {on_node, on_ns, on_pod, on_policy, NULL, NULL};
	const struct cl_pod *found;
	struct weft_addr a4 = ip("10.0.0.1"), a6 = ip("fd00::1"), b4 = ip("10.0.0.2");
	struct cl_node *n;
	struct cl_pod *p;
	struct cluster *cl;
	struct rec r = {};
	json_t *spec, *changed;

	CHECK_INT(cluster_new(&cl), 0, "cluster_new");
	obs.ctx = &r;
	cluster_add_observer(cl, &obs);

	n = cl_node_new("n1");
	n->ips[n->n_ips++] = ip("192.168.0.1");
	CHECK_INT(cluster_upsert_node(cl, n), 0, "upsert node");
	CHECK_STR(r.ev[0], "node add n1", "node ADD");
	n = cl_node_new("n1");
	n->ips[n->n_ips++] = ip("192.168.0.1");
	CHECK_INT(cluster_upsert_node(cl, n), 0, "upsert the same node");
	CHECK_INT(r.n, 1, "no event for an unchanged node");
	n = cl_node_new("n1");
	n->ips[n->n_ips++] = ip("192.168.0.9");
	CHECK_INT(cluster_upsert_node(cl, n), 0, "upsert node with a new IP");
	CHECK_STR(r.ev[1], "node update n1", "node UPDATE");

	p = cl_pod_new("default", "a");
	cl_pod_add_ip(p, &a4);
	CHECK_INT(cl_pod_add_ip(p, &b4), -EEXIST, "a second IPv4 on a pod is refused");
	cl_pod_add_ip(p, &a6);
	cl_labels_add(&p->labels, "app", "a");
	CHECK_INT(cl_labels_add(&p->labels, "app", "b"), -EEXIST, "a label key twice is refused");
	CHECK_INT(cluster_upsert_pod(cl, p), 0, "upsert pod");
	CHECK_STR(r.ev[2], "pod add default/a", "pod ADD");
	found = cluster_find_pod_by_ip(cl, &a6);
	CHECK(found == p, "found by its IPv6 address");

	p = cl_pod_new("default", "a");
	cl_pod_add_ip(p, &b4);
	cl_labels_add(&p->labels, "app", "a");
	CHECK_INT(cluster_upsert_pod(cl, p), 0, "upsert pod with another IP, IPv4 only");
	CHECK_STR(r.ev[3], "pod update default/a", "pod UPDATE");
	CHECK(!cluster_find_pod_by_ip(cl, &a4) && !cluster_find_pod_by_ip(cl, &a6),
	      "the old IPs are gone from the index");
	CHECK(cluster_find_pod_by_ip(cl, &b4) == p, "the new IP is indexed");

	spec = json_pack("{s:{}}", "podSelector");
	CHECK_INT(cluster_upsert_policy(cl, cl_policy_new("default", "p", spec)), 0,
		  "upsert policy");
	CHECK_INT(cluster_upsert_policy(cl, cl_policy_new("default", "p", spec)), 0,
		  "upsert the same policy (an equal spec)");
	/* A copy: the model shares the spec it was given, which must stay as it is. */
	changed = json_deep_copy(spec);
	json_object_set_new(changed, "policyTypes", json_pack("[s]", "Ingress"));
	CHECK_INT(cluster_upsert_policy(cl, cl_policy_new("default", "p", changed)), 0,
		  "upsert the policy with a changed spec");
	json_decref(changed);
	json_decref(spec);
	CHECK(r.n == 6 && !strcmp(r.ev[4], "policy add default/p") &&
		      !strcmp(r.ev[5], "policy update default/p"),
	      "policy ADD then UPDATE, nothing for the equal spec");
	CHECK_INT(cluster_upsert_namespace(cl, cl_namespace_new("default")), 0, "upsert ns");
	CHECK_INT(cluster_upsert_pod(cl, cl_pod_new("", "x")), -EINVAL,
		  "a pod without a namespace is refused");

	CHECK_INT(cluster_delete_pod(cl, "default", "a"), 0, "delete pod");
	CHECK_STR(r.ev[7], "pod delete default/a", "pod DELETE");
	CHECK(!cluster_find_pod_by_ip(cl, &b4), "a deleted pod is not found by IP");
	CHECK_INT(cluster_delete_pod(cl, "default", "a"), -ENOENT, "delete it again: -ENOENT");
	CHECK_INT(cluster_delete_node(cl, "n1"), 0, "delete node");
	CHECK_INT(cluster_delete_policy(cl, "default", "p"), 0, "delete policy");
	CHECK_INT(cluster_delete_namespace(cl, "default"), 0, "delete namespace");
	CHECK_INT(r.n, 11, "one event per delete, none for the missing one");
	CHECK(!cluster_find_node(cl, "n1"), "the node is gone");
	cluster_free(cl);
}

/* One object, expected to fail with a message containing @want. */
static void check_rejects(const char *kind, const char *json, const char *want)
{
	struct cluster_k8s_err err = {};
	json_t *obj = json_loads(json, 0, NULL);
	void *out = NULL;
	int ret = -1;

	if (!strcmp(kind, "Pod"))
		ret = cluster_k8s_parse_pod(obj, (struct cl_pod **)&out, &err);
	else if (!strcmp(kind, "Node"))
		ret = cluster_k8s_parse_node(obj, (struct cl_node **)&out, &err);
	else if (!strcmp(kind, "Namespace"))
		ret = cluster_k8s_parse_namespace(obj, (struct cl_namespace **)&out, &err);
	else if (!strcmp(kind, "NetworkPolicy"))
		ret = cluster_k8s_parse_policy(obj, (struct cl_policy **)&out, &err);
	CHECK(ret == -EINVAL && strstr(err.msg, want), "%s rejected: %s", kind, want);
	if (ret != -EINVAL || !strstr(err.msg, want))
		printf("#   ret %d, msg '%s'\n", ret, err.msg);
	json_decref(obj);
}

static void test_validation(void)
{
	struct weft_prefix pfx;
	struct cluster_k8s_err err = {};
	struct cluster_snapshot *snap;
	json_t *list;

	check_rejects("Pod", "{\"metadata\":{\"name\":\"\"}}",
		      "metadata.name: must be a non-empty");
	check_rejects("Pod", "{\"metadata\":{\"name\":\"a\",\"namespace\":7}}",
		      "metadata.namespace");
	check_rejects("Pod", "{\"metadata\":{\"name\":\"a\"},\"status\":{\"podIP\":\"10.1.1.x\"}}",
		      "status.podIP: \"10.1.1.x\" is not an IP address");
	check_rejects(
		"Pod",
		"{\"metadata\":{\"name\":\"a\"},\"status\":{\"podIPs\":[{\"ip\":\"10.0.0.1\"},"
		"{\"ip\":\"10.0.0.2\"}]}}",
		"status.podIPs[1].ip: a second IPv4");
	check_rejects("Pod", "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":1}}}",
		      "metadata.labels[\"x\"]: must be a string");
	check_rejects("Pod",
		      "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"ports\":"
		      "[{\"containerPort\":80},{\"containerPort\":70000}]}]}}",
		      "spec.containers[0].ports[1].containerPort: must be an integer in 1..65535");
	check_rejects("Pod",
		      "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"ports\":"
		      "[{\"containerPort\":0}]}]}}",
		      "containerPort");
	check_rejects("Pod",
		      "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"ports\":"
		      "[{\"containerPort\":80,\"protocol\":\"ICMP\"}]}]}}",
		      "\"ICMP\" is not TCP, UDP or SCTP");
	check_rejects("Node",
		      "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDR\":\"10.0.0.1/24\"}}",
		      "spec.podCIDR: \"10.0.0.1/24\" is not a CIDR");
	check_rejects("Node",
		      "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDRs\":[\"10.0.0.0/33\"]}}",
		      "spec.podCIDRs[0]");
	check_rejects("Node",
		      "{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":[{\"type\":"
		      "\"InternalIP\",\"address\":\"300.1.1.1\"}]}}",
		      "status.addresses[0].address: \"300.1.1.1\" is not an IP address");
	check_rejects("Namespace", "{\"metadata\":{}}", "metadata.name");
	check_rejects("NetworkPolicy", "{\"metadata\":{\"name\":\"p\"}}",
		      "spec: must be an object");

	CHECK(!weft_prefix_parse("fd00::/128", &pfx) && pfx.len == 128, "IPv6 /128 parses");
	CHECK(weft_prefix_parse("fd00::/129", &pfx) == -EINVAL, "IPv6 /129 is out of range");
	CHECK(weft_prefix_parse("10.0.0.0/", &pfx) == -EINVAL, "a missing length is refused");

	/* A list names the item, its kind and name; a duplicate is an error. */
	list = json_loads(
		"{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\",\"metadata\":{\"name\":"
		"\"a\",\"namespace\":\"x\"}},{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
		"\"namespace\":\"x\"}}]}",
		0, NULL);
	cluster_snapshot_new(&snap);
	CHECK(cluster_k8s_parse_list(list, snap, &err) == -EINVAL &&
		      !strcmp(err.msg, "items[1] Pod x/a: a duplicate of an earlier item"),
	      "a duplicate pod names items[1]");
	printf("#   %s\n", err.msg);
	cluster_snapshot_free(snap);
	json_decref(list);

	/* The API server's typed lists carry no kind on their items. */
	list = json_loads("{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"items\":[{\"metadata\":"
			  "{\"name\":\"n1\"}}]}",
			  0, NULL);
	cluster_snapshot_new(&snap);
	CHECK_INT(cluster_k8s_parse_list(list, snap, &err), 0, "a NodeList parses");
	cluster_snapshot_free(snap);
	json_decref(list);
}

/* ---- scale ------------------------------------------------------------------- */

#define BIG_NODES 5000
#define BIG_PODS  100000
#define BIG_NS	  100

static struct cluster_snapshot *big_snapshot(int n_pods, int changed_pod)
{
	struct cluster_snapshot *snap;
	char name[64], val[64];

	if (cluster_snapshot_new(&snap))
		return NULL;
	for (int i = 0; i < BIG_NS; i++) {
		struct cl_namespace *ns;

		snprintf(name, sizeof(name), "ns-%d", i);
		ns = cl_namespace_new(name);
		cl_labels_add(&ns->labels, "kubernetes.io/metadata.name", name);
		cluster_snapshot_add_namespace(snap, ns);
	}
	for (int i = 0; i < BIG_NODES; i++) {
		struct cl_node *n;

		snprintf(name, sizeof(name), "node-%d", i);
		n = cl_node_new(name);
		n->ips[0] = (struct weft_addr){.family = AF_INET,
					       .addr = {172, 16, (uint8_t)(i >> 8), (uint8_t)i}};
		n->n_ips = 1;
		n->pod_cidrs[0].addr = (struct weft_addr){
			.family = AF_INET, .addr = {10, (uint8_t)(i >> 8), (uint8_t)i, 0}};
		n->pod_cidrs[0].len = 24;
		n->n_pod_cidrs = 1;
		cluster_snapshot_add_node(snap, n);
	}
	for (int i = 0; i < n_pods; i++) {
		struct weft_addr a = {
			.family = AF_INET,
			.addr = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i}};
		struct cl_pod *p;

		snprintf(name, sizeof(name), "pod-%d", i);
		snprintf(val, sizeof(val), "ns-%d", i % BIG_NS);
		p = cl_pod_new(val, name);
		snprintf(val, sizeof(val), "node-%d", i % BIG_NODES);
		p->node_name = strdup(val);
		snprintf(val, sizeof(val), "app-%d%s", i % 1000, i == changed_pod ? "-v2" : "");
		cl_labels_add(&p->labels, "app", val);
		cl_labels_add(&p->labels, "pod-template-hash", "5d8f7b9c4");
		cl_labels_add(&p->labels, "tier", "backend");
		cl_pod_add_ip(p, &a);
		cl_pod_add_port(p, "http", 8080, IPPROTO_TCP);
		cluster_snapshot_add_pod(snap, p);
	}
	return snap;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int count_pods_findable(const struct cluster *cl, int n_pods, int *by_ip)
{
	char name[64], ns[32];
	int found = 0;

	*by_ip = 0;
	for (int i = 0; i < n_pods; i++) {
		struct weft_addr a = {
			.family = AF_INET,
			.addr = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i}};
		const struct cl_pod *p;

		snprintf(name, sizeof(name), "pod-%d", i);
		snprintf(ns, sizeof(ns), "ns-%d", i % BIG_NS);
		p = cluster_find_pod(cl, ns, name);
		found += !!p;
		*by_ip += p && cluster_find_pod_by_ip(cl, &a) == p;
	}
	return found;
}

static void test_scale(void)
{
	struct cluster_observer obs = {on_node, on_ns, on_pod, on_policy, NULL, NULL};
	struct cluster_snapshot *first, *again, *one, *half;
	struct timespec t0;
	struct cluster *cl;
	struct rec r = {};
	double ms_first, ms_same, ms_one, ms_half;
	int found, by_ip;

	cluster_new(&cl);
	obs.ctx = &r;
	cluster_add_observer(cl, &obs);
	first = big_snapshot(BIG_PODS, -1);
	again = big_snapshot(BIG_PODS, -1);
	one = big_snapshot(BIG_PODS, 4242);
	half = big_snapshot(BIG_PODS / 2, 4242);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(apply(cl, first), 0, "apply a 100k-pod snapshot");
	ms_first = ms_since(&t0);
	CHECK_INT(r.total, BIG_NS + BIG_NODES + BIG_PODS, "one ADD per object");

	rec_reset(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(apply(cl, again), 0, "apply the same 100k-pod snapshot again");
	ms_same = ms_since(&t0);
	CHECK_INT(r.total, 0, "no events for the unchanged 100k pods");
	CHECK(ms_same < 1000.0, "unchanged 100k-pod snapshot applies in under a second");

	rec_reset(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(apply(cl, one), 0, "apply it with one pod's label changed");
	ms_one = ms_since(&t0);
	CHECK(r.total == 1 && !strcmp(r.ev[0], "pod update ns-42/pod-4242"),
	      "one UPDATE among 100k pods");

	rec_reset(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(apply(cl, half), 0, "apply it with half the pods gone");
	ms_half = ms_since(&t0);
	CHECK_INT(r.total, BIG_PODS / 2, "50k DELETEs");
	found = count_pods_findable(cl, BIG_PODS, &by_ip);
	CHECK_INT(found, BIG_PODS / 2, "the remaining 50k pods are found by name");
	CHECK_INT(by_ip, BIG_PODS / 2, "and by IP (the tables survive mass deletion)");

	printf("# 100k pods, 5k nodes: first apply %.1f ms, unchanged re-apply %.1f ms, "
	       "one label changed %.1f ms, 50k deleted %.1f ms\n",
	       ms_first, ms_same, ms_one, ms_half);
	cluster_free(cl);
}

int main(void)
{
	log_set_level(LOG_LEVEL_WARN);
	test_snapshots();
	test_upsert_delete();
	test_validation();
	test_scale();
	return test_done();
}
