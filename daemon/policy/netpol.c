// SPDX-License-Identifier: Apache-2.0
/*
 * NetworkPolicy specs into struct netpol, validated as the API server does
 * (pkg/apis/networking/validation), so a policy weftd accepts means what it
 * means to Kubernetes, and one it refuses says which field is wrong. Then the
 * queries the engine asks of a parsed policy.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "daemon/cluster/cluster_k8s_fields.h"
#include "daemon/policy/netpol.h"

#define PATH_LEN      256
#define PORT_MAX      65535
#define PORT_NAME_MAX 15 /* IANA_SVC_NAME */

static const struct {
	const char *name;
	uint8_t protocol;
} protocols[] = {{"TCP", IPPROTO_TCP}, {"UDP", IPPROTO_UDP}, {"SCTP", IPPROTO_SCTP}};

/* By enum weft_policy_dir: the policyTypes value, the rules and peers keys. */
static const char *const type_names[NETPOL_DIRS] = {"Ingress", "Egress"};
static const char *const rules_keys[NETPOL_DIRS] = {"ingress", "egress"};
static const char *const peers_keys[NETPOL_DIRS] = {"from", "to"};

static void prefix_clear_host_bits(struct weft_prefix *p)
{
	for (unsigned int byte = 0; byte < sizeof(p->addr.addr); byte++) {
		unsigned int first = byte * 8;

		if (first >= p->len)
			p->addr.addr[byte] = 0;
		else if (p->len - first < 8)
			p->addr.addr[byte] &= (uint8_t)(0xff << (8 - (p->len - first)));
	}
}

/* An ipBlock cidr or except. The API server keeps "10.0.0.1/24" as written and
 * means 10.0.0.0/24 (Go's ParseCIDR), so host bits are cleared, not refused. */
static int parse_cidr(const json_t *v, const char *path, struct weft_prefix *out,
		      struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];

	if (!json_is_string(v) ||
	    weft_prefix_parse_flags(json_string_value(v), WEFT_PREFIX_HOST_BITS, out))
		return k8s_bad(err, "%s: %s is not a CIDR (address/prefix length)", path,
			       k8s_quote(v, q, sizeof(q)));
	prefix_clear_host_bits(out);
	return 0;
}

/* IANA_SVC_NAME: at most 15 of [-a-z0-9], a letter among them, no '-' at
 * either end or twice in a row. */
static bool valid_port_name(const char *s)
{
	size_t len = strlen(s);
	bool letter = false;

	if (!len || len > PORT_NAME_MAX || s[0] == '-' || s[len - 1] == '-' || strstr(s, "--"))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (islower(c))
			letter = true;
		else if (!isdigit(c) && c != '-')
			return false;
	}
	return letter;
}

static int parse_protocol(const json_t *v, const char *path, uint8_t *out,
			  struct cluster_k8s_err *err)
{
	char sub[PATH_LEN], q[VALUE_QUOTE_MAX + 8];
	const char *name;
	int ret;

	field_path(sub, sizeof(sub), "%s.protocol", path);
	ret = k8s_get_string(v, "protocol", sub, &name, err);
	if (ret)
		return ret;
	*out = IPPROTO_TCP;
	if (!name)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(protocols); i++) {
		if (!strcmp(name, protocols[i].name)) {
			*out = protocols[i].protocol;
			return 0;
		}
	}
	return k8s_bad(err, "%s: %s is not one of TCP, UDP, SCTP", sub,
		       k8s_quote(k8s_get(v, "protocol"), q, sizeof(q)));
}

/* One ports[] item: protocol, port (a number or a name, or absent for every
 * port) and endPort (only after a numeric port). */
static int parse_port(const json_t *v, const char *path, struct netpol_port *out,
		      struct cluster_k8s_err *err)
{
	char sub[PATH_LEN], q[VALUE_QUOTE_MAX + 8];
	json_t *port, *end;
	uint8_t protocol;
	json_int_t n;
	int ret;

