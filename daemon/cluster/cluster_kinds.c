// SPDX-License-Identifier: Apache-2.0
/* The four kinds behind one table of operations, so the tables, the model and
 * the diff are written once; their keys, and finding an object by key. */
#include <errno.h>
#include <string.h>

#include "daemon/cluster/cluster_internal.h"
#include "hash.h"

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

const struct kind_ops cl_kinds[KIND_MAX] = {
	[KIND_NS] = {"namespace", ns_key, ns_equal, ns_free},
	[KIND_NODE] = {"node", node_key, node_equal, node_free},
	[KIND_POD] = {"pod", pod_key, pod_equal, pod_free},
	[KIND_POLICY] = {"policy", policy_key, policy_equal, policy_free},
};

uint64_t cl_key_hash(const struct cl_key *k)
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

void *cl_obj_find(const struct hash_tab *t, enum kind k, uint64_t hash, const struct cl_key *key)
{
	if (!t->cap)
		return NULL;
	for (size_t i = hash & (t->cap - 1); t->s[i].obj; i = (i + 1) & (t->cap - 1)) {
		struct cl_key other;

		if (t->s[i].hash != hash)
			continue;
		other = cl_kinds[k].key(t->s[i].obj);
		if (key_equal(&other, key))
			return t->s[i].obj;
	}
	return NULL;
}

uint64_t cl_obj_hash(enum kind k, const void *obj)
{
	struct cl_key key = cl_kinds[k].key(obj);

	return cl_key_hash(&key);
}

static bool key_valid(enum kind k, const void *obj)
{
	struct cl_key key = cl_kinds[k].key(obj);

	return key.name && *key.name && (k != KIND_POD && k != KIND_POLICY ? true : *key.ns);
}

int cl_obj_admit(const struct hash_tab *t, enum kind k, void *obj, uint64_t *hash, void **same)
{
	struct cl_key key;

	if (!obj)
		return -EINVAL;
	if (!key_valid(k, obj)) {
		cl_kinds[k].free(obj);
		return -EINVAL;
	}
	key = cl_kinds[k].key(obj);
	*hash = cl_key_hash(&key);
	*same = cl_obj_find(t, k, *hash, &key);
	return 0;
}
