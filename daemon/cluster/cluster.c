// SPDX-License-Identifier: Apache-2.0
/* The model: its tables, observers and mutations, and look-ups. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster/cluster_internal.h"
#include "hash.h"
#include "log.h"

int cluster_new(struct cluster **out)
{
	struct cluster *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return -ENOMEM;
	*out = cl;
	return 0;
}

void cl_objs_free(struct hash_tab *objs)
{
	for (int k = 0; k < KIND_MAX; k++) {
		for (size_t i = 0; i < objs[k].cap; i++) {
			if (objs[k].s[i].obj)
				cl_kinds[k].free(objs[k].s[i].obj);
		}
		hash_tab_clear(&objs[k]);
	}
}

void cluster_free(struct cluster *cl)
{
	if (!cl)
		return;
	cl_objs_free(cl->objs);
	hash_tab_clear(&cl->by_ip);
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

void cl_notify(const struct cluster *cl, enum kind k, enum cluster_event ev, const void *old,
	       const void *cur)
{
	for (size_t i = 0; i < cl->n_obs; i++)
		notify_one(&cl->obs[i], k, ev, old, cur);
}

void cl_batch_end(const struct cluster *cl)
{
	for (size_t i = 0; i < cl->n_obs; i++) {
		if (cl->obs[i].batch_end)
			cl->obs[i].batch_end(cl->obs[i].ctx);
	}
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
	if (obs->batch_end)
		obs->batch_end(obs->ctx);
	return 0;
}

static uint64_t addr_hash(const struct weft_addr *a)
{
	return hash_mix64(fnv1a64(FNV1A64_OFFSET, a, sizeof(*a)));
}

static unsigned int pod_indexed_ips(const struct cl_pod *p)
{
	return p->host_network || p->terminated ? 0 : p->n_ips;
}

unsigned int cl_indexed_ips(enum kind k, const void *obj)
{
	return k == KIND_POD ? pod_indexed_ips(obj) : 0;
}

static void ip_index_add(struct cluster *cl, const struct cl_pod *p)
{
	for (unsigned int i = 0; i < pod_indexed_ips(p); i++)
		hash_tab_put(&cl->by_ip, addr_hash(&p->ips[i]), (void *)p);
}

static void ip_index_del(struct cluster *cl, const struct cl_pod *p)
{
	for (unsigned int i = 0; i < pod_indexed_ips(p); i++) {
		size_t at = hash_tab_slot_of(&cl->by_ip, addr_hash(&p->ips[i]), p);

		if (at != SIZE_MAX)
			hash_tab_remove_at(&cl->by_ip, at);
	}
}

void cl_model_insert(struct cluster *cl, enum kind k, void *obj)
{
	hash_tab_put(&cl->objs[k], cl_obj_hash(k, obj), obj);
	if (k == KIND_POD)
		ip_index_add(cl, obj);
}

void cl_model_remove(struct cluster *cl, enum kind k, void *obj)
{
	size_t at = hash_tab_slot_of(&cl->objs[k], cl_obj_hash(k, obj), obj);

	if (at != SIZE_MAX)
		hash_tab_remove_at(&cl->objs[k], at);
	if (k == KIND_POD)
		ip_index_del(cl, obj);
}

void cl_model_replace(struct cluster *cl, enum kind k, void *old, void *cur)
{
	size_t at = hash_tab_slot_of(&cl->objs[k], cl_obj_hash(k, old), old);

	if (at != SIZE_MAX)
		cl->objs[k].s[at].obj = cur;
	if (k == KIND_POD) {
		ip_index_del(cl, old);
		ip_index_add(cl, cur);
	}
}

static int upsert(struct cluster *cl, enum kind k, void *obj)
{
	struct cl_key key;
	uint64_t hash;
	void *old;
	int err;

	err = cl_obj_admit(&cl->objs[k], k, obj, &hash, &old);
	if (err)
		return err;
	if (old && cl_kinds[k].equal(old, obj)) {
		cl_kinds[k].free(obj);
		return 0;
	}
	err = hash_tab_reserve(&cl->by_ip, cl->by_ip.len + cl_indexed_ips(k, obj));
	if (!err && !old)
		err = hash_tab_reserve(&cl->objs[k], cl->objs[k].len + 1);
	if (err) {
		key = cl_kinds[k].key(obj);
		pr_warn("cluster: cannot store %s %s%s%s: out of memory", cl_kinds[k].name,
			key.ns ? key.ns : "", key.ns ? "/" : "", key.name);
		cl_kinds[k].free(obj);
		return err;
	}
	if (!old) {
		cl_model_insert(cl, k, obj);
		cl_notify(cl, k, CLUSTER_ADD, NULL, obj);
		cl_batch_end(cl);
		return 0;
	}
	cl_model_replace(cl, k, old, obj);
	cl_notify(cl, k, CLUSTER_UPDATE, old, obj);
	cl_kinds[k].free(old);
	cl_batch_end(cl);
	return 0;
}

static int delete (struct cluster *cl, enum kind k, const char *ns, const char *name)
{
	struct cl_key key = {ns, name};
	void *old;

	if (!name)
		return -EINVAL;
	old = cl_obj_find(&cl->objs[k], k, cl_key_hash(&key), &key);
	if (!old)
		return -ENOENT;
	cl_model_remove(cl, k, old);
	cl_notify(cl, k, CLUSTER_DELETE, old, NULL);
	cl_kinds[k].free(old);
	cl_batch_end(cl);
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
	return cl_obj_find(&cl->objs[k], k, cl_key_hash(&key), &key);
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
	const struct hash_tab *t = &cl->by_ip;
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

#define DEFINE_FOR_EACH(fname, kind, type)                                                         \
	int fname(const struct cluster *cl, int (*fn)(void *ctx, const type *obj), void *ctx)      \
	{                                                                                          \
		const type *obj;                                                                   \
		size_t i = 0;                                                                      \
		int ret;                                                                           \
                                                                                                   \
		while ((obj = hash_tab_next(&cl->objs[kind], &i))) {                               \
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
