// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <errno.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster/cluster.h"
#include "daemon/datapath/conntrack.h"
#include "daemon/datapath/maps.h"
#include "daemon/policy/cidrs.h"
#include "daemon/policy/compile.h"
#include "daemon/policy/engine_internal.h"
#include "daemon/policy/entries.h"
#include "daemon/policy/identity.h"
#include "daemon/policy/netpol.h"
#include "daemon/policy/peers.h"
#include "daemon/policy/spares.h"
#include "clock.h"
#include "hash.h"
#include "log.h"
#include "steps.h"

/* A pod that holds a pod identity on the wire (cluster.h says why not the
 * others). */
static bool is_peer(const struct cl_pod *p)
{
	return p && !p->host_network && !p->terminated;
}

/* --- marking what a change affects ------------------------------------------ */

static const struct cl_pod *ep_pod(const struct policy *pol, const struct pol_ep *ep)
{
	return pol->cl && ep->ns && ep->name ? cluster_find_pod(pol->cl, ep->ns, ep->name) : NULL;
}

static void mark(struct policy *pol, struct pol_ep *ep)
{
	ep->dirty = true;
	pol->any_dirty = true;
}

/* Every endpoint @np selects; endpoints whose pod is unknown are marked when
 * in its namespace (whether they are open depends on the policies there). */
static void mark_selected(struct policy *pol, const struct netpol *np, const char *ns)
{
	for (struct pol_ep *ep = pol->eps; ep; ep = ep->next) {
		const struct cl_pod *p;

		if (!ep->ns || strcmp(ep->ns, ns))
			continue;
		p = ep_pod(pol, ep);
		if (!p || netpol_selects(np, p->ns, &p->labels))
			mark(pol, ep);
	}
}

/* The endpoints of every policy that may select @peer. */
static void mark_peer(struct policy *pol, const struct policy_peer *peer, bool named_ports_only)
{
	for (size_t i = 0; i < pol->n_items; i++) {
		const struct pol_item *it = &pol->items[i];

		if (named_ports_only ? netpol_has_named_ports(it->np)
				     : netpol_peer_may_select(it->np, peer))
			mark_selected(pol, it->np, it->ns);
	}
}

/* --- policies ------------------------------------------------------------------ */

/* Stable across restarts (so a restart rewrites no value): a hash of the
 * name, probed past the cookies in use. Never 0 (the open entries' rule). */
static uint32_t cookie_for(const struct policy *pol, const char *ns, const char *name)
{
	uint32_t c = fnv1a32(fnv1a32(FNV1A32_OFFSET, ns, strlen(ns) + 1), name, strlen(name));

	c = (c & 0x7fffffff) ?: 1;
	while (engine_item_by_cookie(pol, c))
		c = (c + 1) & 0x7fffffff ?: 1;
	return c;
}

static int ref_cidr(void *ctx, const struct weft_prefix *p)
{
	return cidrs_ref(ctx, p);
}

static int unref_cidr(void *ctx, const struct weft_prefix *p)
{
	cidrs_unref(ctx, p);
	return 0;
}

/*
 * Parse @cp into a netpol. A spec the parser refuses cannot be enforced as
 * written, and ignoring it would open what it meant to close: it stands as
 * a deny-all for every pod of its namespace until it is fixed, and the
 * error (with the field) is logged and shown in `weftctl status`.
 */
static int parse_item(const struct cl_policy *cp, uint32_t cookie, struct netpol **np,
		      char **error)
{
	char err[512];
	struct cl_policy stand_in = {.ns = cp->ns, .name = cp->name};
	int ret;

	*error = NULL;
	ret = netpol_parse(cp, cookie, np, err, sizeof(err));
	if (ret != -EINVAL)
		return ret;
	pr_warn("%s; denying all traffic of namespace %s until it is fixed", err, cp->ns);
	*error = strdup(err);
	stand_in.spec = json_pack("{s:{}, s:[s,s]}", "podSelector", "policyTypes", "Ingress",
				  "Egress");
	if (!stand_in.spec || !*error)
		ret = -ENOMEM;
	else
		ret = netpol_parse(&stand_in, cookie, np, err, sizeof(err));
	json_decref(stand_in.spec);
	return ret;
}

