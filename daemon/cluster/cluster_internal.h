/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of the cluster model share and nothing else sees (the public
 * interface is cluster.h): the kinds table, which lets the tables, the model
 * and the snapshot diff be written once for all four kinds (over lib/hash_tab.h);
 * the model's own mutations, which the snapshot diff applies too.
 */
#ifndef WEFTD_CLUSTER_INTERNAL_H
#define WEFTD_CLUSTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/cluster/cluster.h"
#include "hash_tab.h"

static inline bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* ---- the kinds (cluster_kinds.c) ----------------------------------------- */

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

extern const struct kind_ops cl_kinds[KIND_MAX];

/* Mixed down to the low bits the tables mask with. */
uint64_t cl_key_hash(const struct cl_key *k);
uint64_t cl_obj_hash(enum kind k, const void *obj);

/* ---- the object tables (hash_tab.h) ---------------------------------------- */

/* The object of kind @k with @key (hashed to @hash) in @t, or NULL. */
void *cl_obj_find(const struct hash_tab *t, enum kind k, uint64_t hash, const struct cl_key *key);
/*
 * The first step of taking @obj into @t: its key is checked (a name, and a
 * namespace for the namespaced kinds) and its namesake already in @t looked up.
 * 0 with *@hash and *@same (NULL: none) set; -EINVAL for no object or a bad key,
 * and then @obj is freed: the model owns whatever it is given.
 */
int cl_obj_admit(const struct hash_tab *t, enum kind k, void *obj, uint64_t *hash, void **same);

/* ---- the model (cluster.c) ------------------------------------------------ */

struct cluster {
	struct hash_tab objs[KIND_MAX];
	struct hash_tab by_ip; /* pod IP -> pod, several slots per dual-stack pod */
	struct cluster_observer *obs;
	size_t n_obs;
};

struct cluster_snapshot {
	struct hash_tab objs[KIND_MAX];
};

/* Free every object of every kind in @objs, and the tables. */
void cl_objs_free(struct hash_tab *objs);
void cl_notify(const struct cluster *cl, enum kind k, enum cluster_event ev, const void *old,
	       const void *cur);
/* Tell every observer that a batch of notifications is over. */
void cl_batch_end(const struct cluster *cl);
/* Slots @obj takes in the pod IP index. */
unsigned int cl_indexed_ips(enum kind k, const void *obj);
/* The three mutations; room in the tables was reserved before, so none fails. */
void cl_model_insert(struct cluster *cl, enum kind k, void *obj);
void cl_model_remove(struct cluster *cl, enum kind k, void *obj);
/* @cur has @old's key, so it takes @old's slot. */
void cl_model_replace(struct cluster *cl, enum kind k, void *old, void *cur);

#endif
