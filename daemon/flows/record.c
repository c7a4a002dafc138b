// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "addr.h"
#include "reasons.h"
#include "daemon/cluster/cluster.h"
#include "daemon/datapath/maps.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/flows/packet.h"
#include "daemon/flows/record.h"
#include "daemon/policy/explain.h"
#include "daemon/policy/identity.h"
#include "daemon/weftd.h"

const char *flow_reason_name(const struct weft_flow_event *ev)
{
	switch (ev->kind) {
	case WEFT_FLOW_DROP: return weft_reason_name(ev->reason) ?: "drop-unknown";
	case WEFT_FLOW_ALLOWED: return "policy-allowed";
	case WEFT_FLOW_OPEN: return "policy-open";
	case WEFT_FLOW_NODE: return "node-allowed";
	}
	return "unknown";
}

struct node_find {
	const struct weft_addr *ip;
	const struct cl_node *found;
};

static int node_has_ip(void *ctx, const struct cl_node *n)
{
	struct node_find *f = ctx;

	for (unsigned int i = 0; i < n->n_ips; i++)
		if (weft_addr_equal(&n->ips[i], f->ip)) {
			f->found = n;
			return 1;
		}
	return 0;
}

/* A pod: a local endpoint's (its identity from the engine) or one of the
 * cluster model's (its identity from the identities). */
static json_t *pod_json(struct weftd *d, const struct endpoint *ep, const struct cl_pod *p)
{
	const char *ns = p ? p->ns : json_string_value(json_object_get(ep->k8s, "namespace"));
	const char *name = p ? p->name : json_string_value(json_object_get(ep->k8s, "name"));
	uint32_t id = 0;
	json_t *o;

	if (ep)
		id = policy_endpoint_identity(d->policy, ep->id);
	if (!id && p && d->ids)
		id = identity_lookup(d->ids, p->ns, &p->labels);
	o = json_pack("{s:s, s:I}", "kind", "pod", "identity", (json_int_t)id);
	if (!o)
		return NULL;
	if (ns && name) {
		json_object_set_new(o, "namespace", json_string(ns));
		json_object_set_new(o, "pod", json_string(name));
	}
	if (ep)
		json_object_set_new(o, "endpoint", json_integer(ep->id));
	if (p) {
		json_object_set_new(o, "labels", cl_labels_json(&p->labels));
		if (p->node_name)
			json_object_set_new(o, "node", json_string(p->node_name));
	}
	return o;
}

json_t *flow_end_json(struct weftd *d, uint32_t addr)
{
	struct weft_addr a = weft_addr_from_ipv4(addr);
	struct node_find nf = {.ip = &a};
	const struct cl_pod *p = d->cluster ? cluster_find_pod_by_ip(d->cluster, &a) : NULL;
	struct endpoint *ep = endpoint_by_ipv4(d, addr);
	char buf[INET_ADDRSTRLEN];
	json_t *o;

	if (ep && !p && d->cluster && ep->k8s)
		p = cluster_find_pod(d->cluster,
				     json_string_value(json_object_get(ep->k8s, "namespace")) ?: "",
				     json_string_value(json_object_get(ep->k8s, "name")) ?: "");
	if (ep || p)
		o = pod_json(d, ep, p);
	else if (d->cluster && cluster_for_each_node(d->cluster, node_has_ip, &nf))
		o = json_pack("{s:s, s:s, s:I}", "kind", "node", "node", nf.found->name, "identity",
			      (json_int_t)(strcmp(nf.found->name, d->cfg.node_name)
						   ? WEFT_IDENTITY_REMOTE_NODE
						   : WEFT_IDENTITY_HOST));
	else
		o = json_pack("{s:s, s:I}", "kind", "world", "identity",
			      (json_int_t)WEFT_IDENTITY_WORLD);
	if (o)
		json_object_set_new(o, "address",
				    json_string(inet_ntop(AF_INET, &addr, buf, sizeof(buf))));
	return o;
}

