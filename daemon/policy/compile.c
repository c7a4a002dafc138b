// SPDX-License-Identifier: Apache-2.0
/*
 * The policy compiler (compile.h says what it compiles). Each rule is taken
 * in two steps: the peer identities it allows (selected pods, ipBlock
 * identities, or ANY), then those identities crossed with its ports.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy/compile.h"
#include "daemon/policy/portrange.h"

struct id_list {
	uint32_t *v;
	size_t n, cap;
};

struct compile {
	const struct policy_view *view;
	const struct policy_endpoint *ep;
	struct policy_entries *out;
	uint32_t shapes[NETPOL_DIRS];
	/* The rule being compiled, and the peer identities it allows (in
	 * scratch, or the rule's memo). */
	const struct netpol *pol;
	struct netpol_rule *rule;
	enum weft_policy_dir dir;
	struct id_list scratch;
	const uint32_t *ids;
	size_t n_ids;
	/* A named port's protocol, while walking its numbers. */
	uint8_t protocol;
	uint32_t named_port_peer;
	const char *port_name;
};

static bool is_cidr_identity(uint32_t id)
{
	return id >= WEFT_IDENTITY_FIRST_CIDR && id < WEFT_IDENTITY_CIDR_MAX;
}

static bool is_pod_identity(uint32_t id)
{
	return id >= WEFT_IDENTITY_FIRST_POD && id < WEFT_IDENTITY_MAX;
}

