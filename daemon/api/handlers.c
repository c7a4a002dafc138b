// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "clock.h"
#include "array.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/endpoint/gc.h"
#include "daemon/api/dumps.h"
#include "daemon/api/handlers.h"
#include "daemon/cluster/cluster.h"
#include "daemon/cluster/source.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/overlay/overlay.h"
#include "log.h"
#include "daemon/datapath/loader.h"
#include "reasons.h"
#include "steps.h"
#include "daemon/datapath/upgrade.h"
#include "daemon/api/validate.h"
#include "daemon/policy/engine.h"
#include "daemon/flows/flows.h"
#include "daemon/explain/explain.h"

#define K8S_FIELD_MAX 253 /* DNS subdomain, the longest k8s name */

typedef json_t *(*handler_fn)(struct weftd *d, json_t *req);

static json_t *bad_arg(const char *field, const char *rule)
{
	char details[512];

	snprintf(details, sizeof(details), "%s: %s", field, rule);
	return api_error_reply(EINVAL, "invalid argument", details);
}

static json_t *api_err_reply(const struct weft_api_error *e)
{
	return api_error_reply(e->err ? e->err : EIO, e->msg, e->details);
}

/* A required string argument that satisfies @valid; NULL and *err set else. */
static const char *arg_str(json_t *req, const char *field, bool (*valid)(const char *),
			   const char *rule, json_t **err)
{
	json_t *v = json_object_get(req, field);
	const char *s;

	if (!v) {
		*err = bad_arg(field, "missing");
		return NULL;
	}
	s = json_string_value(v);
	if (!s) {
		*err = bad_arg(field, "must be a string");
		return NULL;
	}
	if (valid && !valid(s)) {
		*err = bad_arg(field, rule);
		return NULL;
	}
	return s;
}

static int arg_pair(json_t *req, const char **cid, const char **ifname, json_t **err)
{
	*cid = arg_str(req, "containerID", valid_container_id, CONTAINER_ID_RULE, err);
	if (!*cid)
		return -EINVAL;
	*ifname = arg_str(req, "ifname", valid_ifname, IFNAME_RULE, err);
	if (!*ifname)
		return -EINVAL;
	return 0;
}

/* What runs and what is on disk: they differ after a failed upgrade. */
static json_t *datapath_json(struct weftd *d)
{
	json_t *layouts = json_object();

	for (int i = 0; layouts && i < WEFT_MAP_NR; i++)
		json_object_set_new(layouts, maps_defs[i].name, json_integer(d->maps.layout.v[i]));
	return json_pack("{s:s, s:s, s:s, s:o, s:s?}", "objectHash", d->running_hash,
			 "loadedObject", d->loader ? loader_object_path(d->loader) : "",
			 "loadedHash", d->loader ? loader_hash(d->loader) : "", "layouts", layouts,
			 "error", d->datapath_error[0] ? d->datapath_error : NULL);
}

/* What weftd waits for before it takes ADDs (the cluster source's first
 * list of every kind: a pod set up before its policies are known would run
 * open), or NULL when ready. */
static const char *waiting_for(struct weftd *d, char *buf, size_t len)
{
	return d->source ? cluster_source_waiting_for(d->source, buf, len) : NULL;
}

/* The ADD path's first call refuses with EAGAIN, which the plugin turns into
 * CNI code 11, "try again later". NULL when ready. */
static json_t *not_ready_reply(struct weftd *d)
{
	char why[768];

	if (!waiting_for(d, why, sizeof(why)))
		return NULL;
	return api_error_reply(EAGAIN, "weftd is not ready", why);
}

/* The cluster source and what the model holds. */
static json_t *cluster_json(struct weftd *d)
{
	struct cluster_counts c;
	json_t *src;

	cluster_counts(d->cluster, &c);
	src = cluster_source_status(d->source);
	if (src)
		json_object_set_new(src, "objects",
				    json_pack("{s:I, s:I, s:I, s:I}", "nodes", (json_int_t)c.nodes,
					      "namespaces", (json_int_t)c.namespaces, "pods",
					      (json_int_t)c.pods, "networkpolicies",
					      (json_int_t)c.policies));
	return src;
}

static json_t *do_status(struct weftd *d, json_t *req)
{
	return handlers_status(d, json_is_true(json_object_get(req, "brief")));
}

