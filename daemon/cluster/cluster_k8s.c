// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "daemon/cluster/cluster_k8s.h"
#include "daemon/cluster/cluster_k8s_fields.h"
#include "log.h"

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

int cluster_k8s_parse_namespace(json_t *obj, struct cl_namespace **out, struct cluster_k8s_err *err)
{
	struct cl_namespace *ns;
	struct k8s_meta m;
	int ret;

	ret = k8s_parse_meta(obj, false, &m, err);
	if (ret)
		return ret;
	ns = cl_namespace_new(m.name);
	if (!ns)
		return -ENOMEM;
	ret = k8s_copy_labels(m.labels, &ns->labels);
	if (ret) {
		cl_namespace_free(ns);
		return ret;
	}
	*out = ns;
	return 0;
}

static int node_addresses(const json_t *status, struct cl_node *n, struct cluster_k8s_err *err)
{
	char path[64];
	json_t *addrs, *a;
	size_t i;
	int ret;

	ret = k8s_get_array(status, "addresses", "status.addresses", &addrs, err);
	if (ret)
		return ret;
	json_array_foreach (addrs, i, a) {
		const char *type;
		struct weft_addr ip;
		bool seen = false;

		snprintf(path, sizeof(path), "status.addresses[%zu]", i);
		if (!json_is_object(a))
			return k8s_bad(err, "%s: must be an object", path);
		snprintf(path, sizeof(path), "status.addresses[%zu].type", i);
		ret = k8s_get_string(a, "type", path, &type, err);
		if (ret)
			return ret;
		/* Hostname, ExternalIP, ...: not the underlay weft tunnels over. */
		if (!type || strcmp(type, "InternalIP"))
			continue;
		snprintf(path, sizeof(path), "status.addresses[%zu].address", i);
		ret = k8s_parse_addr(k8s_get(a, "address"), path, &ip, err);
		if (ret)
			return ret;
		/* A node may list several per family; the first is the primary one. */
		for (unsigned int j = 0; j < n->n_ips; j++)
			seen |= n->ips[j].family == ip.family;
		if (!seen && n->n_ips < CL_MAX_ADDRS)
			n->ips[n->n_ips++] = ip;
	}
	return 0;
}

static int node_cidrs(const json_t *spec, struct cl_node *n, struct cluster_k8s_err *err)
{
	struct weft_prefix single;
	json_t *cidrs, *c, *one;
	char path[64];
	size_t i;
	int ret;

	ret = k8s_get_array(spec, "podCIDRs", "spec.podCIDRs", &cidrs, err);
	if (ret)
		return ret;
	json_array_foreach (cidrs, i, c) {
		struct weft_prefix p;

		snprintf(path, sizeof(path), "spec.podCIDRs[%zu]", i);
		ret = k8s_parse_cidr(c, path, &p, err);
		if (ret)
			return ret;
		for (unsigned int j = 0; j < n->n_pod_cidrs; j++) {
			if (n->pod_cidrs[j].addr.family == p.addr.family)
				return k8s_bad(err, "%s: a second %s CIDR (one per family)", path,
					       family_name(p.addr.family));
		}
		n->pod_cidrs[n->n_pod_cidrs++] = p;
	}
	one = k8s_get(spec, "podCIDR");
	if (!one)
		return 0;
	ret = k8s_parse_cidr(one, "spec.podCIDR", &single, err);
	if (ret)
		return ret;
	if (!n->n_pod_cidrs)
		n->pod_cidrs[n->n_pod_cidrs++] = single;
	else if (!weft_prefix_equal(&single, &n->pod_cidrs[0]))
		return k8s_bad(err, "spec.podCIDR: differs from spec.podCIDRs[0]");
	return 0;
}

