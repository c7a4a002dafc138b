/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's one in-memory model of the cluster: nodes, namespaces, pods and
 * NetworkPolicies, with only the fields weft uses. Sources (the cluster file,
 * later a Kubernetes API watch) feed it through one interface; observers (the
 * ipcache, the policy compiler) hear about each change as an ADD, UPDATE or
 * DELETE of one object, never a full rebuild.
 *
 * Objects are owned by the model. A pointer handed to an observer or returned by a
 * cluster_find_*() stays valid until that object is updated or deleted; an upsert
 * that changes nothing keeps the old object, so pointers stay stable then too.
 * Single-threaded: weftd's event loop owns the model. Observers must not change the
 * model from inside a callback.
 */
#ifndef WEFTD_CLUSTER_H
#define WEFTD_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Kubernetes allows one pod IP and one pod CIDR per family (dual-stack). */
#define CL_MAX_ADDRS 2

/* Sorted by key, keys unique, so two label sets compare element by element.
 * The array and its strings are one allocation (cluster_labels.c). */
struct cl_label {
	char *key;
	char *value;
};

struct cl_labels {
	struct cl_label *v;
	size_t n;
};

/* Insert keeping the order: 0, -EEXIST for a key already there, -ENOMEM. */
int cl_labels_add(struct cl_labels *l, const char *key, const char *value);
/* @dst (uninitialised) becomes a copy of @src: 0 or -ENOMEM. */
int cl_labels_copy(struct cl_labels *dst, const struct cl_labels *src);
/* The value, or NULL when @key is absent. */
const char *cl_labels_get(const struct cl_labels *l, const char *key);
bool cl_labels_equal(const struct cl_labels *a, const struct cl_labels *b);
/* {"key": "value", ...}; {} for NULL. NULL only when out of memory. */
json_t *cl_labels_json(const struct cl_labels *l);
void cl_labels_clear(struct cl_labels *l);

struct cl_node {
	char *name;
	/* status.addresses of type InternalIP, the first of each family: the underlay
	 * (tunnel endpoint) address of the node. */
	struct weft_addr ips[CL_MAX_ADDRS];
	unsigned int n_ips;
	/* spec.podCIDRs, or spec.podCIDR when only that is set. */
	struct weft_prefix pod_cidrs[CL_MAX_ADDRS];
	unsigned int n_pod_cidrs;
};

/* The node's first IPv4 InternalIP / IPv4 pod range, or NULL. */
const struct weft_addr *cl_node_ipv4(const struct cl_node *n);
const struct weft_prefix *cl_node_pod_cidr4(const struct cl_node *n);

struct cl_namespace {
	char *name;
	struct cl_labels labels;
};

struct cl_port {
	char *name; /* NULL when unnamed; NetworkPolicy ports may refer to it */
	uint16_t port;
	uint8_t protocol; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
};

struct cl_pod {
	char *ns;
	char *name;
	char *uid; /* NULL when the source gave none */
	struct cl_labels labels;
	char *node_name; /* spec.nodeName; NULL while unscheduled */
	/* status.podIPs (or status.podIP), at most one per family, in source order. */
	struct weft_addr ips[CL_MAX_ADDRS];
	unsigned int n_ips;
	/* Shares the node's addresses, so it is never looked up by IP. */
	bool host_network;
	/* Phase Succeeded or Failed: status still shows the IP, but the IP may already
	 * belong to a new pod, so it is not looked up by IP either. */
	bool terminated;
	/* Every spec.containers[].ports[] entry, sorted (name, port, protocol). */
	struct cl_port *ports;
	size_t n_ports;
};

struct cl_policy {
	char *ns;
	char *name;
	json_t *spec; /* one reference, owned; the policy compiler reads it */
};

/* Constructors for sources and tests: names copied, everything else empty.
 * NULL when out of memory. */
struct cl_node *cl_node_new(const char *name);
struct cl_namespace *cl_namespace_new(const char *name);
struct cl_pod *cl_pod_new(const char *ns, const char *name);
/* Takes a new reference to @spec, which must not be modified afterwards (the
 * model compares specs to tell an UPDATE from nothing). */
