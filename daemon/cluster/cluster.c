// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "daemon/cluster/cluster.h"
#include "hash.h"
#include "log.h"

/* ---- labels ---------------------------------------------------------------- */

/* Index of @key, or of where it would go, with *found set. */
static size_t labels_pos(const struct cl_labels *l, const char *key, bool *found)
{
	size_t lo = 0, hi = l->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid].key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int cl_labels_add(struct cl_labels *l, const char *key, const char *value)
{
	struct cl_label *v, lab;
	bool found;
	size_t at;

	at = labels_pos(l, key, &found);
	if (found)
		return -EEXIST;
	lab.key = strdup(key);
	lab.value = strdup(value);
	if (!lab.key || !lab.value)
		goto err_free_label;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		goto err_free_label;
	memmove(&v[at + 1], &v[at], (l->n - at) * sizeof(*v));
	v[at] = lab;
	l->v = v;
	l->n++;
	return 0;

err_free_label:
	free(lab.key);
	free(lab.value);
	return -ENOMEM;
}

const char *cl_labels_get(const struct cl_labels *l, const char *key)
{
	bool found;
	size_t at = labels_pos(l, key, &found);

	return found ? l->v[at].value : NULL;
}

bool cl_labels_equal(const struct cl_labels *a, const struct cl_labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].key, b->v[i].key) || strcmp(a->v[i].value, b->v[i].value))
			return false;
	}
	return true;
}

void cl_labels_clear(struct cl_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- objects --------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

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

/* ---- the kinds, so the tables and the diff are written once ---------------- */

/* Also the snapshot order of ADD/UPDATE and the replay order for new observers. */
enum kind { KIND_NS, KIND_NODE, KIND_POD, KIND_POLICY, KIND_MAX };

struct cl_key {
	const char *ns; /* NULL for cluster-scoped kinds */
	const char *name;
};

struct kind_ops {
	const char *name;
	struct cl_key (*key)(const void *obj);
	bool (*equal)(const void *a, const void *b);
	void (*free)(void *obj);
};

static struct cl_key node_key(const void *o)
{
	return (struct cl_key){NULL, ((const struct cl_node *)o)->name};
}

static struct cl_key ns_key(const void *o)
{
	return (struct cl_key){NULL, ((const struct cl_namespace *)o)->name};
}

static struct cl_key pod_key(const void *o)
{
	const struct cl_pod *p = o;

	return (struct cl_key){p->ns ? p->ns : "", p->name};
}

static struct cl_key policy_key(const void *o)
{
	const struct cl_policy *pol = o;

	return (struct cl_key){pol->ns ? pol->ns : "", pol->name};
}

static bool node_equal(const void *a, const void *b)
{
	return cl_node_equal(a, b);
}

static bool ns_equal(const void *a, const void *b)
{
	return cl_namespace_equal(a, b);
}

static bool pod_equal(const void *a, const void *b)
{
	return cl_pod_equal(a, b);
}

static bool policy_equal(const void *a, const void *b)
{
	return cl_policy_equal(a, b);
}

static void node_free(void *o)
{
	cl_node_free(o);
}

static void ns_free(void *o)
{
	cl_namespace_free(o);
}

static void pod_free(void *o)
{
	cl_pod_free(o);
}

static void policy_free(void *o)
{
	cl_policy_free(o);
}

static const struct kind_ops kinds[KIND_MAX] = {
	[KIND_NS] = {"namespace", ns_key, ns_equal, ns_free},
	[KIND_NODE] = {"node", node_key, node_equal, node_free},
	[KIND_POD] = {"pod", pod_key, pod_equal, pod_free},
	[KIND_POLICY] = {"policy", policy_key, policy_equal, policy_free},
};

/* ---- a small open-addressing table ---------------------------------------- */

static uint64_t key_hash(const struct cl_key *k)
{
	uint64_t h = FNV1A64_OFFSET;

	if (k->ns) {
		h = fnv1a64_str(h, k->ns);
		h = fnv1a64_str(h, "/");
	}
	return hash_mix64(fnv1a64_str(h, k->name));
}

static bool key_equal(const struct cl_key *a, const struct cl_key *b)
{
	return str_eq(a->ns, b->ns) && !strcmp(a->name, b->name);
}

static uint64_t addr_hash(const struct weft_addr *a)
{
	return hash_mix64(fnv1a64(FNV1A64_OFFSET, a, sizeof(*a)));
}

/*
 * Linear probing, at most 3/4 full, deletion by shifting the run back (no
 * tombstones, so a long-lived table never degrades). The stored hash makes
 * probing cheap and growth free of re-hashing. Duplicates are allowed: the pod IP
 * index needs them; the object tables check before they insert.
 */
struct tab_slot {
	uint64_t hash;
	void *obj; /* NULL: empty */
};

struct tab {
	struct tab_slot *s;
	size_t cap; /* 0 or a power of two */
	size_t len;
};

#define TAB_MIN_CAP 16

static void tab_put(struct tab *t, uint64_t hash, void *obj)
{
	size_t i = hash & (t->cap - 1);

	while (t->s[i].obj)
		i = (i + 1) & (t->cap - 1);
	t->s[i] = (struct tab_slot){hash, obj};
	t->len++;
}

/* Make room for @want entries, so the puts that follow cannot fail. 0 or -ENOMEM. */
static int tab_reserve(struct tab *t, size_t want)
{
	struct tab old = *t;
	size_t cap = t->cap ? t->cap : TAB_MIN_CAP;

	while (want > cap / 4 * 3)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	t->s = calloc(cap, sizeof(*t->s));
	if (!t->s) {
		*t = old;
		return -ENOMEM;
	}
	t->cap = cap;
	t->len = 0;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.s[i].obj)
			tab_put(t, old.s[i].hash, old.s[i].obj);
	}
	free(old.s);
	return 0;
}