static void item_clear(struct pol_item *it)
{
	netpol_free(it->np);
	free(it->ns);
	free(it->name);
	free(it->error);
}

static void rebuild_nps(struct policy *pol)
{
	for (size_t i = 0; i < pol->n_items; i++)
		pol->nps[i] = pol->items[i].np;
}

static int item_add(struct policy *pol, const struct cl_policy *cp)
{
	struct pol_item it = {0};
	int err;

	if (pol->n_items == pol->cap_items) {
		size_t cap = pol->cap_items ? pol->cap_items * 2 : 16;
		struct pol_item *items = realloc(pol->items, cap * sizeof(*items));
		struct netpol **nps;

		if (!items)
			return -ENOMEM;
		pol->items = items;
		nps = realloc(pol->nps, cap * sizeof(*nps));
		if (!nps)
			return -ENOMEM;
		pol->nps = nps;
		pol->cap_items = cap;
	}
	it.cookie = cookie_for(pol, cp->ns, cp->name);
	it.ns = strdup(cp->ns);
	it.name = strdup(cp->name);
	if (!it.ns || !it.name) {
		err = -ENOMEM;
		goto clear_item;
	}
	err = parse_item(cp, it.cookie, &it.np, &it.error);
	if (err)
		goto clear_item;
	err = netpol_for_each_cidr(it.np, ref_cidr, pol->cidrs);
	if (err) {
		netpol_for_each_cidr(it.np, unref_cidr, pol->cidrs);
		goto clear_item;
	}
	pol->items[pol->n_items++] = it;
	rebuild_nps(pol);
	mark_selected(pol, it.np, it.ns);
	return 0;
clear_item:
	item_clear(&it);
	return err;
}

static void item_del(struct policy *pol, struct pol_item *it)
{
	mark_selected(pol, it->np, it->ns);
	netpol_for_each_cidr(it->np, unref_cidr, pol->cidrs);
	item_clear(it);
	*it = pol->items[--pol->n_items];
	rebuild_nps(pol);
}

static ssize_t item_index(const struct policy *pol, const char *ns, const char *name)
{
	for (size_t i = 0; i < pol->n_items; i++)
		if (!strcmp(pol->items[i].ns, ns) && !strcmp(pol->items[i].name, name))
			return (ssize_t)i;
	return -1;
}

static void on_policy(void *ctx, enum cluster_event ev, const struct cl_policy *old,
		      const struct cl_policy *cur)
{
	struct policy *pol = ctx;
	const struct cl_policy *any = cur ? cur : old;
	ssize_t prev = item_index(pol, any->ns, any->name);
	uint32_t cookie = prev >= 0 ? pol->items[prev].cookie : 0;
	int err;

	pol->view_gen++; /* its ipBlock prefixes */

	/* The new version goes in before the old comes out, so the ipBlock
	 * prefixes both name keep their identity; it takes over the old
	 * cookie (item_add appends, so @prev stays valid). */
	if (ev != CLUSTER_DELETE) {
		if (prev >= 0)
			pol->items[prev].cookie = 0;
		err = item_add(pol, cur);
		if (err) {
			/* The old version stays in force rather than none. */
			pr_warn("networkpolicy %s/%s: cannot compile: %s", cur->ns, cur->name,
				strerror(-err));
			if (prev >= 0)
				pol->items[prev].cookie = cookie;
			return;
		}
	}
	if (prev >= 0)
		item_del(pol, &pol->items[prev]);
}

/* --- pods and namespaces ----------------------------------------------------- */

static void peer_add(struct policy *pol, const struct cl_pod *p)
{
	uint32_t id = identity_get(pol->ids, p->ns, &p->labels);
	struct policy_peer peer;
	bool is_new, ports;

	if (!id || peers_pod_add(pol->peers, id, p, &is_new, &ports)) {
		pr_warn("policy: out of memory adding pod %s/%s as a peer", p->ns, p->name);
		return;
	}
	if ((is_new || ports) && peers_get(pol->peers, pol->cl, id, &peer))
		mark_peer(pol, &peer, !is_new);
}