json_t *handlers_status(struct weftd *d, bool brief)
{
	char why[768];
	const char *wait = waiting_for(d, why, sizeof(why));
	struct timespec now;
	json_t *reply;

	clock_gettime(CLOCK_MONOTONIC, &now);
	reply = json_pack("{s:b, s:s, s:s, s:i, s:s, s:s, s:s, s:I, s:I}", "ok", 1, "node",
			  d->cfg.node_name, "podCIDR", d->cfg.pod_cidr, "mtu", d->mtu, "version",
			  WEFT_VERSION, "bpffs", d->cfg.bpffs, "stateDir", d->cfg.state_dir,
			  "endpoints", (json_int_t)d->nr_endpoints, "uptimeSeconds",
			  (json_int_t)(now.tv_sec - d->started));
	if (reply) {
		json_object_set_new(reply, "ready", json_boolean(!wait));
		if (wait)
			json_object_set_new(reply, "waitingFor", json_string(wait));
		json_object_set_new(reply, "datapath", datapath_json(d));
		json_object_set_new(reply, "repairs",
				    json_pack("{s:I, s:I}", "podFilters",
					      (json_int_t)d->stats.repairs.pod_filters, "failed",
					      (json_int_t)d->stats.repairs.failed));
	}
	if (reply && d->source)
		json_object_set_new(reply, "cluster", cluster_json(d));
	/* "overlay" only with a cluster source; a missing key means single node. */
	if (reply && d->overlay)
		json_object_set_new(reply, "overlay", overlay_status(d->overlay));
	/* "brief" (CNI STATUS, a readiness probe): no map walk, which costs a
	 * syscall per entry (160,000 of them in a 150,000-pod cluster's ipcache)
	 * and would hold up the loop on every probe. */
	if (brief)
		return reply;
	if (reply && d->policy)
		json_object_set_new(reply, "policy", policy_status(d->policy));
	if (reply && d->flows)
		json_object_set_new(reply, "flows", flows_status(d));
	if (reply)
		json_object_set_new(reply, "maps", maps_usage_json(&d->maps));
	return reply;
}

/* {"endpoint": N} or {"pod": "namespace/name"}: what its policy map holds. */
static json_t *do_policy(struct weftd *d, json_t *req)
{
	json_t *v = json_object_get(req, "endpoint"), *reply;
	struct weft_api_error e = {0};
	const char *pod = json_string_value(json_object_get(req, "pod")), *slash;
	char ns[K8S_FIELD_MAX + 1];
	json_int_t id = 0;

	if (!d->policy)
		return api_error_reply(ENOSYS, "no policy engine", "");
	if (v) {
		id = json_integer_value(v);
		if (!json_is_integer(v) || id <= 0 || id >= WEFT_MAX_ENDPOINTS)
			return bad_arg("endpoint", "must be an endpoint id (1-65535)");
	} else if (pod) {
		slash = strchr(pod, '/');
		if (!slash || slash == pod || (size_t)(slash - pod) > K8S_FIELD_MAX || !slash[1])
			return bad_arg("pod", "must be namespace/name");
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - pod), pod);
		id = policy_endpoint_of_pod(d->policy, ns, slash + 1);
		if (!id)
			return api_error_reply(ENOENT, "no endpoint of that pod on this node", pod);
	} else {
		return bad_arg("endpoint", "missing (or give pod)");
	}
	reply = policy_show(d->policy, (uint32_t)id, &e);
	if (!reply)
		return api_err_reply(&e);
	json_object_set_new(reply, "ok", json_true());
	return reply;
}

static json_t *do_upgrade(struct weftd *d, json_t *req)
{
	struct weft_api_error e = {0};
	json_t *v = json_object_get(req, "bpfDir"), *report = NULL;
	const char *dir = NULL;

	if (v) {
		dir = json_string_value(v);
		if (!dir || !*dir || strlen(dir) >= WEFTD_DIR_MAX)
			return bad_arg("bpfDir", "must be a directory path of 1-2047 characters");
	}
	if (upgrade_run(d, dir, &report, &e))
		return api_err_reply(&e);
	json_object_set_new(report, "ok", json_true());
	return report;
}

/* With delegated IPAM, the plugin's one call before the IPAM plugin: weftd
 * must be up and ready before anything is handed out, and the MTU comes
 * with the answer. */
static json_t *do_ready(struct weftd *d, json_t *req)
{
	json_t *err = not_ready_reply(d);

	(void)req;
	if (err)
		return err;
	return json_pack("{s:b, s:i}", "ok", 1, "mtu", d->mtu);
}

