// SPDX-License-Identifier: Apache-2.0
/*
 * An explain run's reply: the hops the programs wrote into the context
 * (bpf/datapath.h, "Explain runs"), each with its program, verdict, reason,
 * how conntrack and policy decided, the policy entry in namespace/name
 * terms (daemon/policy/explain.c, as flow records name it) and where the
 * packet goes next.
 */
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>
#include <stdio.h>

#include "reasons.h"
#include "bpf/datapath.h"
#include "daemon/datapath/loader.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/explain/explain.h"
#include "daemon/flows/record.h"
#include "daemon/policy/explain.h"
#include "daemon/weftd.h"

/* One hop as the program wrote it. */
struct hop {
	int reason;
	unsigned int kind; /* enum weft_explain_kind */
	uint32_t rule, peer;
};

static const char *kind_text(unsigned int kind)
{
	switch (kind) {
	case WEFT_FLOW_ALLOWED: return "new flow, allowed by a policy";
	case WEFT_FLOW_OPEN: return "new flow, no policy selects the pod for this direction";
	case WEFT_FLOW_NODE: return "new flow, the node always reaches its pods";
	case WEFT_EXPLAIN_DENIED: return "new flow, no policy entry allows it";
	case WEFT_EXPLAIN_ESTABLISHED: return "established flow, checked at this policy revision";
	case WEFT_EXPLAIN_REPLY: return "reply of a tracked flow";
	case WEFT_EXPLAIN_RELATED: return "ICMP error about a tracked flow";
	default: return "no policy step";
	}
}

static const char *pod_name(struct weftd *d, uint32_t ep_id, char *buf, size_t sz)
{
	struct endpoint *ep = endpoint_by_id(d, ep_id);
	const char *ns = ep ? json_string_value(json_object_get(ep->k8s, "namespace")) : NULL;
	const char *name = ep ? json_string_value(json_object_get(ep->k8s, "name")) : NULL;

	if (!ns || !name)
		snprintf(buf, sz, "endpoint %u", ep_id);
	else
		snprintf(buf, sz, "%s/%s", ns, name);
	return buf;
}

/* "identity N (ns/name)" or "identity N (world 1.2.3.4)": the peer as the
 * default-deny text names it. */
static void peer_text(struct weftd *d, uint32_t identity, uint32_t addr, char *buf, size_t sz)
{
	json_t *end = flow_end_json(d, addr);
	const char *ns = json_string_value(json_object_get(end, "namespace"));
	const char *pod = json_string_value(json_object_get(end, "pod"));

	if (ns && pod)
		snprintf(buf, sz, "identity %u (%s/%s)", identity, ns, pod);
	else
		snprintf(buf, sz, "identity %u (%s %s)", identity,
			 json_string_value(json_object_get(end, "kind")) ?: "?",
			 json_string_value(json_object_get(end, "address")) ?: "?");
	json_decref(end);
}

static json_t *policy_json(struct weftd *d, const struct explain_req *r, const struct hop *h,
			   uint32_t ep_id, int dir)
{
	struct policy_flow f = {
		.ep_id = ep_id,
		.dir = dir,
		.peer_identity = h->peer,
		.peer_addr = dir == WEFT_POLICY_EGRESS ? r->daddr : r->saddr,
		.protocol = r->protocol,
		.port = r->port,
	};
	char who[600];

	switch (h->kind) {
	case WEFT_FLOW_ALLOWED: return policy_explain_allow(d->policy, &f, h->rule);
	case WEFT_EXPLAIN_DENIED:
		peer_text(d, h->peer, f.peer_addr, who, sizeof(who));
		return policy_explain_deny(d->policy, &f, who);
	default: return NULL;
	}
}