static void peer_del(struct policy *pol, const struct cl_pod *p)
{
	uint32_t id = identity_lookup(pol->ids, p->ns, &p->labels);
	struct policy_peer peer;
	bool gone, ports;

	if (!id)
		return;
	/* Mark while the peer is still there to be matched. */
	if (peers_get(pol->peers, pol->cl, id, &peer))
		mark_peer(pol, &peer, false);
	peers_pod_del(pol->peers, id, p, &gone, &ports);
	identity_put(pol->ids, id);
}

static void ep_set_identity(struct policy *pol, struct pol_ep *ep, const struct cl_pod *p)
{
	uint32_t id = p ? identity_get(pol->ids, p->ns, &p->labels) : 0;

	if (ep->identity)
		identity_put(pol->ids, ep->identity);
	ep->identity = id;
	for (int i = 0; i < ep->n_ips; i++)
		maps_endpoint_set_identity(pol->maps, &ep->ips[i], ep->id, id);
}

static void on_pod(void *ctx, enum cluster_event ev, const struct cl_pod *old,
		   const struct cl_pod *cur)
{
	struct policy *pol = ctx;
	const struct cl_pod *any = cur ? cur : old;

	pol->view_gen++;

	/* New reference first: an unchanged label set keeps its number. */
	if (ev != CLUSTER_DELETE && is_peer(cur))
		peer_add(pol, cur);
	if (ev != CLUSTER_ADD && is_peer(old))
		peer_del(pol, old);
	for (struct pol_ep *ep = pol->eps; ep; ep = ep->next) {
		if (!ep->ns || !ep->name || strcmp(ep->ns, any->ns) || strcmp(ep->name, any->name))
			continue;
		ep_set_identity(pol, ep, cur);
		mark(pol, ep);
	}
}

struct ns_change {
	struct policy *pol;
	const struct cl_namespace *old, *cur;
};

static int mark_ns_peer(void *ctx, const struct policy_peer *p)
{
	const struct ns_change *w = ctx;
	struct policy_peer as = *p;

	if (strcmp(p->ns, w->cur->name))
		return 0;
	as.ns_labels = &w->old->labels;
	mark_peer(w->pol, &as, false);
	as.ns_labels = &w->cur->labels;
	mark_peer(w->pol, &as, false);
	return 0;
}

static void on_namespace(void *ctx, enum cluster_event ev, const struct cl_namespace *old,
			 const struct cl_namespace *cur)
{
	struct ns_change w = {ctx, old, cur};

	/* Only a change of labels moves namespaceSelector matches; a new
	 * namespace has no pods yet, a deleted one none left. Its pods are
	 * matched with the labels before and after. */
	w.pol->view_gen++;
	if (ev == CLUSTER_UPDATE)
		peers_for_each(w.pol->peers, w.pol->cl, mark_ns_peer, &w);
}

/* --- compiling and writing ---------------------------------------------------- */

static int view_peers(void *ctx, int (*fn)(void *fctx, const struct policy_peer *p), void *fctx)
{
	struct policy *pol = ctx;

	return peers_for_each(pol->peers, pol->cl, fn, fctx);
}

static const struct cl_labels *view_ns_labels(void *ctx, const char *ns)
{
	struct policy *pol = ctx;
	const struct cl_namespace *n = pol->cl ? cluster_find_namespace(pol->cl, ns) : NULL;

	return n ? &n->labels : NULL;
}

static int view_named_ports(void *ctx, uint32_t id, const char *name, uint8_t protocol,
			    int (*fn)(void *fctx, uint16_t port), void *fctx)
{
	struct policy *pol = ctx;

	return peers_for_each_named_port(pol->peers, id, name, protocol, fn, fctx);
}

