// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy/compile.h"
#include "daemon/policy/peers.h"

/* One (name, protocol, number) some pods of the identity declare, and how
 * many of them do. */
struct named_port {
	char *name;
	uint16_t port;
	uint8_t protocol;
	unsigned int pods;
};

struct peer {
	uint32_t id;
	char *ns;
	struct cl_labels labels;
	unsigned int pods;
	struct named_port *ports;
	size_t n_ports;
};

struct peers {
	void *by_id; /* tsearch tree of struct peer */
	unsigned int count;
};

static int cmp_id(const void *a, const void *b)
{
	const struct peer *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int peers_new(struct peers **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void peer_free(void *p)
{
	struct peer *pe = p;

	for (size_t i = 0; i < pe->n_ports; i++)
		free(pe->ports[i].name);
	free(pe->ports);
	cl_labels_clear(&pe->labels);
	free(pe->ns);
	free(pe);
}

void peers_free(struct peers *ps)
{
	if (!ps)
		return;
	tdestroy(ps->by_id, peer_free);
	free(ps);
}

static struct peer *find(const struct peers *ps, uint32_t id)
{
	struct peer probe = {.id = id}, **found = tfind(&probe, &ps->by_id, cmp_id);

	return found ? *found : NULL;
}

static struct peer *peer_new(const struct cl_pod *p, uint32_t id)
{
	struct peer *pe = calloc(1, sizeof(*pe));

	if (!pe)
		return NULL;
	pe->id = id;
	pe->ns = strdup(p->ns);
	if (!pe->ns)
		goto free_peer;
	for (size_t i = 0; i < p->labels.n; i++)
		if (cl_labels_add(&pe->labels, p->labels.v[i].key, p->labels.v[i].value))
			goto free_peer;
	return pe;
free_peer:
	peer_free(pe);
	return NULL;
}

static struct named_port *port_find(struct peer *pe, const struct cl_port *cp)
{
	for (size_t i = 0; i < pe->n_ports; i++) {
		struct named_port *np = &pe->ports[i];

		if (np->port == cp->port && np->protocol == cp->protocol &&
		    !strcmp(np->name, cp->name))
			return np;
	}
	return NULL;
}

/* Count @p's named ports under @pe; *@changed when one is new. */
static int ports_add(struct peer *pe, const struct cl_pod *p, bool *changed)
{
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct cl_port *cp = &p->ports[i];
		struct named_port *np, *grown;

		if (!cp->name)
			continue;
		np = port_find(pe, cp);
		if (np) {
			np->pods++;
			continue;
		}
		grown = realloc(pe->ports, (pe->n_ports + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		pe->ports = grown;
		np = &pe->ports[pe->n_ports];
		np->name = strdup(cp->name);
		if (!np->name)
			return -ENOMEM;
		np->port = cp->port;
		np->protocol = cp->protocol;
		np->pods = 1;
		pe->n_ports++;
		*changed = true;
	}
	return 0;
}

static void ports_del(struct peer *pe, const struct cl_pod *p, bool *changed)
{
	for (size_t i = 0; i < p->n_ports; i++) {
		struct named_port *np;

		if (!p->ports[i].name)
			continue;
		np = port_find(pe, &p->ports[i]);
		if (!np || --np->pods)
			continue;
		free(np->name);
		*np = pe->ports[--pe->n_ports];
		*changed = true;
	}
}

int peers_pod_add(struct peers *ps, uint32_t id, const struct cl_pod *p, bool *identity_new,
		  bool *ports_changed)
{
	struct peer *pe = find(ps, id);

	*identity_new = *ports_changed = false;
	if (!pe) {
		pe = peer_new(p, id);
		if (!pe)
			return -ENOMEM;
		if (!tsearch(pe, &ps->by_id, cmp_id)) {
			peer_free(pe);
			return -ENOMEM;
		}
		ps->count++;
		*identity_new = true;
	}
	pe->pods++;
	/* A port that could not be recorded stays unknown: egress named
	 * ports then miss it, which denies rather than allows. */
	return ports_add(pe, p, ports_changed);
}

void peers_pod_del(struct peers *ps, uint32_t id, const struct cl_pod *p, bool *identity_gone,
		   bool *ports_changed)
{
	struct peer *pe = find(ps, id);

	*identity_gone = *ports_changed = false;
	if (!pe)
		return;
	ports_del(pe, p, ports_changed);
	if (--pe->pods)
		return;
	tdelete(pe, &ps->by_id, cmp_id);
	peer_free(pe);
	ps->count--;
	*identity_gone = true;
}

static void to_policy_peer(const struct peer *pe, const struct cluster *cl,
			   struct policy_peer *out)
{
	const struct cl_namespace *ns = cl ? cluster_find_namespace(cl, pe->ns) : NULL;

	out->identity = pe->id;
	out->ns = pe->ns;
	out->labels = &pe->labels;
	out->ns_labels = ns ? &ns->labels : NULL;
}

bool peers_get(const struct peers *ps, const struct cluster *cl, uint32_t id,
	       struct policy_peer *out)
{
	const struct peer *pe = find(ps, id);

	if (pe)
		to_policy_peer(pe, cl, out);
	return pe != NULL;
}

/* twalk() has no context argument: the walk state lives here for the one
 * walk in progress (weftd is single-threaded, and @fn must not walk again). */
static struct {
	const struct cluster *cl;
	int (*fn)(void *ctx, const struct policy_peer *p);
	void *ctx;
	int ret;
} walk;

static void visit(const void *node, VISIT which, int depth)
{
	struct policy_peer pp;

	(void)depth;
	if ((which != postorder && which != leaf) || walk.ret)
		return;
	to_policy_peer(*(const struct peer *const *)node, walk.cl, &pp);
	walk.ret = walk.fn(walk.ctx, &pp);
}

int peers_for_each(const struct peers *ps, const struct cluster *cl,
		   int (*fn)(void *ctx, const struct policy_peer *p), void *ctx)
{
	walk.cl = cl;
	walk.fn = fn;
	walk.ctx = ctx;
	walk.ret = 0;
	twalk(ps->by_id, visit);
	return walk.ret;
}

int peers_for_each_named_port(const struct peers *ps, uint32_t id, const char *name,
			      uint8_t protocol, int (*fn)(void *ctx, uint16_t port), void *ctx)
{
	const struct peer *pe = find(ps, id);
	int err;

	for (size_t i = 0; pe && i < pe->n_ports; i++) {
		const struct named_port *np = &pe->ports[i];

		/* (name, protocol, number) is unique in ports[] (port_find),
		 * so each number comes once. */
		if (np->protocol != protocol || strcmp(np->name, name))
			continue;
		err = fn(ctx, np->port);
		if (err)
			return err;
	}
	return 0;
}

unsigned int peers_count(const struct peers *ps)
{
	return ps->count;
}