/* Slot holding exactly @obj under @hash, or SIZE_MAX. */
static size_t tab_slot_of(const struct tab *t, uint64_t hash, const void *obj)
{
	if (!t->cap)
		return SIZE_MAX;
	for (size_t i = hash & (t->cap - 1); t->s[i].obj; i = (i + 1) & (t->cap - 1)) {
		if (t->s[i].obj == obj)
			return i;
	}
	return SIZE_MAX;
}

static void tab_remove_at(struct tab *t, size_t i)
{
	size_t mask = t->cap - 1, j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!t->s[j].obj)
			break;
		home = t->s[j].hash & mask;
		/* Leave the entry where it is if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->s[i] = t->s[j];
		i = j;
	}
	t->s[i].obj = NULL;
	t->len--;
}

static void tab_clear(struct tab *t)
{
	free(t->s);
	*t = (struct tab){};
}

static void *obj_find(const struct tab *t, enum kind k, uint64_t hash, const struct cl_key *key)
{
	if (!t->cap)
		return NULL;
	for (size_t i = hash & (t->cap - 1); t->s[i].obj; i = (i + 1) & (t->cap - 1)) {
		struct cl_key other;

		if (t->s[i].hash != hash)
			continue;
		other = kinds[k].key(t->s[i].obj);
		if (key_equal(&other, key))
			return t->s[i].obj;
	}
	return NULL;
}

static uint64_t obj_hash(enum kind k, const void *obj)
{
	struct cl_key key = kinds[k].key(obj);

	return key_hash(&key);
}

/* ---- the model ------------------------------------------------------------- */

struct cluster {
	struct tab objs[KIND_MAX];
	struct tab by_ip; /* pod IP -> pod, several slots per dual-stack pod */
	struct cluster_observer *obs;
	size_t n_obs;
};

struct cluster_snapshot {
	struct tab objs[KIND_MAX];
};

int cluster_new(struct cluster **out)
{
	struct cluster *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return -ENOMEM;
	*out = cl;
	return 0;
}

static void objs_free(struct tab *objs)
{
	for (int k = 0; k < KIND_MAX; k++) {
		for (size_t i = 0; i < objs[k].cap; i++) {
			if (objs[k].s[i].obj)
				kinds[k].free(objs[k].s[i].obj);
		}
		tab_clear(&objs[k]);
	}
}