struct cl_policy *cl_policy_new(const char *ns, const char *name, json_t *spec);
/* Append a port, keeping the order above. @name may be NULL. 0 or -ENOMEM. */
int cl_pod_add_port(struct cl_pod *p, const char *name, uint16_t port, uint8_t protocol);
/* Append an address; -E2BIG beyond CL_MAX_ADDRS, -EEXIST for a second of a family. */
int cl_pod_add_ip(struct cl_pod *p, const struct weft_addr *ip);

void cl_node_free(struct cl_node *n);
void cl_namespace_free(struct cl_namespace *ns);
void cl_pod_free(struct cl_pod *p);
void cl_policy_free(struct cl_policy *pol);

/* Field-by-field comparison of everything weft uses (names included). */
bool cl_node_equal(const struct cl_node *a, const struct cl_node *b);
bool cl_namespace_equal(const struct cl_namespace *a, const struct cl_namespace *b);
bool cl_pod_equal(const struct cl_pod *a, const struct cl_pod *b);
bool cl_policy_equal(const struct cl_policy *a, const struct cl_policy *b);

enum cluster_event {
	CLUSTER_ADD,	/* old == NULL */
	CLUSTER_UPDATE, /* both set, and they differ in a field weft uses */
	CLUSTER_DELETE, /* cur == NULL */
};

const char *cluster_event_name(enum cluster_event ev);

/* Any callback may be NULL. @old and @cur are valid for the call only. */
struct cluster_observer {
	void (*node)(void *ctx, enum cluster_event ev, const struct cl_node *old,
		     const struct cl_node *cur);
	void (*namespace)(void *ctx, enum cluster_event ev, const struct cl_namespace *old,
			  const struct cl_namespace *cur);
	void (*pod)(void *ctx, enum cluster_event ev, const struct cl_pod *old,
		    const struct cl_pod *cur);
	void (*policy)(void *ctx, enum cluster_event ev, const struct cl_policy *old,
		       const struct cl_policy *cur);
	void *ctx;
	/* A batch of the calls above is over: after each single change, after a
	 * whole snapshot (a page of the initial sync: 500 pods), after the
	 * replay that cluster_add_observer() starts with. An observer may hold
	 * its writes until then (the overlay's ipcache writes one batch). */
	void (*batch_end)(void *ctx);
};

struct cluster;

/* 0 or -ENOMEM. */
int cluster_new(struct cluster **out);
void cluster_free(struct cluster *cl);

/* Copies @obs. The new observer is first told about everything already in the
 * model, as ADDs in the snapshot order (namespaces, nodes, pods, policies), so it
 * does not matter whether it registers before or after the first load.
 * 0 or -ENOMEM. */
int cluster_add_observer(struct cluster *cl, const struct cluster_observer *obs);

/*
 * A full list of the cluster, as a source read it. Objects are indexed by name
 * as they are added, so a duplicate is caught (and can be reported by the source
 * with its position) before anything reaches the model.
 */
struct cluster_snapshot;

int cluster_snapshot_new(struct cluster_snapshot **out);
void cluster_snapshot_free(struct cluster_snapshot *snap);
/* Each consumes its object whatever the result: 0, -EEXIST when the snapshot has
 * an object of that kind and name already, -EINVAL without a name, -ENOMEM. */
int cluster_snapshot_add_node(struct cluster_snapshot *snap, struct cl_node *n);
int cluster_snapshot_add_namespace(struct cluster_snapshot *snap, struct cl_namespace *ns);
int cluster_snapshot_add_pod(struct cluster_snapshot *snap, struct cl_pod *p);
int cluster_snapshot_add_policy(struct cluster_snapshot *snap, struct cl_policy *pol);

/*
 * Make the model equal to @snap, telling observers only what differs, in this
 * order: namespace and node ADD/UPDATE, pod DELETE, pod ADD/UPDATE, policy DELETE,
 * policy ADD/UPDATE, node DELETE, namespace DELETE. So an observer never sees a
 * pod on a node it has not heard of (when the snapshot lists the node), and a
 * freed pod IP is deleted before a new pod takes it.
 * Moves the objects out of @snap (it is left empty; free it as usual).
 * 0, or -ENOMEM with the model and @snap unchanged.
 */