static int view_cidrs(void *ctx, const struct weft_prefix *p,
		      int (*fn)(void *fctx, const struct weft_prefix *q, uint32_t id), void *fctx)
{
	struct policy *pol = ctx;

	return cidrs_for_each_within(pol->cidrs, p, fn, fctx);
}

static bool ns_has_policy(const struct policy *pol, const char *ns)
{
	for (size_t i = 0; i < pol->n_items; i++)
		if (!strcmp(pol->items[i].ns, ns))
			return true;
	return false;
}

/* Both meta entries with no shapes: nothing matches either way. */
static int deny_all(struct policy_entries *out)
{
	struct weft_policy_key k = {.peer = WEFT_POLICY_META_PEER};
	struct weft_policy_value v = {0};
	int err;

	policy_entries_clear(out);
	k.direction = WEFT_POLICY_INGRESS;
	err = policy_entries_add(out, &k, &v);
	k.direction = WEFT_POLICY_EGRESS;
	return err ?: policy_entries_add(out, &k, &v);
}

static int compile_ep(struct policy *pol, struct pol_ep *ep)
{
	const struct policy_view view = {
		.for_each_peer = view_peers,
		.ns_labels = view_ns_labels,
		.for_each_named_port = view_named_ports,
		.for_each_cidr_within = view_cidrs,
		.ctx = pol,
		.generation = pol->view_gen,
	};
	const struct cl_pod *p = ep_pod(pol, ep);
	struct cl_labels none = {0};
	struct policy_endpoint pe = {.ns = ep->ns ? ep->ns : "", .labels = &none};
	size_t n = pol->n_items;
	int err;

	if (!p && ep->ns && ns_has_policy(pol, ep->ns)) {
		ep->state = EP_DENY_UNKNOWN;
		return deny_all(pol->scratch);
	}
	if (p) {
		pe.labels = &p->labels;
		pe.ports = p->ports;
		pe.n_ports = p->n_ports;
	} else {
		n = 0; /* no namespace, or none of its policies: open */
	}
	err = policy_compile(&view, pol->nps, n, &pe, pol->scratch);
	if (err)
		return err;
	ep->state = EP_OPEN;
	for (size_t i = 0; i < n && ep->state == EP_OPEN; i++)
		if (netpol_selects(pol->nps[i], pe.ns, pe.labels))
			ep->state = EP_ENFORCED;
	return 0;
}

static void report_overflow(struct policy *pol, struct pol_ep *ep)
{
	char biggest[512] = "";
	size_t off = 0;

	for (size_t i = 0; i < pol->n_items && off < sizeof(biggest) - 1; i++) {
		const struct pol_item *it = &pol->items[i];
		const struct cl_pod *p = ep_pod(pol, ep);

		if (p && netpol_selects(it->np, p->ns, &p->labels))
			off += (size_t)snprintf(biggest + off, sizeof(biggest) - off, "%s%s/%s",
						off ? ", " : "", it->ns, it->name);
	}
	pr_warn("endpoint %u (%s/%s): its policies need %zu policy map entries, more than the "
		"limit of %u; denying all its traffic until they shrink (policies: %s)",
		ep->id, ep->ns ?: "-", ep->name ?: "-", ep->wanted, WEFT_POLICY_MAP_MAX_ENTRIES,
		biggest);
}

/* Compile @ep and write what differs. *@changed when the map changed. */
static int sync_ep(struct policy *pol, struct pol_ep *ep, bool *changed)
{
	int outer = maps_fd(pol->maps, WEFT_MAP_POLICY_MAPS), err;

	*changed = false;
	if (outer < 0)
		return outer;
	err = compile_ep(pol, ep);
	if (err) {
		pr_warn("endpoint %u: cannot compile its policy: %s", ep->id, strerror(-err));
		return err;
	}
	ep->wanted = policy_entries_count(pol->scratch);
	err = policy_map_apply(&ep->map, outer, ep->id, &pol->scratch, changed);
	if (err == -E2BIG) {
		report_overflow(pol, ep);
		ep->state = EP_DENY_OVERFLOW;
		err = deny_all(pol->scratch);
		if (!err)
			err = policy_map_apply(&ep->map, outer, ep->id, &pol->scratch, changed);
	}
	if (err)
		ep->state = EP_WRITE_FAILED;
	ep->dirty = err != 0;
	return err;
}

