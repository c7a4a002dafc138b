// SPDX-License-Identifier: Apache-2.0
/* The objects of the model: constructors, destructors, comparison. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/cluster/cluster_internal.h"

const struct weft_addr *cl_node_ipv4(const struct cl_node *n)
{
	for (unsigned int i = 0; i < n->n_ips; i++) {
		if (n->ips[i].family == AF_INET)
			return &n->ips[i];
	}
	return NULL;
}

const struct weft_prefix *cl_node_pod_cidr4(const struct cl_node *n)
{
	for (unsigned int i = 0; i < n->n_pod_cidrs; i++) {
		if (n->pod_cidrs[i].addr.family == AF_INET)
			return &n->pod_cidrs[i];
	}
	return NULL;
}

struct cl_node *cl_node_new(const char *name)
{
	struct cl_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	return n;
}

void cl_node_free(struct cl_node *n)
{
	if (!n)
		return;
	free(n->name);
	free(n);
}

bool cl_node_equal(const struct cl_node *a, const struct cl_node *b)
{
	if (!str_eq(a->name, b->name) || a->n_ips != b->n_ips || a->n_pod_cidrs != b->n_pod_cidrs)
		return false;
	for (unsigned int i = 0; i < a->n_ips; i++) {
		if (!weft_addr_equal(&a->ips[i], &b->ips[i]))
			return false;
	}
	for (unsigned int i = 0; i < a->n_pod_cidrs; i++) {
		if (!weft_prefix_equal(&a->pod_cidrs[i], &b->pod_cidrs[i]))
			return false;
	}
	return true;
}

struct cl_namespace *cl_namespace_new(const char *name)
{
	struct cl_namespace *ns = calloc(1, sizeof(*ns));

	if (!ns)
		return NULL;
	ns->name = strdup(name);
	if (!ns->name) {
		free(ns);
		return NULL;
	}
	return ns;
}

void cl_namespace_free(struct cl_namespace *ns)
{
	if (!ns)
		return;
	free(ns->name);
	cl_labels_clear(&ns->labels);
	free(ns);
}

bool cl_namespace_equal(const struct cl_namespace *a, const struct cl_namespace *b)
{
	return str_eq(a->name, b->name) && cl_labels_equal(&a->labels, &b->labels);
}

struct cl_pod *cl_pod_new(const char *ns, const char *name)
{
	struct cl_pod *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ns = strdup(ns);
	p->name = strdup(name);
	if (!p->ns || !p->name) {
		cl_pod_free(p);
		return NULL;
	}
	return p;
}

void cl_pod_free(struct cl_pod *p)
{
	if (!p)
		return;
	free(p->ns);
	free(p->name);
	free(p->uid);
	free(p->node_name);
	cl_labels_clear(&p->labels);
	for (size_t i = 0; i < p->n_ports; i++)
		free(p->ports[i].name);
	free(p->ports);
	free(p);
}

static int port_cmp(const struct cl_port *a, const char *name, uint16_t port, uint8_t proto)
{
	int c;

	if (!a->name != !name)
		return a->name ? 1 : -1; /* unnamed first */
	if (name && (c = strcmp(a->name, name)))
		return c;
	if (a->port != port)
		return a->port < port ? -1 : 1;
	return (int)a->protocol - (int)proto;
}

int cl_pod_add_port(struct cl_pod *p, const char *name, uint16_t port, uint8_t protocol)
{
	struct cl_port *v;
	char *dup = NULL;
	size_t at = p->n_ports;

	if (name) {
		dup = strdup(name);
		if (!dup)
			return -ENOMEM;
	}
	v = realloc(p->ports, (p->n_ports + 1) * sizeof(*v));
	if (!v) {
		free(dup);
		return -ENOMEM;
	}
	/* A sorted list makes two pods' ports comparable whatever the container order. */
	while (at > 0 && port_cmp(&v[at - 1], name, port, protocol) > 0)
		at--;
	memmove(&v[at + 1], &v[at], (p->n_ports - at) * sizeof(*v));
	v[at] = (struct cl_port){.name = dup, .port = port, .protocol = protocol};
	p->ports = v;
	p->n_ports++;
	return 0;
}

int cl_pod_add_ip(struct cl_pod *p, const struct weft_addr *ip)
{
	for (unsigned int i = 0; i < p->n_ips; i++) {
		if (p->ips[i].family == ip->family)
			return -EEXIST;
	}
	if (p->n_ips >= CL_MAX_ADDRS)
		return -E2BIG;
	p->ips[p->n_ips++] = *ip;
	return 0;
}

bool cl_pod_equal(const struct cl_pod *a, const struct cl_pod *b)
{
	if (!str_eq(a->ns, b->ns) || !str_eq(a->name, b->name) || !str_eq(a->uid, b->uid) ||
	    !str_eq(a->node_name, b->node_name) || a->host_network != b->host_network ||
	    a->terminated != b->terminated || a->n_ips != b->n_ips || a->n_ports != b->n_ports ||
	    !cl_labels_equal(&a->labels, &b->labels))
		return false;
	for (unsigned int i = 0; i < a->n_ips; i++) {
		if (!weft_addr_equal(&a->ips[i], &b->ips[i]))
			return false;
	}
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct cl_port *q = &b->ports[i];

		if (port_cmp(&a->ports[i], q->name, q->port, q->protocol))
			return false;
	}
	return true;
}

struct cl_policy *cl_policy_new(const char *ns, const char *name, json_t *spec)
{
	struct cl_policy *pol = calloc(1, sizeof(*pol));

	if (!pol)
		return NULL;
	pol->ns = strdup(ns);
	pol->name = strdup(name);
	if (!pol->ns || !pol->name) {
		cl_policy_free(pol);
		return NULL;
	}
	pol->spec = json_incref(spec);
	return pol;
}

void cl_policy_free(struct cl_policy *pol)
{
	if (!pol)
		return;
	free(pol->ns);
	free(pol->name);
	json_decref(pol->spec);
	free(pol);
}

bool cl_policy_equal(const struct cl_policy *a, const struct cl_policy *b)
{
	if (!str_eq(a->ns, b->ns) || !str_eq(a->name, b->name))
		return false;
	if (!a->spec || !b->spec)
		return a->spec == b->spec;
	return json_equal(a->spec, b->spec);
}

const char *cluster_event_name(enum cluster_event ev)
{
	switch (ev) {
	case CLUSTER_ADD: return "add";
	case CLUSTER_UPDATE: return "update";
	case CLUSTER_DELETE: return "delete";
	}
	return "?";
}
