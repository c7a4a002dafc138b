// SPDX-License-Identifier: Apache-2.0
/*
 * Reading the policy back for people: `weftctl policy` shows what an
 * endpoint's map really holds (read from the kernel, not weftd's copy), with
 * identities and policies named; `status` shows each map's fill.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy/cidrs.h"
#include "daemon/policy/compile.h"
#include "daemon/policy/engine_internal.h"
#include "daemon/policy/entries.h"
#include "daemon/policy/peers.h"
#include "daemon/policy/spares.h"
#include "daemon/datapath/maps.h"

const char *engine_state_name(enum ep_state s)
{
	switch (s) {
	case EP_OPEN: return "open";
	case EP_ENFORCED: return "enforced";
	case EP_DENY_UNKNOWN: return "deny-all: pod not in the cluster state yet";
	case EP_DENY_OVERFLOW: return "deny-all: policy map limit reached";
	case EP_WRITE_FAILED: return "write failed, retrying";
	}
	return "?";
}

static json_t *peer_json(const struct policy *pol, uint32_t id)
{
	struct policy_peer p;
	const struct weft_prefix *cidr;
	char buf[WEFT_PREFIX_STRLEN];

	switch (id) {
	case WEFT_POLICY_ANY_PEER: return json_pack("{s:s}", "kind", "any");
	case WEFT_IDENTITY_HOST: return json_pack("{s:s, s:I}", "kind", "host", "identity", (json_int_t)id);
	case WEFT_IDENTITY_WORLD: return json_pack("{s:s, s:I}", "kind", "world", "identity", (json_int_t)id);
	case WEFT_IDENTITY_REMOTE_NODE:
		return json_pack("{s:s, s:I}", "kind", "remote-node", "identity", (json_int_t)id);
	}
	if (id >= WEFT_IDENTITY_FIRST_CIDR && id < WEFT_IDENTITY_CIDR_MAX) {
		cidr = cidrs_prefix(pol->cidrs, id);
		return json_pack("{s:s, s:I, s:s}", "kind", "ipBlock", "identity", (json_int_t)id,
				 "cidr", cidr ? weft_prefix_format(cidr, buf, sizeof(buf)) : "?");
	}
	if (peers_get(pol->peers, pol->cl, id, &p))
		return json_pack("{s:s, s:I, s:s, s:o}", "kind", "pods", "identity",
				 (json_int_t)id, "namespace", p.ns, "labels",
				 cl_labels_json(p.labels));
	/* An identity no pod holds any more: the entry goes at the next flush. */
	return json_pack("{s:s, s:I}", "kind", "stale", "identity", (json_int_t)id);
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 0: return "any";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	}
	return "?";
}

struct show {
	const struct policy *pol;
	json_t *rules;
	json_t *shapes; /* direction -> meta shapes */
};

static int show_entry(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	struct show *s = ctx;
	const char *dir = k->direction == WEFT_POLICY_EGRESS ? "egress" : "ingress";
	uint32_t lo = ntohs(k->port), span = 1u << (16 - k->port_prefixlen);
	const struct pol_item *it;
	char ports[16] = "all";
	json_t *row;

	if (k->peer == WEFT_POLICY_META_PEER) {
		json_object_set_new(s->shapes, dir, json_integer(v->shapes));
		return 0;
	}
	if (k->protocol && k->port_prefixlen == 16)
		snprintf(ports, sizeof(ports), "%u", lo);
	else if (k->protocol && k->port_prefixlen)
		snprintf(ports, sizeof(ports), "%u-%u", lo, lo + span - 1);
	it = engine_item_by_cookie(s->pol, v->rule);
	row = json_pack("{s:s, s:o, s:s, s:s, s:I}", "direction", dir, "peer",
			peer_json(s->pol, k->peer), "protocol", proto_name(k->protocol), "ports",
			ports, "rule", (json_int_t)v->rule);
	if (!row)
		return -ENOMEM;
	if (it)
		json_object_set_new(row, "policy",
				    json_sprintf("%s/%s", it->ns, it->name));
	else
		json_object_set_new(row, "policy", v->rule ? json_string("?") : json_null());
	return json_array_append_new(s->rules, row) ? -ENOMEM : 0;
}

/* Rows in a stable order for people: direction, then peer, protocol, port. */
static int row_cmp(const void *a, const void *b)
{
	const struct weft_policy_key *x = a, *y = b;

	if (x->direction != y->direction)
		return x->direction < y->direction ? -1 : 1;
	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	if (x->protocol != y->protocol)
		return x->protocol < y->protocol ? -1 : 1;
	return (int)ntohs(x->port) - (int)ntohs(y->port);
}

struct collect {
	struct weft_policy_key *keys;
	size_t n;
};

static int collect_key(void *ctx, const struct weft_policy_key *k, const struct weft_policy_value *v)
{
	struct collect *c = ctx;

	(void)v;
	c->keys[c->n++] = *k;
	return 0;
}

static int show_sorted(const struct policy_entries *read, struct show *s)
{
	struct collect c = {.keys = calloc(policy_entries_count(read) + 1, sizeof(*c.keys))};
	int err = 0;

	if (!c.keys)
		return -ENOMEM;
	policy_entries_for_each(read, collect_key, &c);
	qsort(c.keys, c.n, sizeof(*c.keys), row_cmp);
	for (size_t i = 0; i < c.n && !err; i++)
		err = show_entry(s, &c.keys[i], policy_entries_get(read, &c.keys[i]));
	free(c.keys);
	return err;
}