static void bump_revision(struct policy *pol)
{
	int fd = maps_fd(pol->maps, WEFT_MAP_POLICY_STATE);
	struct weft_policy_state st = {0};
	__u32 zero = 0;

	if (fd < 0)
		return;
	st.revision = ++pol->revision ?: ++pol->revision; /* 0 means "never checked" */
	if (bpf_map_update_elem(fd, &zero, &st, BPF_ANY))
		pr_warn("weft_policy_state: cannot bump the revision: %s", strerror(errno));
}

static void adopt_shared(struct policy *pol)
{
	int fd = maps_fd(pol->maps, WEFT_MAP_POLICY_STATE);
	struct weft_policy_state st;
	__u32 zero = 0;

	if (pol->cidrs_adopted)
		return;
	if (fd < 0 || maps_fd(pol->maps, WEFT_MAP_POLICY_CIDRS) < 0)
		return;
	if (!bpf_map_lookup_elem(fd, &zero, &st))
		pol->revision = st.revision;
	if (!cidrs_adopt(pol->cidrs, maps_fd(pol->maps, WEFT_MAP_POLICY_CIDRS)))
		pol->cidrs_adopted = true;
}

void policy_flush(struct policy *pol)
{
	long long start = now_us();
	bool changed, any = false;
	unsigned int n = 0;

	if (!pol || !pol->any_dirty)
		return;
	adopt_shared(pol);
	pol->any_dirty = false;
	for (struct pol_ep *ep = pol->eps; ep; ep = ep->next) {
		if (!ep->dirty)
			continue;
		n++;
		if (sync_ep(pol, ep, &changed))
			pol->any_dirty = true; /* retried from the tick */
		any |= changed;
	}
	/* After the maps that name new ipBlock identities (cidrs.h). */
	cidrs_flush(pol->cidrs, maps_fd(pol->maps, WEFT_MAP_POLICY_CIDRS));
	if (any)
		bump_revision(pol);
	pol->last_flush_us = (uint64_t)(now_us() - start);
	pol->last_flush_eps = n;
	pr_debug("policy: %u endpoint(s) compiled in %llu us%s", n,
		 (unsigned long long)pol->last_flush_us, any ? ", revision bumped" : "");
}

/* --- endpoints ------------------------------------------------------------------ */

/* Entries a DEL deletes one by one to keep the map as a spare; a bigger
 * map goes to the spares' thread to be removed (one grace period there). */
#define SPARE_EMPTY_MAX 4096

/*
 * The endpoint's map leaves with it (@clear_slot), without a grace period
 * on the loop (spares.h): emptied and kept in its slot as a spare, or
 * handed to the spares' thread to remove. Without the pool, or when the
 * map cannot be emptied, the slot is cleared here.
 */
static bool retire_map(struct policy *pol, struct pol_ep *ep, int outer)
{
	if (!pol->spares || outer < 0 || ep->map.fd < 0)
		return false;
	if (policy_entries_count(ep->map.cur) > SPARE_EMPTY_MAX) {
		spares_remove(pol->spares, outer, ep->id);
		return true;
	}
	if (policy_map_empty(&ep->map, ep->id))
		return false;
	spares_give(pol->spares, outer, ep->id);
	return true;
}

static void ep_free(struct policy *pol, struct pol_ep *ep, bool clear_slot)
{
	int outer = maps_fd(pol->maps, WEFT_MAP_POLICY_MAPS);

	if (clear_slot && retire_map(pol, ep, outer))
		clear_slot = false;
	policy_map_release(&ep->map, outer, ep->id, clear_slot);
	if (ep->identity)
		identity_put(pol->ids, ep->identity);
	free(ep->ns);
	free(ep->name);
	free(ep);
}