int cluster_k8s_parse_node(json_t *obj, struct cl_node **out, struct cluster_k8s_err *err)
{
	json_t *spec, *status;
	struct cl_node *n;
	struct k8s_meta m;
	int ret;

	ret = k8s_parse_meta(obj, false, &m, err);
	if (!ret)
		ret = k8s_get_object(obj, "spec", "spec", &spec, err);
	if (!ret)
		ret = k8s_get_object(obj, "status", "status", &status, err);
	if (ret)
		return ret;
	n = cl_node_new(m.name);
	if (!n)
		return -ENOMEM;
	ret = node_addresses(status, n, err);
	if (!ret)
		ret = node_cidrs(spec, n, err);
	if (ret) {
		cl_node_free(n);
		return ret;
	}
	*out = n;
	return 0;
}

static int parse_protocol(const json_t *port, const char *path, uint8_t *out,
			  struct cluster_k8s_err *err)
{
	const char *s;
	int ret;

	ret = k8s_get_string(port, "protocol", path, &s, err);
	if (ret)
		return ret;
	if (!s || !strcmp(s, "TCP"))
		*out = IPPROTO_TCP; /* Kubernetes' default */
	else if (!strcmp(s, "UDP"))
		*out = IPPROTO_UDP;
	else if (!strcmp(s, "SCTP"))
		*out = IPPROTO_SCTP;
	else
		return k8s_bad(err, "%s: \"%s\" is not TCP, UDP or SCTP", path, s);
	return 0;
}