	if (!json_is_object(v))
		return k8s_bad(err, "%s: must be an object, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	ret = parse_protocol(v, path, &protocol, err);
	if (ret)
		return ret;
	*out = (struct netpol_port){.protocol = protocol, .port = 0, .end_port = PORT_MAX};
	port = k8s_get(v, "port");
	field_path(sub, sizeof(sub), "%s.port", path);
	if (json_is_integer(port)) {
		n = json_integer_value(port);
		if (n < 1 || n > PORT_MAX)
			return k8s_bad(err, "%s: %" JSON_INTEGER_FORMAT " is not a port (1-65535)",
				       sub, n);
		out->port = out->end_port = (uint16_t)n;
	} else if (json_is_string(port)) {
		out->name = json_string_value(port);
		if (!valid_port_name(out->name))
			return k8s_bad(err,
				       "%s: %s is not a port name (at most 15 of a-z, 0-9 and '-', "
				       "with a letter, no '-' at either end or twice in a row)",
				       sub, k8s_quote(port, q, sizeof(q)));
	} else if (port) {
		return k8s_bad(err, "%s: must be a port number or name, got %s", sub,
			       k8s_quote(port, q, sizeof(q)));
	}

	end = k8s_get(v, "endPort");
	if (!end)
		return 0;
	field_path(sub, sizeof(sub), "%s.endPort", path);
	if (!json_is_integer(end))
		return k8s_bad(err, "%s: must be an integer, got %s", sub,
			       k8s_quote(end, q, sizeof(q)));
	if (!port || out->name)
		return k8s_bad(err, "%s: needs a numeric port", sub);
	n = json_integer_value(end);
	if (n < out->port)
		return k8s_bad(err, "%s: %" JSON_INTEGER_FORMAT " is below port %u", sub, n,
			       out->port);
	if (n > PORT_MAX)
		return k8s_bad(err, "%s: %" JSON_INTEGER_FORMAT " is above %d", sub, n, PORT_MAX);
	out->end_port = (uint16_t)n;
	return 0;
}

static int parse_ipblock(const json_t *v, const char *path, struct netpol_peer *out,
			 struct cluster_k8s_err *err)
{
	char sub[PATH_LEN], in[WEFT_PREFIX_STRLEN], q[VALUE_QUOTE_MAX + 8];
	json_t *except, *e;
	size_t i;
	int ret;

	out->is_ipblock = true;
	field_path(sub, sizeof(sub), "%s.cidr", path);
	ret = parse_cidr(k8s_get(v, "cidr"), sub, &out->cidr, err);
	if (ret)
		return ret;
	field_path(sub, sizeof(sub), "%s.except", path);
	ret = k8s_get_array(v, "except", sub, &except, err);
	if (ret || !json_array_size(except))
		return ret;
	out->except = calloc(json_array_size(except), sizeof(*out->except));
	if (!out->except)
		return -ENOMEM;
	json_array_foreach (except, i, e) {
		struct weft_prefix *x = &out->except[i];

		field_path(sub, sizeof(sub), "%s.except[%zu]", path, i);
		ret = parse_cidr(e, sub, x, err);
		if (ret)
			return ret;
		if (x->len <= out->cidr.len || !weft_prefix_within(x, &out->cidr))
			return k8s_bad(err, "%s: %s is not strictly inside cidr %s", sub,
				       k8s_quote(e, q, sizeof(q)),
				       weft_prefix_format(&out->cidr, in, sizeof(in)));
		out->n_except++;
	}
	return 0;
}

/* One from[] / to[] item. */
static int parse_peer(const json_t *v, const char *path, struct netpol_peer *out,
		      struct cluster_k8s_err *err)
{
	char sub[PATH_LEN], q[VALUE_QUOTE_MAX + 8];
	json_t *block;
	int ret;

	if (!json_is_object(v))
		return k8s_bad(err, "%s: must be an object, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	ret = selector_parse_member(v, "podSelector", path, &out->pod_sel, &out->has_pod_sel, err);
	if (!ret)
		ret = selector_parse_member(v, "namespaceSelector", path, &out->ns_sel,
					    &out->has_ns_sel, err);
	if (ret)
		return ret;
	field_path(sub, sizeof(sub), "%s.ipBlock", path);
	ret = k8s_get_object(v, "ipBlock", sub, &block, err);
	if (ret)
		return ret;
	if (block && (out->has_pod_sel || out->has_ns_sel))
		return k8s_bad(err,
			       "%s: ipBlock may not be combined with podSelector or "
			       "namespaceSelector",
			       path);
	if (!block && !out->has_pod_sel && !out->has_ns_sel)
		return k8s_bad(err, "%s: needs podSelector, namespaceSelector or ipBlock", path);
	return block ? parse_ipblock(block, sub, out, err) : 0;
}

/* One ingress[] / egress[] item; @peers_key is "from" or "to". The arrays are
 * sized before they are filled, so netpol_free() can undo a half-parsed rule. */
static int parse_rule(const json_t *v, const char *path, const char *peers_key,
		      struct netpol_rule *out, struct cluster_k8s_err *err)
{
	char sub[PATH_LEN], q[VALUE_QUOTE_MAX + 8];
	json_t *peers, *ports, *e;
	size_t i;
	int ret;

