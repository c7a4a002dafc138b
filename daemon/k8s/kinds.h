/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the API source reads, kind by kind, and how one response becomes model
 * objects: a list page (items into a snapshot) or a watch event (one object,
 * or a bookmark, or an error Status). The objects are parsed with the cluster
 * file's parsers (daemon/cluster/cluster_k8s.c), so both sources keep exactly
 * the same fields.
 *
 * An object the parsers refuse (the API server validated it, so this means
 * weft is stricter than Kubernetes) is left out of the model with a warning
 * naming it and the field: in a list it is skipped, in a watch event it is
 * deleted, so a list and the events after it always agree.
 */
#ifndef WEFTD_K8S_KINDS_H
#define WEFTD_K8S_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster_k8s.h"

/* In the order the first lists are applied: a pod's node and namespace, and a
 * policy's pods, are then known before it is. */
enum k8s_kind_id { K8S_NAMESPACES, K8S_NODES, K8S_PODS, K8S_POLICIES, K8S_KINDS };

struct k8s_kind {
	const char *name; /* the resource: "pods" */
	const char *path; /* its collection, all namespaces */
	unsigned int bit; /* enum cluster_kind_bit */
	int (*parse)(json_t *obj, void **out, struct cluster_k8s_err *err);
	int (*snapshot_add)(struct cluster_snapshot *snap, void *obj);
	int (*upsert)(struct cluster *cl, void *obj);
	int (*del)(struct cluster *cl, const char *ns, const char *name);
	void (*free)(void *obj);
	/* Its objects keep parsed JSON (a policy's spec): parsed outside the
	 * watcher's JSON arena (json_arena.h). */
	bool keeps_json;
};

extern const struct k8s_kind k8s_kinds[K8S_KINDS];

/*
 * One page of a list response into @snap. *@cont (the next page's token, NULL
 * on the last page) and *@rv (the list's resourceVersion) are new strings.
 * *@items counts the objects taken. 0; -EINVAL with @err when the body is no
 * list; -ENOMEM.
 */
int k8s_page_parse(const struct k8s_kind *k, const char *body, size_t len,
		   struct cluster_snapshot *snap, char **cont, char **rv, size_t *items, char *err,
		   size_t errlen);

enum k8s_event_type { K8S_ADDED, K8S_MODIFIED, K8S_DELETED, K8S_BOOKMARK, K8S_ERROR };

struct k8s_event {
	enum k8s_event_type type;
	json_t *root;	/* owned */
	json_t *object; /* in @root */
	const char *rv; /* object.metadata.resourceVersion, or NULL */
	const char *ns; /* NULL for cluster-scoped kinds */
	const char *name;
	long code;	     /* K8S_ERROR: the Status's code (410: expired) */
	const char *message; /* K8S_ERROR: the Status's message */
	/* A BOOKMARK ending the initial events of a sendInitialEvents watch. */
	bool initial_events_end;
};

/* One line of a watch stream. 0, or -EINVAL with @err (no JSON, unknown type,
 * no object). */
int k8s_event_parse(const char *line, size_t len, struct k8s_event *ev, char *err, size_t errlen);
void k8s_event_free(struct k8s_event *ev);

#endif