static int pod_ports(const json_t *spec, struct cl_pod *p, struct cluster_k8s_err *err)
{
	json_t *containers, *c, *ports, *port;
	char path[96], q[VALUE_QUOTE_MAX + 8];
	size_t i, j;
	int ret;

	ret = k8s_get_array(spec, "containers", "spec.containers", &containers, err);
	if (ret)
		return ret;
	json_array_foreach (containers, i, c) {
		snprintf(path, sizeof(path), "spec.containers[%zu]", i);
		if (!json_is_object(c))
			return k8s_bad(err, "%s: must be an object", path);
		snprintf(path, sizeof(path), "spec.containers[%zu].ports", i);
		ret = k8s_get_array(c, "ports", path, &ports, err);
		if (ret)
			return ret;
		json_array_foreach (ports, j, port) {
			const char *name;
			json_t *num;
			json_int_t n;
			uint8_t proto = IPPROTO_TCP;

			snprintf(path, sizeof(path), "spec.containers[%zu].ports[%zu]", i, j);
			if (!json_is_object(port))
				return k8s_bad(err, "%s: must be an object", path);
			snprintf(path, sizeof(path),
				 "spec.containers[%zu].ports[%zu].containerPort", i, j);
			num = k8s_get(port, "containerPort");
			n = json_integer_value(num);
			if (!json_is_integer(num) || n < 1 || n > 65535)
				return k8s_bad(err, "%s: must be an integer in 1..65535, got %s",
					       path, k8s_quote(num, q, sizeof(q)));
			snprintf(path, sizeof(path), "spec.containers[%zu].ports[%zu].protocol", i,
				 j);
			ret = parse_protocol(port, path, &proto, err);
			if (ret)
				return ret;
			snprintf(path, sizeof(path), "spec.containers[%zu].ports[%zu].name", i, j);
			ret = k8s_get_string(port, "name", path, &name, err);
			if (ret)
				return ret;
			if (name && !*name)
				return k8s_bad(err, "%s: must not be empty", path);
			ret = cl_pod_add_port(p, name, (uint16_t)n, proto);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int pod_ips(const json_t *status, struct cl_pod *p, struct cluster_k8s_err *err)
{
	struct weft_addr ip, single;
	json_t *ips, *e, *one;
	char path[64];
	size_t i;
	int ret;

	ret = k8s_get_array(status, "podIPs", "status.podIPs", &ips, err);
	if (ret)
		return ret;
	json_array_foreach (ips, i, e) {
		snprintf(path, sizeof(path), "status.podIPs[%zu]", i);
		if (!json_is_object(e))
			return k8s_bad(err, "%s: must be an object", path);
		snprintf(path, sizeof(path), "status.podIPs[%zu].ip", i);
		ret = k8s_parse_addr(k8s_get(e, "ip"), path, &ip, err);
		if (ret)
			return ret;
		ret = cl_pod_add_ip(p, &ip);
		if (ret == -EEXIST || ret == -E2BIG)
			return k8s_bad(err, "%s: a second %s address (one per family)", path,
				       family_name(ip.family));
	}
	one = k8s_get(status, "podIP");
	if (!one)
		return 0;
	ret = k8s_parse_addr(one, "status.podIP", &single, err);
	if (ret)
		return ret;
	if (!p->n_ips)
		p->ips[p->n_ips++] = single;
	else if (!weft_addr_equal(&single, &p->ips[0]))
		return k8s_bad(err, "status.podIP: differs from status.podIPs[0].ip");
	return 0;
}

static int pod_spec_status(const json_t *obj, struct cl_pod *p, struct cluster_k8s_err *err)
{
	const char *node, *phase;
	json_t *spec, *status, *hn;
	int ret;

	ret = k8s_get_object(obj, "spec", "spec", &spec, err);
	if (!ret)
		ret = k8s_get_object(obj, "status", "status", &status, err);
	if (!ret)
		ret = k8s_get_string(spec, "nodeName", "spec.nodeName", &node, err);
	if (!ret)
		ret = k8s_get_string(status, "phase", "status.phase", &phase, err);
	if (ret)
		return ret;
	if (node && *node) {
		p->node_name = strdup(node);
		if (!p->node_name)
			return -ENOMEM;
	}
	hn = k8s_get(spec, "hostNetwork");
	if (hn && !json_is_boolean(hn))
		return k8s_bad(err, "spec.hostNetwork: must be true or false");
	p->host_network = json_is_true(hn);
	p->terminated = phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
	ret = pod_ports(spec, p, err);
	if (!ret)
		ret = pod_ips(status, p, err);
	return ret;
}

int cluster_k8s_parse_pod(json_t *obj, struct cl_pod **out, struct cluster_k8s_err *err)
{
	struct cl_pod *p;
	struct k8s_meta m;
	int ret;

	ret = k8s_parse_meta(obj, true, &m, err);
	if (ret)
		return ret;
	p = cl_pod_new(m.ns, m.name);
	if (!p)
		return -ENOMEM;
	if (m.uid) {
		p->uid = strdup(m.uid);
		if (!p->uid) {
			ret = -ENOMEM;
			goto free_pod;
		}
	}
	ret = k8s_copy_labels(m.labels, &p->labels);
	if (!ret)
		ret = pod_spec_status(obj, p, err);
	if (ret)
		goto free_pod;
	*out = p;
	return 0;

free_pod:
	cl_pod_free(p);
	return ret;
}

int cluster_k8s_parse_policy(json_t *obj, struct cl_policy **out, struct cluster_k8s_err *err)
{
	struct cl_policy *pol;
	struct k8s_meta m;
	json_t *spec;
	int ret;

	ret = k8s_parse_meta(obj, true, &m, err);
	if (ret)
		return ret;
	/* The policy compiler validates the spec's contents; an absent spec is no
	 * policy at all, which is worth refusing here. */
	spec = k8s_get(obj, "spec");
	if (!json_is_object(spec))
		return k8s_bad(err, "spec: must be an object");
	pol = cl_policy_new(m.ns, m.name, spec);
	if (!pol)
		return -ENOMEM;
	*out = pol;
	return 0;
}

enum item_kind { ITEM_IGNORED, ITEM_NODE, ITEM_NAMESPACE, ITEM_POD, ITEM_POLICY };

static const struct {
	const char *kind;
	const char *api_version;
	enum item_kind item;
} known_kinds[] = {
	{"Node", "v1", ITEM_NODE},
	{"Namespace", "v1", ITEM_NAMESPACE},
	{"Pod", "v1", ITEM_POD},
	/* Not Calico's or Cilium's NetworkPolicy kinds, which share the name. */
	{"NetworkPolicy", "networking.k8s.io/v1", ITEM_POLICY},
};

static enum item_kind classify(const char *kind, const char *api_version)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_kinds); i++) {
		if (strcmp(kind, known_kinds[i].kind))
			continue;
		if (api_version && strcmp(api_version, known_kinds[i].api_version))
			return ITEM_IGNORED;
		return known_kinds[i].item;
	}
	return ITEM_IGNORED;
}