	if (!json_is_object(v))
		return k8s_bad(err, "%s: must be an object, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	field_path(sub, sizeof(sub), "%s.%s", path, peers_key);
	ret = k8s_get_array(v, peers_key, sub, &peers, err);
	if (ret)
		return ret;
	field_path(sub, sizeof(sub), "%s.ports", path);
	ret = k8s_get_array(v, "ports", sub, &ports, err);
	if (ret)
		return ret;
	if (json_array_size(peers)) {
		out->peers = calloc(json_array_size(peers), sizeof(*out->peers));
		if (!out->peers)
			return -ENOMEM;
		out->n_peers = json_array_size(peers);
	}
	if (json_array_size(ports)) {
		out->ports = calloc(json_array_size(ports), sizeof(*out->ports));
		if (!out->ports)
			return -ENOMEM;
		out->n_ports = json_array_size(ports);
	}
	json_array_foreach (peers, i, e) {
		field_path(sub, sizeof(sub), "%s.%s[%zu]", path, peers_key, i);
		ret = parse_peer(e, sub, &out->peers[i], err);
		if (ret)
			return ret;
	}
	json_array_foreach (ports, i, e) {
		field_path(sub, sizeof(sub), "%s.ports[%zu]", path, i);
		ret = parse_port(e, sub, &out->ports[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_rules(struct netpol *pol, enum weft_policy_dir dir, struct cluster_k8s_err *err)
{
	char path[PATH_LEN];
	json_t *rules, *r;
	size_t i;
	int ret;

	field_path(path, sizeof(path), "spec.%s", rules_keys[dir]);
	ret = k8s_get_array(pol->spec, rules_keys[dir], path, &rules, err);
	if (ret || !json_array_size(rules))
		return ret;
	pol->rules[dir] = calloc(json_array_size(rules), sizeof(*pol->rules[dir]));
	if (!pol->rules[dir])
		return -ENOMEM;
	pol->n_rules[dir] = json_array_size(rules);
	json_array_foreach (rules, i, r) {
		field_path(path, sizeof(path), "spec.%s[%zu]", rules_keys[dir], i);
		ret = parse_rule(r, path, peers_keys[dir], &pol->rules[dir][i], err);
		if (ret)
			return ret;
	}
	return 0;
}

/* Explicit, or implied as the API server defaults them: Ingress always, Egress
 * when there are egress rules. */
static int parse_policy_types(struct netpol *pol, struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];
	json_t *types, *t;
	size_t i;
	int ret;

	ret = k8s_get_array(pol->spec, "policyTypes", "spec.policyTypes", &types, err);
	if (ret)
		return ret;
	if (!json_array_size(types)) {
		pol->covers[WEFT_POLICY_INGRESS] = true;
		pol->covers[WEFT_POLICY_EGRESS] = json_array_size(k8s_get(pol->spec, "egress"));
		return 0;
	}
	if (json_array_size(types) > NETPOL_DIRS)
		return k8s_bad(err, "spec.policyTypes: at most %d entries, got %zu", NETPOL_DIRS,
			       json_array_size(types));
	json_array_foreach (types, i, t) {
		const char *s = json_string_value(t);
		int dir = -1;

		for (int d = 0; s && d < NETPOL_DIRS; d++) {
			if (!strcmp(s, type_names[d]))
				dir = d;
		}
		if (dir < 0)
			return k8s_bad(err,
				       "spec.policyTypes[%zu]: %s is not one of Ingress, Egress", i,
				       k8s_quote(t, q, sizeof(q)));
		pol->covers[dir] = true;
	}
	return 0;
}

static void rules_free(struct netpol_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < rules[i].n_peers; j++) {
			selector_free(&rules[i].peers[j].pod_sel);
			selector_free(&rules[i].peers[j].ns_sel);
			free(rules[i].peers[j].except);
		}
		free(rules[i].peers);
		free(rules[i].ports);
		free(rules[i].memo_ids);
	}
	free(rules);
}

static int parse_spec(struct netpol *pol, struct cluster_k8s_err *err)
{
	bool present;
	int ret;

	if (!json_is_object(pol->spec))
		return k8s_bad(err, "spec: must be an object");
	/* Absent is the empty selector: every pod of the namespace, as the API's
	 * zero value means. */
	ret = selector_parse_member(pol->spec, "podSelector", "spec", &pol->pod_sel, &present, err);
	if (!ret)
		ret = parse_policy_types(pol, err);
	if (ret)
		return ret;
	for (int dir = 0; dir < NETPOL_DIRS; dir++) {
		ret = parse_rules(pol, dir, err);
		if (ret)
			return ret;
		/* Validated like the API server does, but a direction the policy does
		 * not cover ignores its rules. */
		if (!pol->covers[dir]) {
			rules_free(pol->rules[dir], pol->n_rules[dir]);
			pol->rules[dir] = NULL;
			pol->n_rules[dir] = 0;
		}
	}
	return 0;
}

int netpol_parse(const struct cl_policy *p, uint32_t cookie, struct netpol **out, char *err,
		 size_t errsz)
{
	struct cluster_k8s_err kerr = {};
	struct netpol *pol;
	int ret = -ENOMEM;

	pol = calloc(1, sizeof(*pol));
	if (!pol)
		goto report;
	pol->ns = strdup(p->ns);
	pol->name = strdup(p->name);
	pol->cookie = cookie;
	pol->spec = json_incref(p->spec);
	if (!pol->ns || !pol->name)
		goto free_pol;
	/* 0 in value.rule means "no policy" (an open direction). */
	ret = cookie ? parse_spec(pol, &kerr) : k8s_bad(&kerr, "rule cookie 0 is reserved");
	if (ret)
		goto free_pol;
	*out = pol;
	return 0;

free_pol:
	netpol_free(pol);
report:
	snprintf(err, errsz, "networkpolicy %s/%s: %s", p->ns, p->name,
		 ret == -ENOMEM ? "out of memory" : kerr.msg);
	return ret;
}

void netpol_free(struct netpol *pol)
{
	if (!pol)
		return;
	for (int dir = 0; dir < NETPOL_DIRS; dir++)
		rules_free(pol->rules[dir], pol->n_rules[dir]);
	selector_free(&pol->pod_sel);
	json_decref(pol->spec);
	free(pol->ns);
	free(pol->name);
	free(pol);
}

bool netpol_selects(const struct netpol *pol, const char *ns, const struct cl_labels *pod_labels)
{
	return !strcmp(pol->ns, ns) && selector_matches(&pol->pod_sel, pod_labels);
}

bool netpol_peer_selects(const struct netpol *pol, const struct netpol_peer *np,
			 const struct policy_peer *p)
{
	if (np->is_ipblock || p->identity < WEFT_IDENTITY_FIRST_POD ||
	    p->identity >= WEFT_IDENTITY_MAX)
		return false;
	if (np->has_ns_sel) {
		if (!p->ns_labels || !selector_matches(&np->ns_sel, p->ns_labels))
			return false;
	} else if (strcmp(p->ns, pol->ns)) {
		return false;
	}
	return !np->has_pod_sel || selector_matches(&np->pod_sel, p->labels);
}

static bool rule_names_ports(const struct netpol_rule *r)
{
	for (size_t i = 0; i < r->n_ports; i++) {
		if (r->ports[i].name)
			return true;
	}
	return false;
}

bool netpol_peer_may_select(const struct netpol *pol, const struct policy_peer *p)
{
	for (int dir = 0; dir < NETPOL_DIRS; dir++) {
		for (size_t i = 0; i < pol->n_rules[dir]; i++) {
			const struct netpol_rule *r = &pol->rules[dir][i];

			if (dir == WEFT_POLICY_EGRESS && !r->n_peers && rule_names_ports(r))
				return true;
			for (size_t j = 0; j < r->n_peers; j++) {
				if (netpol_peer_selects(pol, &r->peers[j], p))
					return true;
			}
		}
	}
	return false;
}

int netpol_for_each_cidr(const struct netpol *pol,
			 int (*fn)(void *ctx, const struct weft_prefix *p), void *ctx)
{
	for (int dir = 0; dir < NETPOL_DIRS; dir++) {
		for (size_t i = 0; i < pol->n_rules[dir]; i++) {
			const struct netpol_rule *r = &pol->rules[dir][i];

			for (size_t j = 0; j < r->n_peers; j++) {
				const struct netpol_peer *np = &r->peers[j];
				int ret;

				if (!np->is_ipblock)
					continue;
				ret = fn(ctx, &np->cidr);
				for (size_t k = 0; !ret && k < np->n_except; k++)
					ret = fn(ctx, &np->except[k]);
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

bool netpol_has_named_ports(const struct netpol *pol)
{
	for (int dir = 0; dir < NETPOL_DIRS; dir++) {
		for (size_t i = 0; i < pol->n_rules[dir]; i++) {
			if (rule_names_ports(&pol->rules[dir][i]))
				return true;
		}
	}
	return false;
}