void cluster_free(struct cluster *cl)
{
	if (!cl)
		return;
	objs_free(cl->objs);
	tab_clear(&cl->by_ip);
	free(cl->obs);
	free(cl);
}

static void notify_one(const struct cluster_observer *o, enum kind k, enum cluster_event ev,
		       const void *old, const void *cur)
{
	switch (k) {
	case KIND_NS:
		if (o->namespace)
			o->namespace(o->ctx, ev, old, cur);
		break;
	case KIND_NODE:
		if (o->node)
			o->node(o->ctx, ev, old, cur);
		break;
	case KIND_POD:
		if (o->pod)
			o->pod(o->ctx, ev, old, cur);
		break;
	case KIND_POLICY:
		if (o->policy)
			o->policy(o->ctx, ev, old, cur);
		break;
	case KIND_MAX: break;
	}
}

static void notify(const struct cluster *cl, enum kind k, enum cluster_event ev, const void *old,
		   const void *cur)
{
	for (size_t i = 0; i < cl->n_obs; i++)
		notify_one(&cl->obs[i], k, ev, old, cur);
}

int cluster_add_observer(struct cluster *cl, const struct cluster_observer *obs)
{
	struct cluster_observer *v = realloc(cl->obs, (cl->n_obs + 1) * sizeof(*v));

	if (!v) {
		pr_warn("cluster: cannot add an observer: out of memory");
		return -ENOMEM;
	}
	v[cl->n_obs++] = *obs;
	cl->obs = v;
	for (int k = 0; k < KIND_MAX; k++) {
		for (size_t i = 0; i < cl->objs[k].cap; i++) {
			if (cl->objs[k].s[i].obj)
				notify_one(obs, k, CLUSTER_ADD, NULL, cl->objs[k].s[i].obj);
		}
	}
	return 0;
}

static unsigned int pod_indexed_ips(const struct cl_pod *p)
{
	return p->host_network || p->terminated ? 0 : p->n_ips;
}

static unsigned int indexed_ips(enum kind k, const void *obj)
{
	return k == KIND_POD ? pod_indexed_ips(obj) : 0;
}

static void ip_index_add(struct cluster *cl, const struct cl_pod *p)
{
	for (unsigned int i = 0; i < pod_indexed_ips(p); i++)
		tab_put(&cl->by_ip, addr_hash(&p->ips[i]), (void *)p);
}

static void ip_index_del(struct cluster *cl, const struct cl_pod *p)
{
	for (unsigned int i = 0; i < pod_indexed_ips(p); i++) {
		size_t at = tab_slot_of(&cl->by_ip, addr_hash(&p->ips[i]), p);

		if (at != SIZE_MAX)
			tab_remove_at(&cl->by_ip, at);
	}
}

/* The three mutations; room in the tables was reserved before, so none fails. */
static void model_insert(struct cluster *cl, enum kind k, void *obj)
{
	tab_put(&cl->objs[k], obj_hash(k, obj), obj);
	if (k == KIND_POD)
		ip_index_add(cl, obj);
}

static void model_remove(struct cluster *cl, enum kind k, void *obj)
{
	size_t at = tab_slot_of(&cl->objs[k], obj_hash(k, obj), obj);

	if (at != SIZE_MAX)
		tab_remove_at(&cl->objs[k], at);
	if (k == KIND_POD)
		ip_index_del(cl, obj);
}

/* @cur has @old's key, so it takes @old's slot. */
static void model_replace(struct cluster *cl, enum kind k, void *old, void *cur)
{
	size_t at = tab_slot_of(&cl->objs[k], obj_hash(k, old), old);

	if (at != SIZE_MAX)
		cl->objs[k].s[at].obj = cur;
	if (k == KIND_POD) {
		ip_index_del(cl, old);
		ip_index_add(cl, cur);
	}
}

static bool key_valid(enum kind k, const void *obj)
{
	struct cl_key key = kinds[k].key(obj);

	return key.name && *key.name && (k != KIND_POD && k != KIND_POLICY ? true : *key.ns);
}