static int parse_item(json_t *item, enum item_kind ik, struct cluster_snapshot *snap,
		      struct cluster_k8s_err *err)
{
	struct cl_namespace *ns;
	struct cl_policy *pol;
	struct cl_node *n;
	struct cl_pod *p;
	int ret = 0;

	switch (ik) {
	case ITEM_NODE:
		ret = cluster_k8s_parse_node(item, &n, err);
		if (!ret)
			ret = cluster_snapshot_add_node(snap, n);
		break;
	case ITEM_NAMESPACE:
		ret = cluster_k8s_parse_namespace(item, &ns, err);
		if (!ret)
			ret = cluster_snapshot_add_namespace(snap, ns);
		break;
	case ITEM_POD:
		ret = cluster_k8s_parse_pod(item, &p, err);
		if (!ret)
			ret = cluster_snapshot_add_pod(snap, p);
		break;
	case ITEM_POLICY:
		ret = cluster_k8s_parse_policy(item, &pol, err);
		if (!ret)
			ret = cluster_snapshot_add_policy(snap, pol);
		break;
	case ITEM_IGNORED: break;
	}
	/* Parsers fill @err for -EINVAL; the snapshot says -EEXIST only. */
	if (ret == -EEXIST)
		ret = k8s_bad(err, "a duplicate of an earlier item");
	return ret;
}

int cluster_k8s_parse_list(json_t *list, struct cluster_snapshot *snap, struct cluster_k8s_err *err)
{
	const char *list_kind = NULL;
	char item_default[64] = "";
	json_t *items, *item;
	size_t i;
	int ret;

	if (!json_is_object(list))
		return k8s_bad(err, "the document must be a JSON object (a List)");
	ret = k8s_get_string(list, "kind", "kind", &list_kind, err);
	if (ret)
		return ret;
	/* PodList, NodeList...: what the API server returns; its items have no kind. */
	if (list_kind && strcmp(list_kind, "List") && strlen(list_kind) > 4 &&
	    strlen(list_kind) < sizeof(item_default) &&
	    !strcmp(list_kind + strlen(list_kind) - 4, "List"))
		snprintf(item_default, sizeof(item_default), "%.*s", (int)(strlen(list_kind) - 4),
			 list_kind);
	items = k8s_get(list, "items");
	if (!json_is_array(items))
		return k8s_bad(err, "items: must be an array");

	json_array_foreach (items, i, item) {
		const char *kind = item_default, *api_version = NULL, *ns = "", *name = "(no name)";
		struct cluster_k8s_err ierr = {};
		enum item_kind ik;
		json_t *md;

		if (!json_is_object(item))
			return k8s_bad(err, "items[%zu]: must be an object", i);
		if (k8s_get(item, "kind")) {
			kind = json_string_value(k8s_get(item, "kind"));
			if (!kind || !*kind)
				return k8s_bad(err, "items[%zu]: kind: must be a non-empty string",
					       i);
		}
		if (!*kind)
			return k8s_bad(err, "items[%zu]: kind: missing", i);
		api_version = json_string_value(k8s_get(item, "apiVersion"));
		ik = classify(kind, api_version);
		if (ik == ITEM_IGNORED) {
			pr_debug("cluster: items[%zu]: %s %s ignored", i,
				 api_version ? api_version : "", kind);
			continue;
		}
		ret = parse_item(item, ik, snap, &ierr);
		if (!ret)
			continue;
		if (ret != -EINVAL)
			return ret;
		/* Best effort names for the message: the parser said what is wrong. */
		md = k8s_get(item, "metadata");
		if (json_string_value(k8s_get(md, "name")))
			name = json_string_value(k8s_get(md, "name"));
		if (ik == ITEM_POD || ik == ITEM_POLICY) {
			ns = json_string_value(k8s_get(md, "namespace")) ?: "default";
			return k8s_bad(err, "items[%zu] %s %s/%s: %s", i, kind, ns, name, ierr.msg);
		}
		return k8s_bad(err, "items[%zu] %s %s: %s", i, kind, name, ierr.msg);
	}
	return 0;
}
