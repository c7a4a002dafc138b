// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy/compile.h"
#include "daemon/policy/peers.h"
#include "hash.h"
#include "hash_tab.h"

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
	struct hash_tab by_id; /* struct peer */
	unsigned int count;
};

static uint64_t id_hash(uint32_t id)
{
	return hash_mix64(id);
}

static bool id_eq(const void *obj, const void *id)
{
	return ((const struct peer *)obj)->id == *(const uint32_t *)id;
}

int peers_new(struct peers **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void peer_free(struct peer *pe)
{
	for (size_t i = 0; i < pe->n_ports; i++)
		free(pe->ports[i].name);
	free(pe->ports);
	cl_labels_clear(&pe->labels);
	free(pe->ns);
	free(pe);
}

void peers_free(struct peers *ps)
{
	struct peer *pe;
	size_t i = 0;

	if (!ps)
		return;
	while ((pe = hash_tab_next(&ps->by_id, &i)))
		peer_free(pe);
	hash_tab_clear(&ps->by_id);
	free(ps);
}

static struct peer *find(const struct peers *ps, uint32_t id)
{
	return hash_tab_find(&ps->by_id, id_hash(id), id_eq, &id);
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
	if (cl_labels_copy(&pe->labels, &p->labels))
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
		if (hash_tab_add(&ps->by_id, id_hash(id), pe)) {
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
	hash_tab_remove(&ps->by_id, id_hash(id), pe);
	peer_free(pe);
	ps->count--;
	*identity_gone = true;
}

static void to_policy_peer(const struct peer *pe, const struct cluster *cl, struct policy_peer *out)
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

int peers_for_each(const struct peers *ps, const struct cluster *cl,
		   int (*fn)(void *ctx, const struct policy_peer *p), void *ctx)
{
	const struct peer *pe;
	struct policy_peer pp;
	size_t i = 0;
	int err;

	while ((pe = hash_tab_next(&ps->by_id, &i))) {
		to_policy_peer(pe, cl, &pp);
		err = fn(ctx, &pp);
		if (err)
			return err;
	}
	return 0;
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