int policy_endpoint_add(struct policy *pol, uint32_t id, const json_t *k8s,
			const struct weft_ip_key *ips, int n_ips, uint32_t *identity,
			struct weft_api_error *e)
{
	const char *ns = json_string_value(json_object_get(k8s, "namespace"));
	const char *name = json_string_value(json_object_get(k8s, "name"));
	struct pol_ep *ep = calloc(1, sizeof(*ep));
	int outer, err = -ENOMEM;
	bool changed;

	if (!ep || policy_map_init(&ep->map))
		goto free_ep;
	ep->id = id;
	ep->ns = ns && *ns ? strdup(ns) : NULL;
	ep->name = name && *name ? strdup(name) : NULL;
	if ((ns && *ns && !ep->ns) || (name && *name && !ep->name))
		goto free_ep;
	ep->n_ips = n_ips < EP_MAX_IPS ? n_ips : EP_MAX_IPS;
	memcpy(ep->ips, ips, (size_t)ep->n_ips * sizeof(*ips));
	outer = maps_fd(pol->maps, WEFT_MAP_POLICY_MAPS);
	if (outer < 0) {
		err = outer;
		api_err_set(e, -err, "weft_policy_maps", "open the policy maps: %s",
			    strerror(-err));
		goto free_ep;
	}
	/* A restart: what a previous weftd wrote is the base of the diff. */
	policy_map_adopt(&ep->map, outer, id);
	ep_set_identity(pol, ep, ep_pod(pol, ep));
	adopt_shared(pol);
	err = sync_ep(pol, ep, &changed);
	if (err) {
		char map[48], why[200];

		snprintf(map, sizeof(map), "weft_pol_%u (in weft_policy_maps)", id);
		api_err_set(e, -maps_update_errno(err), "weft_policy_maps",
			    "write the policy map of endpoint %u: %s", id,
			    maps_update_strerror(-1, map, err, why, sizeof(why)));
		goto free_ep;
	}
	cidrs_flush(pol->cidrs, maps_fd(pol->maps, WEFT_MAP_POLICY_CIDRS));
	/* Conntrack entries of an earlier pod with this address are checked
	 * against this endpoint's policy on their next packet. */
	bump_revision(pol);
	ep->next = pol->eps;
	pol->eps = ep;
	*identity = ep->identity;
	return 0;
free_ep:
	if (!e->msg[0])
		api_err_set(e, ENOMEM, NULL, "out of memory");
	if (ep)
		ep_free(pol, ep, true);
	return err;
}

void policy_endpoint_del(struct policy *pol, uint32_t id)
{
	int ct = maps_fd(pol->maps, WEFT_MAP_CONNTRACK);
	struct ct_gc_stats st;

	for (struct pol_ep **pp = &pol->eps; *pp; pp = &(*pp)->next) {
		struct pol_ep *ep = *pp;

		if (ep->id != id)
			continue;
		*pp = ep->next;
		/* Its flows go with it: the next pod given its address must
		 * not inherit them (a reply passes without any policy check). */
		if (ct >= 0 && !ct_purge_addrs(ct, ep->ips, ep->n_ips, &st) && st.removed)
			pr_debug("endpoint %u: %u conntrack entries removed", id, st.removed);
		ep_free(pol, ep, true);
		return;
	}
}

void policy_tick(struct policy *pol)
{
	uint64_t now = now_ns();
	int ct = maps_fd(pol->maps, WEFT_MAP_CONNTRACK);
	struct ct_gc_stats st;

	policy_flush(pol);
	if (ct < 0 || now - pol->last_ct_gc_ns < POLICY_CT_GC_INTERVAL_NS)
		return;
	pol->last_ct_gc_ns = now;
	if (!ct_gc(ct, now, &st)) {
		pol->ct_live = st.live;
		pol->ct_gc_runs++;
		pol->ct_gc_removed += st.removed;
		if (st.removed)
			pr_debug("conntrack: %u expired entries removed, %u live", st.removed,
				 st.live);
	}
}