static int id_list_add(struct id_list *l, uint32_t id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint32_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* The meta entry's bit for the lookup that finds @k. */
static uint32_t key_shape(const struct weft_policy_key *k)
{
	uint32_t shape = k->protocol ? WEFT_POLICY_SHAPE_PREFIX(k->port_prefixlen)
				     : WEFT_POLICY_SHAPE_ANY_PROTO;

	if (k->peer == WEFT_POLICY_ANY_PEER)
		shape |= WEFT_POLICY_SHAPE_ANY_PEER;
	else if (is_cidr_identity(k->peer))
		shape |= WEFT_POLICY_SHAPE_CIDR_PEER;
	return shape;
}

static int emit(struct compile *c, uint32_t peer, uint32_t rule, uint8_t protocol, uint16_t port,
		uint8_t prefixlen)
{
	struct weft_policy_key k = policy_key(peer, c->dir, protocol, port, prefixlen);
	struct weft_policy_value v = {.rule = rule};

	c->shapes[c->dir] |= key_shape(&k);
	return policy_entries_add(c->out, &k, &v);
}

/* ---- peers ---------------------------------------------------------------- */

static int add_if_selected(void *fctx, const struct policy_peer *p)
{
	struct compile *c = fctx;

	for (size_t i = 0; i < c->rule->n_peers; i++) {
		if (netpol_peer_selects(c->pol, &c->rule->peers[i], p))
			return id_list_add(&c->scratch, p->identity);
	}
	return 0;
}

struct ipblock_walk {
	struct compile *c;
	const struct netpol_peer *block;
};

static int add_unless_excepted(void *fctx, const struct weft_prefix *q, uint32_t identity)
{
	struct ipblock_walk *w = fctx;

	if (!is_cidr_identity(identity))
		return 0;
	for (size_t i = 0; i < w->block->n_except; i++) {
		if (weft_prefix_within(q, &w->block->except[i]))
			return 0;
	}
	return id_list_add(&w->c->scratch, identity);
}

/* The identities c->rule allows into c->scratch. */
static int collect_peers(struct compile *c)
{
	const struct policy_view *v = c->view;
	bool has_pod_peers = false;
	int ret;

	c->scratch.n = 0;
	if (!c->rule->n_peers)
		return id_list_add(&c->scratch, WEFT_POLICY_ANY_PEER);
	for (size_t i = 0; i < c->rule->n_peers; i++) {
		const struct netpol_peer *np = &c->rule->peers[i];
		struct ipblock_walk w = {c, np};

		if (!np->is_ipblock) {
			has_pod_peers = true;
			continue;
		}
		ret = v->for_each_cidr_within(v->ctx, &np->cidr, add_unless_excepted, &w);
		if (ret)
			return ret;
	}
	return has_pod_peers ? v->for_each_peer(v->ctx, add_if_selected, c) : 0;
}

/* c->ids: the rule's memo when the view has not changed since it was made,
 * else collected anew (and kept as the memo when the view has a generation). */
static int rule_peers(struct compile *c)
{
	struct netpol_rule *r = c->rule;
	uint64_t generation = c->view->generation;
	int ret;

	if (!generation || r->memo_generation != generation) {
		ret = collect_peers(c);
		if (ret)
			return ret;
		c->ids = c->scratch.v;
		c->n_ids = c->scratch.n;
		if (!generation)
			return 0;
		free(r->memo_ids);
		r->memo_ids = c->scratch.v;
		r->n_memo_ids = c->scratch.n;
		r->memo_generation = generation;
		c->scratch = (struct id_list){};
	}
	c->ids = r->memo_ids;
	c->n_ids = r->n_memo_ids;
	return 0;
}

/* ---- ports ---------------------------------------------------------------- */

static int emit_named_port(void *fctx, uint16_t port)
{
	struct compile *c = fctx;

	return emit(c, c->named_port_peer, c->pol->cookie, c->protocol, port, PORT_BITS);
}

/* Egress to a named port: each destination identity's own numbers. */
static int emit_named_for_peer(struct compile *c, uint32_t identity)
{
	const struct policy_view *v = c->view;

	if (!is_pod_identity(identity))
		return 0;
	c->named_port_peer = identity;
	return v->for_each_named_port(v->ctx, identity, c->port_name, c->protocol, emit_named_port,
				      c);
}

static int emit_named_for_any(void *fctx, const struct policy_peer *p)
{
	return emit_named_for_peer(fctx, p->identity);
}

static int emit_named(struct compile *c, const struct netpol_port *pp)
{
	const struct policy_endpoint *ep = c->ep;
	int ret = 0;

	c->protocol = pp->protocol;
	c->port_name = pp->name;
	if (c->dir == WEFT_POLICY_INGRESS) {
		/* The port is the endpoint's own: its container port of that name. */
		for (size_t i = 0; !ret && i < ep->n_ports; i++) {
			if (!ep->ports[i].name || strcmp(ep->ports[i].name, pp->name) ||
			    ep->ports[i].protocol != pp->protocol)
				continue;
			for (size_t j = 0; !ret && j < c->n_ids; j++)
				ret = emit(c, c->ids[j], c->pol->cookie, pp->protocol,
					   ep->ports[i].port, PORT_BITS);
		}
		return ret;
	}
	if (!c->rule->n_peers)
		return c->view->for_each_peer(c->view->ctx, emit_named_for_any, c);
	for (size_t j = 0; !ret && j < c->n_ids; j++)
		ret = emit_named_for_peer(c, c->ids[j]);
	return ret;
}

static int emit_range(struct compile *c, const struct netpol_port *pp)
{
	struct port_prefix prefixes[PORT_RANGE_MAX_PREFIXES];
	size_t n = port_range_split(pp->port, pp->end_port, prefixes);
	int ret = 0;

	for (size_t j = 0; !ret && j < c->n_ids; j++) {
		for (size_t i = 0; !ret && i < n; i++)
			ret = emit(c, c->ids[j], c->pol->cookie, pp->protocol, prefixes[i].port,
				   prefixes[i].prefixlen);
	}
	return ret;
}

static int compile_rule(struct compile *c)
{
	const struct netpol_rule *r = c->rule;
	int ret;

	ret = rule_peers(c);
	if (ret)
		return ret;
	if (!r->n_ports) {
		for (size_t j = 0; !ret && j < c->n_ids; j++)
			ret = emit(c, c->ids[j], c->pol->cookie, 0, 0, 0);
		return ret;
	}
	for (size_t i = 0; !ret && i < r->n_ports; i++)
		ret = r->ports[i].name ? emit_named(c, &r->ports[i]) : emit_range(c, &r->ports[i]);
	return ret;
}

static int compile_policy(struct compile *c, const struct netpol *pol)
{
	int ret = 0;

	c->pol = pol;
	for (int dir = 0; dir < NETPOL_DIRS; dir++) {
		c->dir = dir;
		for (size_t i = 0; !ret && i < pol->n_rules[dir]; i++) {
			c->rule = &pol->rules[dir][i];
			ret = compile_rule(c);
		}
	}
	return ret;
}

int policy_compile(const struct policy_view *v, struct netpol *const *pols, size_t n,
		   const struct policy_endpoint *ep, struct policy_entries *out)
{
	struct compile c = {.view = v, .ep = ep, .out = out};
	bool covered[NETPOL_DIRS] = {};
	int ret = 0;

	policy_entries_clear(out);
	for (size_t i = 0; !ret && i < n; i++) {
		if (!netpol_selects(pols[i], ep->ns, ep->labels))
			continue;
		for (int dir = 0; dir < NETPOL_DIRS; dir++)
			covered[dir] |= pols[i]->covers[dir];
		ret = compile_policy(&c, pols[i]);
	}
	for (int dir = 0; !ret && dir < NETPOL_DIRS; dir++) {
		struct weft_policy_key meta = policy_meta_key(dir);
		struct weft_policy_value shapes;

		c.dir = dir;
		/* No policy covers it: open, and rule 0 says no policy allowed it. */
		if (!covered[dir])
			ret = emit(&c, WEFT_POLICY_ANY_PEER, 0, 0, 0, 0);
		shapes = (struct weft_policy_value){.rule = 0, .shapes = c.shapes[dir]};
		if (!ret)
			ret = policy_entries_add(out, &meta, &shapes);
	}
	free(c.scratch.v);
	if (ret)
		policy_entries_clear(out);
	return ret;
}
