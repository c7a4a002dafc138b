// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/k8s/json_arena.h"
#include "daemon/k8s/kinds.h"
#include "log.h"

/* Typed parsers and model calls behind one shape, so the watcher and the
 * source are written once for all four kinds. */
#define K8S_KIND_OPS(id, type, parse_fn, add_fn, upsert_fn, free_fn)                               \
	static int id##_parse(json_t *obj, void **out, struct cluster_k8s_err *err)                \
	{                                                                                          \
		type *o = NULL;                                                                    \
		int ret = parse_fn(obj, &o, err);                                                  \
		*out = o;                                                                          \
		return ret;                                                                        \
	}                                                                                          \
	static int id##_add(struct cluster_snapshot *snap, void *obj)                              \
	{                                                                                          \
		return add_fn(snap, obj);                                                          \
	}                                                                                          \
	static int id##_upsert(struct cluster *cl, void *obj)                                      \
	{                                                                                          \
		return upsert_fn(cl, obj);                                                         \
	}                                                                                          \
	static void id##_free(void *obj)                                                           \
	{                                                                                          \
		free_fn(obj);                                                                      \
	}

K8S_KIND_OPS(ns, struct cl_namespace, cluster_k8s_parse_namespace, cluster_snapshot_add_namespace,
	     cluster_upsert_namespace, cl_namespace_free)
K8S_KIND_OPS(node, struct cl_node, cluster_k8s_parse_node, cluster_snapshot_add_node,
	     cluster_upsert_node, cl_node_free)
K8S_KIND_OPS(pod, struct cl_pod, cluster_k8s_parse_pod, cluster_snapshot_add_pod,
	     cluster_upsert_pod, cl_pod_free)
K8S_KIND_OPS(policy, struct cl_policy, cluster_k8s_parse_policy, cluster_snapshot_add_policy,
	     cluster_upsert_policy, cl_policy_free)

/* Cluster-scoped deletes take no namespace. */
static int ns_del(struct cluster *cl, const char *ns, const char *name)
{
	(void)ns;
	return cluster_delete_namespace(cl, name);
}

static int node_del(struct cluster *cl, const char *ns, const char *name)
{
	(void)ns;
	return cluster_delete_node(cl, name);
}

const struct k8s_kind k8s_kinds[K8S_KINDS] = {
	[K8S_NAMESPACES] = {"namespaces", "/api/v1/namespaces", CLUSTER_NAMESPACES, ns_parse,
			    ns_add, ns_upsert, ns_del, ns_free, false},
	[K8S_NODES] = {"nodes", "/api/v1/nodes", CLUSTER_NODES, node_parse, node_add, node_upsert,
		       node_del, node_free, false},
	[K8S_PODS] = {"pods", "/api/v1/pods", CLUSTER_PODS, pod_parse, pod_add, pod_upsert,
		      cluster_delete_pod, pod_free, false},
	[K8S_POLICIES] = {"networkpolicies", "/apis/networking.k8s.io/v1/networkpolicies",
			  CLUSTER_POLICIES, policy_parse, policy_add, policy_upsert,
			  cluster_delete_policy, policy_free, true},
};

static const char *meta_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

/* "ns/name" or "name", for warnings. */
static void obj_id(const json_t *obj, char *buf, size_t len)
{
	const char *ns = meta_str(obj, "namespace"), *name = meta_str(obj, "name");

	snprintf(buf, len, "%s%s%s", ns ? ns : "", ns ? "/" : "", name ? name : "(no name)");
}