/* The packet is the reply of a tracked flow: conntrack holds its swapped
 * tuple as an opener's. Asked at read time, for drops only (a new flow is
 * never a reply). */
static bool is_reply(struct weftd *d, const struct flow_packet *pk)
{
	struct weft_ct_key k = {.family = WEFT_FAMILY_IPV4, .protocol = pk->protocol};
	struct weft_ct_entry e;
	int fd = maps_fd(&d->maps, WEFT_MAP_CONNTRACK);

	if (fd < 0 || !pk->ipv4)
		return false;
	k.sport = htons(pk->dport);
	k.dport = htons(pk->sport);
	k.saddr[0] = pk->daddr;
	k.daddr[0] = pk->saddr;
	return bpf_map_lookup_elem(fd, &k, &e) == 0;
}

static json_t *ip_json(const struct flow_packet *pk)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], num[8], flags[40];
	json_t *o = json_pack("{s:s, s:s, s:s}", "protocol",
			      flow_proto_name(pk->protocol, num, sizeof(num)), "source",
			      inet_ntop(AF_INET, &pk->saddr, a, sizeof(a)), "destination",
			      inet_ntop(AF_INET, &pk->daddr, b, sizeof(b)));

	if (!o)
		return NULL;
	if (pk->ports) {
		json_object_set_new(o, "sourcePort", json_integer(pk->sport));
		json_object_set_new(o, "destinationPort", json_integer(pk->dport));
	}
	if (pk->tcp)
		json_object_set_new(
			o, "tcpFlags",
			json_string(flow_tcp_flags(pk->tcp_flags, flags, sizeof(flags))));
	if (pk->icmp)
		json_object_set_new(
			o, "icmp",
			json_pack("{s:i, s:i}", "type", pk->icmp_type, "code", pk->icmp_code));
	if (pk->fragment)
		json_object_set_new(o, "fragment", json_true());
	return o;
}

static bool policy_reason(int reason)
{
	return reason == WEFT_DROP_POLICY_DENIED || reason == WEFT_DROP_POLICY_REVOKED ||
	       reason == WEFT_DROP_NO_POLICY_MAP;
}

/* The policy part: who allowed, or why nothing did. NULL when policy had
 * no say (a spoofed frame, say). */
static json_t *policy_json(struct weftd *d, const struct weft_flow_event *ev,
			   const struct flow_packet *pk, json_t *peer)
{
	struct policy_flow f = {
		.ep_id = ev->endpoint_id,
		.dir = ev->direction == WEFT_DIR_FROM_POD ? WEFT_POLICY_EGRESS
							  : WEFT_POLICY_INGRESS,
		.peer_identity = ev->peer_identity,
		.peer_addr = ev->direction == WEFT_DIR_FROM_POD ? pk->daddr : pk->saddr,
		.protocol = pk->protocol,
		.port = pk->ports && pk->protocol != IPPROTO_ICMP ? pk->dport : 0,
	};
	const char *ns = json_string_value(json_object_get(peer, "namespace"));
	const char *name = json_string_value(json_object_get(peer, "pod"));
	char who[600];

	if (!f.peer_identity)
		f.peer_identity = (uint32_t)json_integer_value(json_object_get(peer, "identity"));
	switch (ev->kind) {
	case WEFT_FLOW_ALLOWED: return policy_explain_allow(d->policy, &f, ev->rule);
	case WEFT_FLOW_OPEN:
		return json_pack("{s:s, s:s}", "direction", f.dir ? "egress" : "ingress",
				 "explanation", "no policy selects the pod for this direction");
	case WEFT_FLOW_NODE:
		return json_pack("{s:s, s:s}", "direction", f.dir ? "egress" : "ingress",
				 "explanation", "the node always reaches its pods");
	}
	if (!policy_reason(ev->reason) || !pk->ipv4)
		return NULL;
	if (ns && name)
		snprintf(who, sizeof(who), "identity %u (%s/%s)", f.peer_identity, ns, name);
	else
		snprintf(who, sizeof(who), "identity %u (%s %s)", f.peer_identity,
			 json_string_value(json_object_get(peer, "kind")) ?: "?",
			 json_string_value(json_object_get(peer, "address")) ?: "?");
	return policy_explain_deny(d->policy, &f, who);
}