uint32_t policy_endpoint_of_pod(struct policy *pol, const char *ns, const char *name)
{
	for (struct pol_ep *ep = pol->eps; ep; ep = ep->next)
		if (ep->ns && ep->name && !strcmp(ep->ns, ns) && !strcmp(ep->name, name))
			return ep->id;
	return 0;
}

struct pol_ep *engine_ep(const struct policy *pol, uint32_t id)
{
	for (struct pol_ep *ep = pol->eps; ep; ep = ep->next)
		if (ep->id == id)
			return ep;
	return NULL;
}

const struct pol_item *engine_item_by_cookie(const struct policy *pol, uint32_t cookie)
{
	for (size_t i = 0; cookie && i < pol->n_items; i++)
		if (pol->items[i].cookie == cookie)
			return &pol->items[i];
	return NULL;
}

void policy_maps_changed(struct policy *pol)
{
	/* The fds live in struct maps, reopened there; the policy maps
	 * themselves are the same objects. */
	pol->cidrs_adopted = false;
}

/* --- spare policy maps -------------------------------------------------------- */

bool policy_spare_take(struct policy *pol, uint32_t *id)
{
	return pol && pol->spares && spares_take(pol->spares, id);
}

bool policy_spare_holds(struct policy *pol, uint32_t id)
{
	return pol && pol->spares && spares_holds(pol->spares, id);
}

void policy_spares_fill(struct policy *pol, uint32_t (*next_free)(void *ctx, uint32_t after),
			void *ctx)
{
	int outer;

	if (!pol || !pol->spares)
		return;
	outer = maps_fd(pol->maps, WEFT_MAP_POLICY_MAPS);
	if (outer >= 0)
		spares_fill(pol->spares, outer, next_free, ctx);
}

void policy_spares_adopt(struct policy *pol, const uint32_t *ids, unsigned int n)
{
	int outer;

	if (!pol || !pol->spares || !n)
		return;
	outer = maps_fd(pol->maps, WEFT_MAP_POLICY_MAPS);
	if (outer < 0)
		return;
	for (unsigned int i = 0; i < n; i++)
		spares_give(pol->spares, outer, ids[i]);
	pr_info("policy: %u spare policy maps adopted", n);
}

/* --- open and close ------------------------------------------------------------ */

int policy_open(struct policy **out, struct maps *maps, struct identities *ids,
		struct cluster *cl)
{
	struct cluster_observer obs = {
		.namespace = on_namespace,
		.pod = on_pod,
		.policy = on_policy,
	};
	struct policy *pol = calloc(1, sizeof(*pol));
	int err = -ENOMEM;

	if (!pol)
		return -ENOMEM;
	pol->maps = maps;
	pol->ids = ids;
	pol->view_gen = 1;
	pol->cl = cl;
	if (peers_new(&pol->peers) || cidrs_new(&pol->cidrs) ||
	    policy_entries_new(&pol->scratch))
		goto close_pol;
	/* Without it every ADD and DEL waits for a grace period: slower, not
	 * wrong. */
	err = spares_open(&pol->spares, 0);
	if (err)
		pr_warn("policy: no spare policy maps (%s): ADDs and DELs wait for the kernel",
			strerror(-err));
	obs.ctx = pol;
	if (cl) {
		err = cluster_add_observer(cl, &obs);
		if (err)
			goto close_pol;
	}
	*out = pol;
	return 0;
close_pol:
	policy_close(pol);
	return err;
}

void policy_close(struct policy *pol)
{
	if (!pol)
		return;
	/* First: its thread writes slots of ids no endpoint has. */
	spares_close(pol->spares);
	pol->spares = NULL;
	while (pol->eps) {
		struct pol_ep *ep = pol->eps;

		pol->eps = ep->next;
		ep_free(pol, ep, false);
	}
	for (size_t i = 0; i < pol->n_items; i++)
		item_clear(&pol->items[i]);
	free(pol->items);
	free(pol->nps);
	policy_entries_free(pol->scratch);
	cidrs_free(pol->cidrs);
	peers_free(pol->peers);
	free(pol);
}