/* Where the packet goes after this hop. */
static void next_text(struct weftd *d, const struct hop *h, uint32_t target, uint32_t ep_id,
		      char *buf, size_t sz)
{
	char name[600], addr[INET_ADDRSTRLEN];
	json_t *node;

	switch (h->reason) {
	case WEFT_FWD_LOCAL:
		snprintf(buf, sz, "%s, through its weft_to_pod_local",
			 pod_name(d, target, name, sizeof(name)));
		return;
	case WEFT_FWD_TUNNEL:
		node = flow_end_json(d, target);
		inet_ntop(AF_INET, &target, addr, sizeof(addr));
		snprintf(buf, sz, "the overlay: tunnel to node %s%s%s%s", addr,
			 json_object_get(node, "node") ? " (" : "",
			 json_string_value(json_object_get(node, "node")) ?: "",
			 json_object_get(node, "node") ? ")" : "");
		json_decref(node);
		return;
	case WEFT_FWD_HOST: snprintf(buf, sz, "the host stack"); return;
	case WEFT_FWD_TO_POD:
		snprintf(buf, sz, "into pod %s", pod_name(d, ep_id, name, sizeof(name)));
		return;
	case WEFT_FWD_ARP_REPLY: snprintf(buf, sz, "back into the pod"); return;
	default: snprintf(buf, sz, "dropped");
	}
}

static json_t *hop_json(struct weftd *d, const struct explain_req *r, const struct hop *h,
			const char *prog, uint32_t prog_id, uint32_t ep_id, int dir,
			uint32_t target)
{
	char next[1024], name[600];
	json_t *o, *pol;

	next_text(d, h, target, ep_id, next, sizeof(next));
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "program", prog, "programId",
		      (json_int_t)prog_id, "verdict", h->reason < 0 ? "dropped" : "forwarded",
		      "reason", weft_reason_name(h->reason), "decision", kind_text(h->kind), "next",
		      next);
	if (!o)
		return NULL;
	if (ep_id) {
		json_object_set_new(o, "endpoint", json_integer(ep_id));
		json_object_set_new(o, "pod", json_string(pod_name(d, ep_id, name, sizeof(name))));
		json_object_set_new(o, "direction",
				    json_string(dir == WEFT_POLICY_EGRESS ? "egress" : "ingress"));
	}
	if (h->peer)
		json_object_set_new(o, "peerIdentity", json_integer(h->peer));
	pol = ep_id ? policy_json(d, r, h, ep_id, dir) : NULL;
	if (pol)
		json_object_set_new(o, "policy", pol);
	return o;
}

/* The id of the weft_to_pod_local in endpoint @id's slot (0: none). */
static uint32_t local_prog_id(struct weftd *d, uint32_t id)
{
	return loader_slot_prog_id(d->loader, id, &d->maps.layout);
}

json_t *explain_hops_json(struct weftd *d, const struct explain_req *r,
			  const struct explain_result *res)
{
	uint32_t w = res->ctx.cb[WEFT_EXPLAIN_CB_REASONS];
	uint32_t target = res->ctx.cb[WEFT_EXPLAIN_CB_TARGET1];
	struct hop h1 = {.reason = (int8_t)w,
			 .kind = (w >> 8) & 0xff,
			 .rule = res->ctx.cb[WEFT_EXPLAIN_CB_RULE1],
			 .peer = res->ctx.cb[WEFT_EXPLAIN_CB_PEER1]};
	struct hop h2 = {.reason = (int8_t)(w >> 16),
			 .kind = w >> 24,
			 .rule = res->ctx.cb[WEFT_EXPLAIN_CB_RULE2],
			 .peer = res->ctx.priority};
	bool overlay = res->first == EXPLAIN_FROM_OVERLAY;
	json_t *hops = json_array(), *out;
	bool complete = h1.reason != WEFT_FWD_TUNNEL;

	if (!hops)
		return NULL;
	json_array_append_new(hops,
			      hop_json(d, r, &h1, overlay ? "weft_from_overlay" : "weft_from_pod",
				       res->prog_id, res->ep_id, WEFT_POLICY_EGRESS, target));
	if (h2.reason)
		json_array_append_new(hops, hop_json(d, r, &h2, "weft_to_pod_local",
						     local_prog_id(d, target), target,
						     WEFT_POLICY_INGRESS, 0));
	else if (h1.reason == WEFT_FWD_LOCAL)
		/* An empty slot: the redirect to the host veth, whose
		 * weft_to_pod then decides; this run does not reach it. */
		complete = false;
	out = json_pack("{s:o, s:s, s:b}", "hops", hops, "verdict",
			res->retval == TC_ACT_SHOT ? "dropped" : "forwarded", "complete", complete);
	if (out && !complete)
		json_object_set_new(
			out, "note",
			json_string(h1.reason == WEFT_FWD_TUNNEL
					    ? "the destination's node decides the rest: "
					      "run explain there"
					    : "the destination's weft_to_pod decides the "
					      "rest"));
	return out;
}