static json_t *do_ipam_allocate(struct weftd *d, json_t *req)
{
	const char *cid, *ifname;
	char ip[WEFT_ADDR_STRLEN];
	json_t *err = NULL, *reply;
	struct weft_addr pod_ip;
	struct steps steps;
	uint32_t addr;
	int ret;

	if (arg_pair(req, &cid, &ifname, &err))
		return err;
	err = not_ready_reply(d);
	if (err)
		return err;
	steps_start(&steps);
	ret = ipam_allocate(d->ipam, cid, ifname, &addr);
	steps_mark(&steps, "allocate");
	if (ret == -ENOSPC && ipam_exhausted(d->ipam))
		return api_error_reply(ENOSPC, "pod CIDR exhausted", d->cfg.pod_cidr);
	if (ret == -ENOSPC || ret == -EDQUOT) {
		char where[PATH_MAX + 64];

		snprintf(where, sizeof(where), "%s/ipam: %s", d->cfg.state_dir, strerror(-ret));
		return api_error_reply(-ret, WEFT_API_MSG_STATE_FULL ": cannot record the address",
				       where);
	}
	if (ret)
		return api_error_reply(-ret, "allocate an address", strerror(-ret));
	pod_ip = weft_addr_from_ipv4(addr);
	weft_addr_format(&pod_ip, ip, sizeof(ip));
	reply = json_pack("{s:b, s:[{s:s, s:i, s:i}], s:i}", "ok", 1, "ips", "address", ip,
			  "prefixLength", ipam_prefix(d->ipam), "family", 4, "mtu", d->mtu);
	if (reply)
		json_object_set_new(reply, "timings", steps_json(&steps));
	return reply;
}

static json_t *do_ipam_release(struct weftd *d, json_t *req)
{
	const char *cid, *ifname;
	json_t *err = NULL;
	bool released;
	int ret;

	if (arg_pair(req, &cid, &ifname, &err))
		return err;
	ret = ipam_release(d->ipam, cid, ifname, &released);
	if (ret)
		return api_error_reply(-ret, "release an address", strerror(-ret));
	return json_pack("{s:b, s:b}", "ok", 1, "released", released);
}

static bool valid_netns(const char *s)
{
	return *s && strlen(s) < 4096;
}

static bool valid_mac(const char *s)
{
	uint8_t mac[6];

	return !mac_parse(s, mac);
}

/* k8s: optional {"namespace", "name", "uid"}, strings if present. */
static json_t *parse_k8s(json_t *req, json_t **out)
{
	static const char *const fields[] = {"namespace", "name", "uid"};
	json_t *k8s = json_object_get(req, "k8s"), *v;
	char field[32];

	*out = NULL;
	if (!k8s || json_is_null(k8s))
		return NULL;
	if (!json_is_object(k8s))
		return bad_arg("k8s", "must be an object");
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		v = json_object_get(k8s, fields[i]);
		snprintf(field, sizeof(field), "k8s.%s", fields[i]);
		if (v && (!json_is_string(v) || json_string_length(v) > K8S_FIELD_MAX))
			return bad_arg(field, "must be a string of at most 253 chars");
	}
	*out = json_pack("{s:s, s:s, s:s}", "namespace",
			 json_string_value(json_object_get(k8s, "namespace")) ?: "", "name",
			 json_string_value(json_object_get(k8s, "name")) ?: "", "uid",
			 json_string_value(json_object_get(k8s, "uid")) ?: "");
	return NULL;
}

static json_t *do_endpoint_add(struct weftd *d, json_t *req)
{
	struct weft_api_error e = {0};
	struct endpoint ep = {0}, *out;
	struct steps steps;
	const char *cid, *ifname, *netns, *host, *mac;
	json_t *err = NULL, *ips, *ip, *reply;
	char field[32];
	size_t i;

	if (arg_pair(req, &cid, &ifname, &err))
		return err;
	netns = arg_str(req, "netns", valid_netns, "must be a path", &err);
	if (!netns)
		return err;
	host = arg_str(req, "hostIfname", valid_ifname, IFNAME_RULE, &err);
	if (!host)
		return err;
	mac = arg_str(req, "podMAC", valid_mac, "must be a MAC address aa:bb:cc:dd:ee:ff", &err);
	if (!mac)
		return err;
	ips = json_object_get(req, "ips");
	if (!ips)
		return bad_arg("ips", "missing");
	if (!json_is_array(ips) || !json_array_size(ips) || json_array_size(ips) > EP_MAX_IPS)
		return bad_arg("ips", "must be an array of 1-8 addresses");
	json_array_foreach (ips, i, ip) {
		snprintf(field, sizeof(field), "ips[%zu]", i);
		if (!json_is_string(ip) || ep_ip_parse(json_string_value(ip), &ep.ips[i]))
			return bad_arg(field, "must be an IPv4 or IPv6 address");
	}
	ep.nr_ips = (int)json_array_size(ips);
	/* Optional (older plugins): the CNI network, which scopes GC. */
	if (json_object_get(req, "network")) {
		const char *net = arg_str(req, "network", valid_network_name, NETWORK_RULE, &err);

		if (!net)
			return err;
		snprintf(ep.network, sizeof(ep.network), "%s", net);
	}
	err = not_ready_reply(d);
	if (err)
		return err;
	err = parse_k8s(req, &ep.k8s);
	if (err)
		return err;
	snprintf(ep.cid, sizeof(ep.cid), "%s", cid);
	snprintf(ep.ifname, sizeof(ep.ifname), "%s", ifname);
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "%s", host);
	mac_parse(mac, ep.pod_mac);
	ep.netns = (char *)netns;

	steps_start(&steps);
	if (endpoint_add(d, &ep, &out, &steps, &e))
		reply = api_err_reply(&e);
	else
		reply = json_pack("{s:b, s:o, s:o}", "ok", 1, "endpoint", endpoint_to_json(d, out),
				  "timings", steps_json(&steps));
	json_decref(ep.k8s);
	return reply;
}