static int upsert(struct cluster *cl, enum kind k, void *obj)
{
	struct cl_key key;
	uint64_t hash;
	void *old;
	int err;

	if (!obj)
		return -EINVAL;
	if (!key_valid(k, obj)) {
		kinds[k].free(obj);
		return -EINVAL;
	}
	key = kinds[k].key(obj);
	hash = key_hash(&key);
	old = obj_find(&cl->objs[k], k, hash, &key);
	if (old && kinds[k].equal(old, obj)) {
		kinds[k].free(obj);
		return 0;
	}
	err = tab_reserve(&cl->by_ip, cl->by_ip.len + indexed_ips(k, obj));
	if (!err && !old)
		err = tab_reserve(&cl->objs[k], cl->objs[k].len + 1);
	if (err) {
		pr_warn("cluster: cannot store %s %s%s%s: out of memory", kinds[k].name,
			key.ns ? key.ns : "", key.ns ? "/" : "", key.name);
		kinds[k].free(obj);
		return err;
	}
	if (!old) {
		model_insert(cl, k, obj);
		notify(cl, k, CLUSTER_ADD, NULL, obj);
		return 0;
	}
	model_replace(cl, k, old, obj);
	notify(cl, k, CLUSTER_UPDATE, old, obj);
	kinds[k].free(old);
	return 0;
}

static int delete (struct cluster *cl, enum kind k, const char *ns, const char *name)
{
	struct cl_key key = {ns, name};
	void *old;

	if (!name)
		return -EINVAL;
	old = obj_find(&cl->objs[k], k, key_hash(&key), &key);
	if (!old)
		return -ENOENT;
	model_remove(cl, k, old);
	notify(cl, k, CLUSTER_DELETE, old, NULL);
	kinds[k].free(old);
	return 0;
}

int cluster_upsert_node(struct cluster *cl, struct cl_node *n)
{
	return upsert(cl, KIND_NODE, n);
}

int cluster_upsert_namespace(struct cluster *cl, struct cl_namespace *ns)
{
	return upsert(cl, KIND_NS, ns);
}

int cluster_upsert_pod(struct cluster *cl, struct cl_pod *p)
{
	return upsert(cl, KIND_POD, p);
}

int cluster_upsert_policy(struct cluster *cl, struct cl_policy *pol)
{
	return upsert(cl, KIND_POLICY, pol);
}

int cluster_delete_node(struct cluster *cl, const char *name)
{
	return delete (cl, KIND_NODE, NULL, name);
}

int cluster_delete_namespace(struct cluster *cl, const char *name)
{
	return delete (cl, KIND_NS, NULL, name);
}

int cluster_delete_pod(struct cluster *cl, const char *ns, const char *name)
{
	return delete (cl, KIND_POD, ns ? ns : "", name);
}

int cluster_delete_policy(struct cluster *cl, const char *ns, const char *name)
{
	return delete (cl, KIND_POLICY, ns ? ns : "", name);
}

static const void *find(const struct cluster *cl, enum kind k, const char *ns, const char *name)
{
	struct cl_key key = {ns, name};

	if (!name)
		return NULL;
	return obj_find(&cl->objs[k], k, key_hash(&key), &key);
}

const struct cl_node *cluster_find_node(const struct cluster *cl, const char *name)
{
	return find(cl, KIND_NODE, NULL, name);
}

const struct cl_namespace *cluster_find_namespace(const struct cluster *cl, const char *name)
{
	return find(cl, KIND_NS, NULL, name);
}

const struct cl_pod *cluster_find_pod(const struct cluster *cl, const char *ns, const char *name)
{
	return find(cl, KIND_POD, ns ? ns : "", name);
}

const struct cl_policy *cluster_find_policy(const struct cluster *cl, const char *ns,
					    const char *name)
{
	return find(cl, KIND_POLICY, ns ? ns : "", name);
}

const struct cl_pod *cluster_find_pod_by_ip(const struct cluster *cl, const struct weft_addr *ip)
{
	const struct tab *t = &cl->by_ip;
	uint64_t hash = addr_hash(ip);

	if (!t->cap)
		return NULL;
	for (size_t i = hash & (t->cap - 1); t->s[i].obj; i = (i + 1) & (t->cap - 1)) {
		const struct cl_pod *p = t->s[i].obj;

		if (t->s[i].hash != hash)
			continue;
		for (unsigned int j = 0; j < p->n_ips; j++) {
			if (weft_addr_equal(&p->ips[j], ip))
				return p;
		}
	}
	return NULL;
}

