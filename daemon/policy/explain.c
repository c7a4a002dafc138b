// SPDX-License-Identifier: Apache-2.0
/*
 * Explaining a verdict after the fact, from the engine's policies: the
 * datapath says which entry allowed (its rule cookie: the policy) or that
 * none did; this finds the rule of that policy, or the policies that
 * select the endpoint and cover the direction. It re-evaluates selectors,
 * so it names the policies as they are when the record is made.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "bpf/datapath.h"
#include "daemon/flows/packet.h"
#include "daemon/policy/engine_internal.h"
#include "daemon/policy/explain.h"
#include "daemon/policy/netpol.h"
#include "daemon/policy/peers.h"

static const char *dir_name(int dir)
{
	return dir == WEFT_POLICY_EGRESS ? "egress" : "ingress";
}

static bool ipblock_holds(const struct netpol_peer *np, uint32_t addr)
{
	struct weft_addr a = weft_addr_from_ipv4(addr);
	struct weft_prefix host = weft_prefix_host(&a);

	if (!weft_prefix_within(&host, &np->cidr))
		return false;
	for (size_t i = 0; i < np->n_except; i++)
		if (weft_prefix_within(&host, &np->except[i]))
			return false;
	return true;
}

static bool rule_peer_ok(const struct policy *pol, const struct netpol *np,
			 const struct netpol_rule *r, const struct policy_flow *f)
{
	struct policy_peer p;
	bool have = peers_get(pol->peers, pol->cl, f->peer_identity, &p);

	if (!r->n_peers)
		return true;
	for (size_t i = 0; i < r->n_peers; i++) {
		if (r->peers[i].is_ipblock ? ipblock_holds(&r->peers[i], f->peer_addr)
					   : have && netpol_peer_selects(np, &r->peers[i], &p))
			return true;
	}
	return false;
}

/* A named port is taken as matching: the entry that allowed the flow
 * resolved it, which this does not redo. */
static bool rule_port_ok(const struct netpol_rule *r, const struct policy_flow *f)
{
	if (!r->n_ports)
		return true;
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct netpol_port *pp = &r->ports[i];

		if (pp->protocol == f->protocol &&
		    (pp->name || (f->port >= pp->port && f->port <= pp->end_port)))
			return true;
	}
	return false;
}

json_t *policy_explain_allow(struct policy *pol, const struct policy_flow *f, uint32_t rule)
{
	const struct pol_item *it = pol ? engine_item_by_cookie(pol, rule) : NULL;
	json_t *out;

	if (!pol)
		return NULL;
	out = json_pack("{s:s, s:I}", "direction", dir_name(f->dir), "cookie", (json_int_t)rule);
	if (!out || !it)
		return out;
	json_object_set_new(out, "name", json_sprintf("%s/%s", it->ns, it->name));
	for (size_t i = 0; i < it->np->n_rules[f->dir]; i++) {
		const struct netpol_rule *r = &it->np->rules[f->dir][i];

		if (rule_peer_ok(pol, it->np, r, f) && rule_port_ok(r, f)) {
			json_object_set_new(out, "rule",
					    json_sprintf("%s[%zu]", dir_name(f->dir), i));
			break;
		}
	}
	return out;
}

json_t *policy_explain_deny(struct policy *pol, const struct policy_flow *f, const char *peer)
{
	struct pol_ep *ep = pol ? engine_ep(pol, f->ep_id) : NULL;
	const struct cl_pod *p = NULL;
	json_t *out, *sel = json_array();
	char proto[8], num[8], text[1024];
	size_t n = 0;

	if (!ep || !sel) {
		json_decref(sel);
		return NULL;
	}
	snprintf(proto, sizeof(proto), "%s", flow_proto_name(f->protocol, num, sizeof(num)));
	for (char *c = proto; *c; c++)
		*c = (char)toupper((unsigned char)*c); /* TCP/80, as people write it */
	if (pol->cl && ep->ns && ep->name)
		p = cluster_find_pod(pol->cl, ep->ns, ep->name);
	for (size_t i = 0; p && i < pol->n_items; i++) {
		const struct pol_item *it = &pol->items[i];

		if (it->np->covers[f->dir] && netpol_selects(it->np, p->ns, &p->labels)) {
			json_array_append_new(sel, json_sprintf("%s/%s", it->ns, it->name));
			n++;
		}
	}
	if (ep->state != EP_ENFORCED && ep->state != EP_OPEN)
		snprintf(text, sizeof(text), "endpoint %u: %s", ep->id,
			 engine_state_name(ep->state));
	else
		snprintf(text, sizeof(text), "selected by %zu %s for %s, none allows %s/%u %s %s",
			 n, n == 1 ? "policy" : "policies", dir_name(f->dir), proto, f->port,
			 f->dir == WEFT_POLICY_EGRESS ? "to" : "from", peer);
	out = json_pack("{s:s, s:o, s:s}", "direction", dir_name(f->dir), "selectedBy", sel,
			"explanation", text);
	return out;
}

uint32_t policy_endpoint_identity(struct policy *pol, uint32_t id)
{
	struct pol_ep *ep = pol ? engine_ep(pol, id) : NULL;

	return ep ? ep->identity : 0;
}