json_t *policy_show(struct policy *pol, uint32_t id, struct weft_api_error *e)
{
	struct pol_ep *ep = engine_ep(pol, id);
	struct policy_entries *read = NULL;
	struct show s = {.pol = pol};
	json_t *out = NULL;
	int err;

	if (!ep || ep->map.fd < 0) {
		api_err_set(e, ENOENT, "endpoint", "endpoint %u has no policy map", id);
		return NULL;
	}
	err = policy_entries_new(&read);
	if (!err)
		err = policy_map_read(ep->map.fd, read);
	s.rules = json_array();
	s.shapes = json_object();
	if (!err && (!s.rules || !s.shapes))
		err = -ENOMEM;
	if (!err)
		err = show_sorted(read, &s);
	if (err) {
		api_err_set(e, -err, "endpoint", "read the policy map of endpoint %u: %s", id,
			    strerror(-err));
		goto free_read;
	}
	out = json_pack("{s:I, s:s?, s:s?, s:I, s:s, s:I, s:I, s:I, s:O, s:O}", "endpoint",
			(json_int_t)id, "namespace", ep->ns, "pod", ep->name, "identity",
			(json_int_t)ep->identity, "state", engine_state_name(ep->state), "entries",
			(json_int_t)policy_entries_count(read), "maxEntries",
			(json_int_t)ep->map.max_entries, "mapId", (json_int_t)ep->map.map_id,
			"shapes", s.shapes, "rules", s.rules);
free_read:
	json_decref(s.rules);
	json_decref(s.shapes);
	policy_entries_free(read);
	return out;
}

json_t *policy_status(struct policy *pol)
{
	json_t *eps = json_array(), *invalid = json_array(), *out;

	for (struct pol_ep *ep = pol->eps; ep; ep = ep->next) {
		json_t *row = json_pack("{s:I, s:s?, s:s?, s:s, s:I, s:I, s:I}", "endpoint",
					(json_int_t)ep->id, "namespace", ep->ns, "pod", ep->name,
					"state", engine_state_name(ep->state), "entries",
					(json_int_t)(ep->map.cur ? policy_entries_count(ep->map.cur) : 0),
					"maxEntries", (json_int_t)ep->map.max_entries, "limit",
					(json_int_t)WEFT_POLICY_MAP_MAX_ENTRIES);

		json_array_append_new(eps, row);
	}
	for (size_t i = 0; i < pol->n_items; i++)
		if (pol->items[i].error)
			json_array_append_new(invalid,
					      json_pack("{s:s, s:s, s:s}", "namespace",
							pol->items[i].ns, "name", pol->items[i].name,
							"error", pol->items[i].error));
	out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I}, s:o, s:o}",
			"revision", (json_int_t)pol->revision, "policies", (json_int_t)pol->n_items,
			"podIdentities", (json_int_t)peers_count(pol->peers), "ipBlocks",
			(json_int_t)cidrs_count(pol->cidrs), "conntrackLive",
			(json_int_t)pol->ct_live, "conntrackGC", "runs", (json_int_t)pol->ct_gc_runs,
			"removed", (json_int_t)pol->ct_gc_removed, "lastFlush", "endpoints",
			(json_int_t)pol->last_flush_eps, "us", (json_int_t)pol->last_flush_us,
			"invalid", invalid, "endpoints", eps);
	if (out && pol->spares) {
		struct spares_stats st;

		spares_get_stats(pol->spares, &st);
		json_object_set_new(
			out, "spareMaps",
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ready",
				  (json_int_t)st.ready, "queued", (json_int_t)st.queued, "installed",
				  (json_int_t)st.installed, "taken", (json_int_t)st.taken, "missed",
				  (json_int_t)st.missed, "given", (json_int_t)st.given, "removed",
				  (json_int_t)st.removed, "failed", (json_int_t)st.failed));
	}
	return out;
}

json_t *policy_identity_json(const struct policy *pol, uint32_t id)
{
	return peer_json(pol, id);
}

static int append_pod_identity(void *ctx, const struct policy_peer *p)
{
	json_t *arr = ctx;

	return json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:o}", "kind", "pods",
						    "identity", (json_int_t)p->identity,
						    "namespace", p->ns, "labels",
						    cl_labels_json(p->labels)))
		       ? -ENOMEM
		       : 0;
}

static int append_cidr_identity(void *ctx, const struct weft_prefix *q, uint32_t id)
{
	char buf[WEFT_PREFIX_STRLEN];

	return json_array_append_new(ctx, json_pack("{s:s, s:I, s:s}", "kind", "ipBlock",
						    "identity", (json_int_t)id, "cidr",
						    weft_prefix_format(q, buf, sizeof(buf))))
		       ? -ENOMEM
		       : 0;
}

json_t *policy_identities_json(struct policy *pol)
{
	static const uint32_t reserved[] = {WEFT_IDENTITY_HOST, WEFT_IDENTITY_WORLD,
					    WEFT_IDENTITY_REMOTE_NODE};
	struct weft_prefix all = {.addr.family = AF_INET}; /* 0.0.0.0/0 */
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < sizeof(reserved) / sizeof(reserved[0]); i++)
		json_array_append_new(arr, peer_json(pol, reserved[i]));
	if (!arr || peers_for_each(pol->peers, pol->cl, append_pod_identity, arr) ||
	    cidrs_for_each_within(pol->cidrs, &all, append_cidr_identity, arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}