static json_t *do_endpoint_del(struct weftd *d, json_t *req)
{
	struct weft_api_error e = {0};
	const char *cid, *ifname;
	struct steps steps;
	json_t *err = NULL;
	bool deleted;

	if (arg_pair(req, &cid, &ifname, &err))
		return err;
	steps_start(&steps);
	if (endpoint_del(d, cid, ifname, &deleted, &steps, &e))
		return api_err_reply(&e);
	return json_pack("{s:b, s:b, s:o}", "ok", 1, "deleted", deleted, "timings",
			 steps_json(&steps));
}

static json_t *do_endpoint_get(struct weftd *d, json_t *req)
{
	const char *cid, *ifname;
	struct endpoint *ep;
	json_t *err = NULL;
	char details[300];

	if (arg_pair(req, &cid, &ifname, &err))
		return err;
	ep = endpoint_find(d, cid, ifname);
	if (!ep) {
		snprintf(details, sizeof(details), "%s/%s", cid, ifname);
		return api_error_reply(ENOENT, "no such endpoint", details);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "endpoint", endpoint_to_json(d, ep));
}

static int by_id(const void *a, const void *b)
{
	const struct endpoint *x = *(const struct endpoint *const *)a;
	const struct endpoint *y = *(const struct endpoint *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Sorted by id, so weftctl and scripts see a stable order. */
static json_t *do_endpoint_list(struct weftd *d, json_t *req)
{
	struct endpoint **eps, *ep;
	json_t *arr = json_array();
	unsigned int n = 0;

	(void)req;
	eps = calloc(d->nr_endpoints + 1, sizeof(*eps));
	if (!eps || !arr) {
		free(eps);
		json_decref(arr);
		return api_error_reply(ENOMEM, "out of memory", "");
	}
	for (ep = d->endpoints; ep && n < d->nr_endpoints; ep = ep->next)
		eps[n++] = ep;
	qsort(eps, n, sizeof(*eps), by_id);
	for (unsigned int i = 0; i < n; i++)
		json_array_append_new(arr, endpoint_to_json(d, eps[i]));
	free(eps);
	return json_pack("{s:b, s:o}", "ok", 1, "endpoints", arr);
}

static void metrics_row(int dir, int reason, uint64_t packets, uint64_t bytes, void *ctx)
{
	char dbuf[32], rbuf[32];
	const char *dname = weft_direction_label(dir, dbuf, sizeof(dbuf));
	const char *rname = weft_reason_label(reason, rbuf, sizeof(rbuf));
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:i, s:I, s:I}", "direction", dname,
					     "reason", rname, "code", reason, "packets",
					     (json_int_t)packets, "bytes", (json_int_t)bytes));
}

static json_t *do_metrics(struct weftd *d, json_t *req)
{
	json_t *rows = json_array();
	int ret;

	(void)req;
	ret = maps_metrics_foreach(&d->maps, metrics_row, rows);
	/* No endpoint ever loaded: no map yet, so nothing counted. */
	if (ret && ret != -ENOENT) {
		json_decref(rows);
		return api_error_reply(-ret, "read weft_metrics", strerror(-ret));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "metrics", rows);
}

/* The reply's lists, filled as gc_run() goes. */
static void gc_removed(void *ctx, const char *cid, const char *ifname)
{
	json_t *reply = ctx;

	json_array_append_new(json_object_get(reply, "removed"),
			      json_pack("{s:s, s:s}", "containerID", cid, "ifname", ifname));
}