void cluster_counts(const struct cluster *cl, struct cluster_counts *out)
{
	out->nodes = cl->objs[KIND_NODE].len;
	out->namespaces = cl->objs[KIND_NS].len;
	out->pods = cl->objs[KIND_POD].len;
	out->policies = cl->objs[KIND_POLICY].len;
}

/* Next object of @t from position *@i on, or NULL at the end. */
static void *tab_next(const struct tab *t, size_t *i)
{
	for (; *i < t->cap; (*i)++) {
		if (t->s[*i].obj)
			return t->s[(*i)++].obj;
	}
	return NULL;
}

#define DEFINE_FOR_EACH(fname, kind, type)                                                         \
	int fname(const struct cluster *cl, int (*fn)(void *ctx, const type *obj), void *ctx)      \
	{                                                                                          \
		const type *obj;                                                                   \
		size_t i = 0;                                                                      \
		int ret;                                                                           \
                                                                                                   \
		while ((obj = tab_next(&cl->objs[kind], &i))) {                                    \
			ret = fn(ctx, obj);                                                        \
			if (ret)                                                                   \
				return ret;                                                        \
		}                                                                                  \
		return 0;                                                                          \
	}

DEFINE_FOR_EACH(cluster_for_each_node, KIND_NODE, struct cl_node)
DEFINE_FOR_EACH(cluster_for_each_namespace, KIND_NS, struct cl_namespace)
DEFINE_FOR_EACH(cluster_for_each_pod, KIND_POD, struct cl_pod)
DEFINE_FOR_EACH(cluster_for_each_policy, KIND_POLICY, struct cl_policy)

/* ---- snapshots ------------------------------------------------------------- */

int cluster_snapshot_new(struct cluster_snapshot **out)
{
	struct cluster_snapshot *snap = calloc(1, sizeof(*snap));

	if (!snap)
		return -ENOMEM;
	*out = snap;
	return 0;
}

void cluster_snapshot_free(struct cluster_snapshot *snap)
{
	if (!snap)
		return;
	objs_free(snap->objs);
	free(snap);
}

static int snapshot_add(struct cluster_snapshot *snap, enum kind k, void *obj)
{
	struct tab *t = &snap->objs[k];
	struct cl_key key;
	uint64_t hash;
	int err;

	if (!obj)
		return -EINVAL;
	if (!key_valid(k, obj)) {
		kinds[k].free(obj);
		return -EINVAL;
	}
	key = kinds[k].key(obj);
	hash = key_hash(&key);
	if (obj_find(t, k, hash, &key)) {
		kinds[k].free(obj);
		return -EEXIST;
	}
	err = tab_reserve(t, t->len + 1);
	if (err) {
		kinds[k].free(obj);
		return err;
	}
	tab_put(t, hash, obj);
	return 0;
}

int cluster_snapshot_add_node(struct cluster_snapshot *snap, struct cl_node *n)
{
	return snapshot_add(snap, KIND_NODE, n);
}

int cluster_snapshot_add_namespace(struct cluster_snapshot *snap, struct cl_namespace *ns)
{
	return snapshot_add(snap, KIND_NS, ns);
}

int cluster_snapshot_add_pod(struct cluster_snapshot *snap, struct cl_pod *p)
{
	return snapshot_add(snap, KIND_POD, p);
}

int cluster_snapshot_add_policy(struct cluster_snapshot *snap, struct cl_policy *pol)
{
	return snapshot_add(snap, KIND_POLICY, pol);
}

enum change_what { CH_ADD = 1, CH_UPDATE = 2, CH_DELETE = 4, CH_SAME = 8 };

struct change {
	enum change_what what;
	void *old; /* in the model */
	void *cur; /* from the snapshot */
};

struct diff {
	struct change *v;
	size_t n;
	size_t adds;
};