int k8s_page_parse(const struct k8s_kind *k, const char *body, size_t len,
		   struct cluster_snapshot *snap, char **cont, char **rv, size_t *items, char *err,
		   size_t errlen)
{
	json_t *root, *list, *item;
	json_error_t jerr;
	const char *c, *v;
	bool arena = !k->keeps_json;
	size_t i;
	int ret = 0;

	*cont = *rv = NULL;
	if (arena)
		json_arena_begin();
	root = json_loadb(body, len, 0, &jerr);
	if (!root) {
		if (arena)
			json_arena_end();
		snprintf(err, errlen, "%s list: line %d, column %d: %s", k->name, jerr.line,
			 jerr.column, jerr.text);
		return -EINVAL;
	}
	list = json_object_get(root, "items");
	/* An empty list may come as "items": null. */
	if (!json_is_array(list) && !json_is_null(list)) {
		snprintf(err, errlen, "%s list: no items array", k->name);
		ret = -EINVAL;
		goto put_root;
	}
	json_array_foreach (list, i, item) {
		struct cluster_k8s_err kerr = {};
		char id[300];
		void *obj;

		ret = k->parse(item, &obj, &kerr);
		if (ret == -EINVAL) {
			obj_id(item, id, sizeof(id));
			pr_warn("Kubernetes API: %s %s: %s; left out of the model", k->name, id,
				kerr.msg);
			ret = 0;
			continue;
		}
		if (!ret)
			ret = k->snapshot_add(snap, obj);
		if (ret == -EEXIST) {
			/* The API server never lists a name twice: a page overlap. */
			obj_id(item, id, sizeof(id));
			pr_warn("Kubernetes API: %s %s listed twice; the first one kept", k->name,
				id);
			ret = 0;
			continue;
		}
		if (ret)
			goto put_root;
		(*items)++;
	}
	c = meta_str(root, "continue");
	v = meta_str(root, "resourceVersion");
	if (c && *c && !(*cont = strdup(c)))
		ret = -ENOMEM;
	if (!ret && v && !(*rv = strdup(v)))
		ret = -ENOMEM;
	if (ret) {
		free(*cont);
		*cont = NULL;
	}
put_root:
	/* The arena drops the page's values at once, without walking them. */
	if (arena)
		json_arena_end();
	else
		json_decref(root);
	return ret;
}

static const struct {
	const char *name;
	enum k8s_event_type type;
} event_types[] = {
	{"ADDED", K8S_ADDED},	    {"MODIFIED", K8S_MODIFIED}, {"DELETED", K8S_DELETED},
	{"BOOKMARK", K8S_BOOKMARK}, {"ERROR", K8S_ERROR},
};

int k8s_event_parse(const char *line, size_t len, struct k8s_event *ev, char *err, size_t errlen)
{
	const char *type;
	json_error_t jerr;
	json_t *ann;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	ev->root = json_loadb(line, len, 0, &jerr);
	if (!ev->root) {
		snprintf(err, errlen, "watch event: column %d: %s", jerr.column, jerr.text);
		return -EINVAL;
	}
	type = json_string_value(json_object_get(ev->root, "type"));
	ev->object = json_object_get(ev->root, "object");
	if (!type || !json_is_object(ev->object)) {
		snprintf(err, errlen, "watch event: no type or object");
		goto free_root;
	}
	for (i = 0; i < sizeof(event_types) / sizeof(event_types[0]); i++) {
		if (!strcmp(type, event_types[i].name))
			break;
	}
	if (i == sizeof(event_types) / sizeof(event_types[0])) {
		snprintf(err, errlen, "watch event: unknown type \"%.40s\"", type);
		goto free_root;
	}
	ev->type = event_types[i].type;
	if (ev->type == K8S_ERROR) {
		/* A metav1.Status: 410 when the resourceVersion expired. */
		ev->code = (long)json_integer_value(json_object_get(ev->object, "code"));
		ev->message = json_string_value(json_object_get(ev->object, "message"));
		return 0;
	}
	ev->rv = meta_str(ev->object, "resourceVersion");
	ev->ns = meta_str(ev->object, "namespace");
	ev->name = meta_str(ev->object, "name");
	if (ev->type == K8S_BOOKMARK) {
		ann = json_object_get(json_object_get(ev->object, "metadata"), "annotations");
		ev->initial_events_end = !strcmp(
			json_string_value(json_object_get(ann, "k8s.io/initial-events-end")) ?: "",
			"true");
		return 0;
	}
	if (!ev->name || !*ev->name) {
		snprintf(err, errlen, "watch event %s: the object has no metadata.name", type);
		goto free_root;
	}
	return 0;

free_root:
	json_decref(ev->root);
	ev->root = NULL;
	return -EINVAL;
}

void k8s_event_free(struct k8s_event *ev)
{
	json_decref(ev->root);
	memset(ev, 0, sizeof(*ev));
}