static void gc_kept(void *ctx, const char *host_ifname)
{
	json_array_append_new(json_object_get(ctx, "keep"), json_string(host_ifname));
}

/* *out (for free()) from "valid": [{containerID, ifname}], each element
 * checked; the strings stay @req's. NULL, or the error reply. */
static json_t *gc_parse_valid(json_t *req, struct gc_pair **out, size_t *nr)
{
	json_t *valid = json_object_get(req, "valid"), *v, *err = NULL;
	char field[48], details[600];
	size_t i;

	if (!valid)
		return bad_arg("valid", "missing");
	if (!json_is_array(valid))
		return bad_arg("valid", "must be an array of {containerID, ifname}");
	*nr = json_array_size(valid);
	*out = calloc(*nr + 1, sizeof(**out));
	if (!*out)
		return api_error_reply(ENOMEM, "out of memory", "");
	json_array_foreach (valid, i, v) {
		snprintf(field, sizeof(field), "valid[%zu]", i);
		if (!json_is_object(v)) {
			err = bad_arg(field, "must be an object {containerID, ifname}");
			break;
		}
		if (arg_pair(v, &(*out)[i].cid, &(*out)[i].ifname, &err)) {
			/* Name the element, not just the field. */
			snprintf(details, sizeof(details), "%s.%s", field,
				 json_string_value(json_object_get(json_object_get(err, "error"),
								   "details")));
			json_decref(err);
			err = api_error_reply(EINVAL, "invalid argument", details);
			break;
		}
	}
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static json_t *do_gc(struct weftd *d, json_t *req)
{
	struct weft_api_error e = {0};
	struct gc_request gc = {.removed = gc_removed, .kept = gc_kept};
	struct gc_pair *valid = NULL;
	json_t *reply;

	reply = gc_parse_valid(req, &valid, &gc.nr_valid);
	if (reply)
		return reply;
	if (json_object_get(req, "network")) {
		gc.network = arg_str(req, "network", valid_network_name, NETWORK_RULE, &reply);
		if (!gc.network)
			goto free_valid;
	}
	/* Filled by gc_removed() and gc_kept() as the walk goes. */
	reply = json_pack("{s:b, s:[], s:[]}", "ok", 1, "removed", "keep");
	if (!reply)
		goto free_valid;
	gc.valid = valid;
	gc.ctx = reply;
	if (gc_run(d, &gc, &e)) {
		json_decref(reply);
		reply = api_err_reply(&e);
	}
free_valid:
	free(valid);
	return reply;
}

static const struct {
	const char *op;
	handler_fn fn;
} handlers[] = {
	{"status", do_status},
	{"ipam.allocate", do_ipam_allocate},
	{"ipam.release", do_ipam_release},
	{"ready", do_ready},
	{"endpoint.add", do_endpoint_add},
	{"endpoint.del", do_endpoint_del},
	{"endpoint.get", do_endpoint_get},
	{"endpoint.list", do_endpoint_list},
	{"metrics", do_metrics},
	{"gc", do_gc},
	{"upgrade", do_upgrade},
	{"policy", do_policy},
	{"conntrack", dumps_conntrack},
	{"ipcache", dumps_ipcache},
	{"identities", dumps_identities},
	{"flows", flows_query},
	{"explain", explain_op},
};

json_t *handlers_dispatch(struct weftd *d, const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *req, *reply = NULL;
	const char *op;
	char details[300];

	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		snprintf(details, sizeof(details), "line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		return api_error_reply(EINVAL, "malformed JSON", details);
	}
	if (!json_is_object(req)) {
		reply = api_error_reply(EINVAL, "request must be a JSON object", "");
		goto put_req;
	}
	if (!json_object_get(req, "op")) {
		reply = bad_arg("op", "missing");
		goto put_req;
	}
	op = json_string_value(json_object_get(req, "op"));
	if (!op) {
		reply = bad_arg("op", "must be a string");
		goto put_req;
	}
	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
		if (!strcmp(op, handlers[i].op)) {
			unsigned long long t0 = now_ns();

			pr_debug("request %s", op);
			reply = handlers[i].fn(d, req);
			stats_record_request(&d->stats, handlers[i].op,
					     reply && json_is_true(json_object_get(reply, "ok")),
					     now_ns() - t0);
			goto put_req;
		}
	}
	snprintf(details, sizeof(details), "op: unknown operation '%.200s'", op);
	reply = api_error_reply(EINVAL, "unknown operation", details);
put_req:
	json_decref(req);
	if (!reply)
		reply = api_error_reply(ENOMEM, "out of memory", "");
	return reply;
}