static const char *iface(struct weftd *d, const struct weft_flow_event *ev, char *buf)
{
	struct endpoint *ep = ev->endpoint_id ? endpoint_by_id(d, ev->endpoint_id) : NULL;

	if (ep)
		return ep->host_ifname;
	return if_indextoname(ev->ifindex, buf) ?: "";
}

static void time_json(json_t *rec, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	char buf[64];
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	json_object_set_new(
		rec, "time",
		json_sprintf("%s.%06uZ", buf, (unsigned int)(ns % 1000000000ULL / 1000)));
}

static void match_end(json_t *end, const char **ns, const char **pod)
{
	*ns = json_string_value(json_object_get(end, "namespace"));
	*pod = json_string_value(json_object_get(end, "pod"));
	if (!*pod) /* an endpoint's k8s object */
		*pod = json_string_value(json_object_get(end, "name"));
}

json_t *flow_record(struct weftd *d, const struct weft_flow_event *ev, int64_t realtime_offset_ns,
		    struct flow_match *m)
{
	size_t len = ev->hdr_len < WEFT_FLOW_HDR_LEN ? ev->hdr_len : WEFT_FLOW_HDR_LEN;
	struct endpoint *ep = ev->endpoint_id ? endpoint_by_id(d, ev->endpoint_id) : NULL;
	json_t *rec, *src = NULL, *dst = NULL, *pol;
	char ifbuf[IF_NAMESIZE];
	struct flow_packet pk;

	flow_packet_parse(ev->hdr, len, &pk);
	rec = json_pack("{s:s, s:s?, s:s, s:s, s:b, s:s, s:I, s:I}", "node", d->cfg.node_name,
			"direction", weft_direction_name(ev->direction), "verdict",
			ev->kind == WEFT_FLOW_DROP ? "dropped" : "forwarded", "reason",
			flow_reason_name(ev), "reply",
			ev->kind == WEFT_FLOW_DROP && pk.ports && is_reply(d, &pk), "interface",
			iface(d, ev, ifbuf), "length", (json_int_t)ev->pkt_len, "endpoint",
			(json_int_t)ev->endpoint_id);
	if (!rec)
		return NULL;
	time_json(rec, ev->ts_ns + (uint64_t)realtime_offset_ns);
	if (ep && ep->k8s)
		json_object_set(rec, "pod", ep->k8s);
	if (pk.ipv4) {
		json_object_set_new(rec, "ip", ip_json(&pk));
		src = flow_end_json(d, pk.saddr);
		dst = flow_end_json(d, pk.daddr);
		json_object_set_new(rec, "source", src);
		json_object_set_new(rec, "destination", dst);
	} else if (pk.ethertype) {
		json_object_set_new(rec, "ethertype", json_sprintf("0x%04x", pk.ethertype));
	}
	pol = policy_json(d, ev, &pk, ev->direction == WEFT_DIR_FROM_POD ? dst : src);
	if (pol)
		json_object_set_new(rec, "policy", pol);

	memset(m, 0, sizeof(*m));
	m->dropped = ev->kind == WEFT_FLOW_DROP;
	m->reason = flow_reason_name(ev);
	match_end(src, &m->src_ns, &m->src_pod);
	match_end(dst, &m->dst_ns, &m->dst_pod);
	if (ep)
		match_end(ep->k8s, &m->ep_ns, &m->ep_pod);
	m->sport = pk.ports ? pk.sport : -1;
	m->dport = pk.ports ? pk.dport : -1;
	return rec;
}