int cluster_apply_snapshot(struct cluster *cl, struct cluster_snapshot *snap);

/* The kinds as bits, for a source that lists each kind on its own. */
enum cluster_kind_bit {
	CLUSTER_NAMESPACES = 1u << 0,
	CLUSTER_NODES = 1u << 1,
	CLUSTER_PODS = 1u << 2,
	CLUSTER_POLICIES = 1u << 3,
	CLUSTER_ALL_KINDS = 0xfu,
};

/* What applying a snapshot changed, per the kinds it covered. */
struct cluster_diff_counts {
	size_t added, updated, deleted, unchanged;
};

/*
 * cluster_apply_snapshot() for the kinds in @kinds only: the model's objects of
 * other kinds stay, whatever @snap holds of them (they are freed). This is how a
 * Kubernetes API source applies one kind's relist (after a watch expired) as the
 * difference to what it had, in the same order as above. @counts may be NULL.
 * 0 or -ENOMEM, with the model unchanged.
 */
int cluster_apply_snapshot_kinds(struct cluster *cl, struct cluster_snapshot *snap,
				 unsigned int kinds, struct cluster_diff_counts *counts);
/*
 * The same without the deletes: @snap's objects are added or updated, the
 * model's others stay. For a source's first list, applied page by page while
 * the next page is fetched: the model has nothing of that kind yet, so the
 * pages add up to what the whole list would have applied.
 */
int cluster_merge_snapshot_kinds(struct cluster *cl, struct cluster_snapshot *snap,
				 unsigned int kinds, struct cluster_diff_counts *counts);

/*
 * One object at a time, for a watch source. Upserts consume the object whatever
 * the result and emit ADD, UPDATE, or nothing when it equals the model's.
 * 0, -EINVAL without a name, -ENOMEM. Deletes: 0 or -ENOENT (no event then).
 */
int cluster_upsert_node(struct cluster *cl, struct cl_node *n);
int cluster_upsert_namespace(struct cluster *cl, struct cl_namespace *ns);
int cluster_upsert_pod(struct cluster *cl, struct cl_pod *p);
int cluster_upsert_policy(struct cluster *cl, struct cl_policy *pol);
int cluster_delete_node(struct cluster *cl, const char *name);
int cluster_delete_namespace(struct cluster *cl, const char *name);
int cluster_delete_pod(struct cluster *cl, const char *ns, const char *name);
int cluster_delete_policy(struct cluster *cl, const char *ns, const char *name);

const struct cl_node *cluster_find_node(const struct cluster *cl, const char *name);
const struct cl_namespace *cluster_find_namespace(const struct cluster *cl, const char *name);
const struct cl_pod *cluster_find_pod(const struct cluster *cl, const char *ns, const char *name);
const struct cl_policy *cluster_find_policy(const struct cluster *cl, const char *ns,
					    const char *name);
/* The running pod that has @ip (host-network and terminated pods are not indexed).
 * NULL when none. If two pods claim one IP (a source lagging behind), the one
 * indexed first wins until it goes. */
const struct cl_pod *cluster_find_pod_by_ip(const struct cluster *cl, const struct weft_addr *ip);

struct cluster_counts {
	size_t nodes, namespaces, pods, policies;
};

void cluster_counts(const struct cluster *cl, struct cluster_counts *out);

/* Visit every object of a kind, in no particular order. A non-zero return from
 * @fn stops the walk and is returned. */
int cluster_for_each_node(const struct cluster *cl, int (*fn)(void *ctx, const struct cl_node *n),
			  void *ctx);
int cluster_for_each_namespace(const struct cluster *cl,
			       int (*fn)(void *ctx, const struct cl_namespace *ns), void *ctx);
int cluster_for_each_pod(const struct cluster *cl, int (*fn)(void *ctx, const struct cl_pod *p),
			 void *ctx);
int cluster_for_each_policy(const struct cluster *cl,
			    int (*fn)(void *ctx, const struct cl_policy *pol), void *ctx);

#endif