/* Everything that would change for kind @k; nothing is touched yet. */
static int diff_kind(const struct cluster *cl, const struct cluster_snapshot *snap, enum kind k,
		     struct diff *d, size_t *new_ips)
{
	const struct tab *st = &snap->objs[k], *mt = &cl->objs[k];

	d->v = malloc((st->len + mt->len + 1) * sizeof(*d->v));
	if (!d->v)
		return -ENOMEM;
	for (size_t i = 0; i < st->cap; i++) {
		void *cur = st->s[i].obj, *old;
		struct cl_key key;

		if (!cur)
			continue;
		key = kinds[k].key(cur);
		old = obj_find(mt, k, st->s[i].hash, &key);
		if (!old) {
			d->v[d->n++] = (struct change){CH_ADD, NULL, cur};
			d->adds++;
		} else if (kinds[k].equal(old, cur)) {
			d->v[d->n++] = (struct change){CH_SAME, old, cur};
			continue;
		} else {
			d->v[d->n++] = (struct change){CH_UPDATE, old, cur};
		}
		*new_ips += indexed_ips(k, cur);
	}
	for (size_t i = 0; i < mt->cap; i++) {
		void *old = mt->s[i].obj;
		struct cl_key key;

		if (!old)
			continue;
		key = kinds[k].key(old);
		if (!obj_find(st, k, mt->s[i].hash, &key))
			d->v[d->n++] = (struct change){CH_DELETE, old, NULL};
	}
	return 0;
}

static void apply_changes(struct cluster *cl, enum kind k, const struct diff *d, unsigned int what)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct change *c = &d->v[i];

		if (!(c->what & what))
			continue;
		switch (c->what) {
		case CH_ADD:
			model_insert(cl, k, c->cur);
			notify(cl, k, CLUSTER_ADD, NULL, c->cur);
			break;
		case CH_UPDATE:
			model_replace(cl, k, c->old, c->cur);
			notify(cl, k, CLUSTER_UPDATE, c->old, c->cur);
			kinds[k].free(c->old);
			break;
		case CH_DELETE:
			model_remove(cl, k, c->old);
			notify(cl, k, CLUSTER_DELETE, c->old, NULL);
			kinds[k].free(c->old);
			break;
		case CH_SAME:
			/* The model keeps its object, so pointers observers hold stay good. */
			kinds[k].free(c->cur);
			break;
		}
	}
}

int cluster_apply_snapshot(struct cluster *cl, struct cluster_snapshot *snap)
{
	static const struct {
		enum kind kind;
		unsigned int what;
	} order[] = {
		{KIND_NS, CH_ADD | CH_UPDATE},
		{KIND_NODE, CH_ADD | CH_UPDATE},
		{KIND_POD, CH_DELETE},
		{KIND_POD, CH_ADD | CH_UPDATE | CH_SAME},
		{KIND_POLICY, CH_DELETE},
		{KIND_POLICY, CH_ADD | CH_UPDATE | CH_SAME},
		{KIND_NODE, CH_DELETE | CH_SAME},
		{KIND_NS, CH_DELETE | CH_SAME},
	};
	struct diff d[KIND_MAX] = {};
	size_t new_ips = 0;
	int err = 0;

	for (int k = 0; k < KIND_MAX && !err; k++)
		err = diff_kind(cl, snap, k, &d[k], &new_ips);
	/* Reserve everything up front: past this point applying cannot fail half-way. */
	for (int k = 0; k < KIND_MAX && !err; k++)
		err = tab_reserve(&cl->objs[k], cl->objs[k].len + d[k].adds);
	if (!err)
		err = tab_reserve(&cl->by_ip, cl->by_ip.len + new_ips);
	if (err) {
		pr_warn("cluster: cannot apply a snapshot: out of memory; the model is unchanged");
		goto free_diffs;
	}
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		apply_changes(cl, order[i].kind, &d[order[i].kind], order[i].what);
	/* Every object has moved into the model or been freed. */
	for (int k = 0; k < KIND_MAX; k++)
		tab_clear(&snap->objs[k]);

free_diffs:
	for (int k = 0; k < KIND_MAX; k++)
		free(d[k].v);
	return err;
}
