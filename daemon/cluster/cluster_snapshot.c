// SPDX-License-Identifier: Apache-2.0
/* Snapshots, and applying one as the difference to the model. */
#include <errno.h>
#include <stdlib.h>

#include "array.h"
#include "daemon/cluster/cluster_internal.h"
#include "log.h"

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
	cl_objs_free(snap->objs);
	free(snap);
}

static int snapshot_add(struct cluster_snapshot *snap, enum kind k, void *obj)
{
	struct hash_tab *t = &snap->objs[k];
	uint64_t hash;
	void *same;
	int err;

	err = cl_obj_admit(t, k, obj, &hash, &same);
	if (err)
		return err;
	if (same) {
		cl_kinds[k].free(obj);
		return -EEXIST;
	}
	err = hash_tab_reserve(t, t->len + 1);
	if (err) {
		cl_kinds[k].free(obj);
		return err;
	}
	hash_tab_put(t, hash, obj);
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
		     bool deletes, struct diff *d, size_t *new_ips)
{
	const struct hash_tab *st = &snap->objs[k], *mt = &cl->objs[k];

	d->v = malloc((st->len + mt->len + 1) * sizeof(*d->v));
	if (!d->v)
		return -ENOMEM;
	for (size_t i = 0; i < st->cap; i++) {
		void *cur = st->s[i].obj, *old;
		struct cl_key key;

		if (!cur)
			continue;
		key = cl_kinds[k].key(cur);
		old = cl_obj_find(mt, k, st->s[i].hash, &key);
		if (!old) {
			d->v[d->n++] = (struct change){CH_ADD, NULL, cur};
			d->adds++;
		} else if (cl_kinds[k].equal(old, cur)) {
			d->v[d->n++] = (struct change){CH_SAME, old, cur};
			continue;
		} else {
			d->v[d->n++] = (struct change){CH_UPDATE, old, cur};
		}
		*new_ips += cl_indexed_ips(k, cur);
	}
	for (size_t i = 0; deletes && i < mt->cap; i++) {
		void *old = mt->s[i].obj;
		struct cl_key key;

		if (!old)
			continue;
		key = cl_kinds[k].key(old);
		if (!cl_obj_find(st, k, mt->s[i].hash, &key))
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
			cl_model_insert(cl, k, c->cur);
			cl_notify(cl, k, CLUSTER_ADD, NULL, c->cur);
			break;
		case CH_UPDATE:
			cl_model_replace(cl, k, c->old, c->cur);
			cl_notify(cl, k, CLUSTER_UPDATE, c->old, c->cur);
			cl_kinds[k].free(c->old);
			break;
		case CH_DELETE:
			cl_model_remove(cl, k, c->old);
			cl_notify(cl, k, CLUSTER_DELETE, c->old, NULL);
			cl_kinds[k].free(c->old);
			break;
		case CH_SAME:
			/* The model keeps its object, so pointers observers hold stay good. */
			cl_kinds[k].free(c->cur);
			break;
		}
	}
}

/* cluster.h's bits are the internal kinds' positions. */
_Static_assert(CLUSTER_NAMESPACES == 1u << KIND_NS && CLUSTER_NODES == 1u << KIND_NODE &&
		       CLUSTER_PODS == 1u << KIND_POD && CLUSTER_POLICIES == 1u << KIND_POLICY,
	       "cluster_kind_bit follows enum kind");

static void count_changes(const struct diff *d, struct cluster_diff_counts *c)
{
	for (size_t i = 0; i < d->n; i++) {
		switch (d->v[i].what) {
		case CH_ADD: c->added++; break;
		case CH_UPDATE: c->updated++; break;
		case CH_DELETE: c->deleted++; break;
		case CH_SAME: c->unchanged++; break;
		}
	}
}

static int apply_kinds(struct cluster *cl, struct cluster_snapshot *snap, unsigned int kinds,
		       bool deletes, struct cluster_diff_counts *counts)
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

	for (int k = 0; k < KIND_MAX && !err; k++) {
		if (kinds & (1u << k))
			err = diff_kind(cl, snap, k, deletes, &d[k], &new_ips);
	}
	/* Reserve everything up front: past this point applying cannot fail half-way. */
	for (int k = 0; k < KIND_MAX && !err; k++)
		err = hash_tab_reserve(&cl->objs[k], cl->objs[k].len + d[k].adds);
	if (!err)
		err = hash_tab_reserve(&cl->by_ip, cl->by_ip.len + new_ips);
	if (err) {
		pr_warn("cluster: cannot apply a snapshot: out of memory; the model is unchanged");
		goto free_diffs;
	}
	if (counts) {
		*counts = (struct cluster_diff_counts){0};
		for (int k = 0; k < KIND_MAX; k++)
			count_changes(&d[k], counts);
	}
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (kinds & (1u << order[i].kind))
			apply_changes(cl, order[i].kind, &d[order[i].kind], order[i].what);
	}
	cl_batch_end(cl);
	/* Every object of the applied kinds has moved into the model or been freed;
	 * the others were never looked at, and go now: @snap is left empty. */
	for (int k = 0; k < KIND_MAX; k++) {
		if (kinds & (1u << k))
			hash_tab_clear(&snap->objs[k]);
	}
	cl_objs_free(snap->objs);

free_diffs:
	for (int k = 0; k < KIND_MAX; k++)
		free(d[k].v);
	return err;
}

int cluster_apply_snapshot_kinds(struct cluster *cl, struct cluster_snapshot *snap,
				 unsigned int kinds, struct cluster_diff_counts *counts)
{
	return apply_kinds(cl, snap, kinds, true, counts);
}

int cluster_merge_snapshot_kinds(struct cluster *cl, struct cluster_snapshot *snap,
				 unsigned int kinds, struct cluster_diff_counts *counts)
{
	return apply_kinds(cl, snap, kinds, false, counts);
}

int cluster_apply_snapshot(struct cluster *cl, struct cluster_snapshot *snap)
{
	return cluster_apply_snapshot_kinds(cl, snap, CLUSTER_ALL_KINDS, NULL);
}
