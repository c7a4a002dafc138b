/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed getters for Kubernetes JSON objects, shared by the object parsers in
 * cluster_k8s.c: each names the field's path in its error (cluster_k8s_err),
 * quotes a bad value briefly, and treats JSON null as absent.
 */
#ifndef WEFTD_CLUSTER_K8S_FIELDS_H
#define WEFTD_CLUSTER_K8S_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

#include "addr.h"
#include "daemon/cluster/cluster_k8s.h"

/* Kubernetes' own limit for object names (a DNS subdomain). */
#define K8S_NAME_MAX 253
/* How much of a bad value a message quotes. */
#define VALUE_QUOTE_MAX 64

struct k8s_meta {
	const char *ns; /* "default" when a namespaced object has none */
	const char *name;
	const char *uid;
	json_t *labels;
};

/* Fill @err's message; returns -EINVAL, so a parser can `return k8s_bad(...)`. */
int k8s_bad(struct cluster_k8s_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A short JSON rendering of @v for messages: "10.1.1.x" (quoted), 3, {...}. */
const char *k8s_quote(const json_t *v, char *buf, size_t len);
/* JSON null counts as absent: clients print it for unset optional fields. */
json_t *k8s_get(const json_t *obj, const char *key);
/* An optional object member: NULL when absent, -EINVAL when not an object. */
int k8s_get_object(const json_t *obj, const char *key, const char *path, json_t **out,
		   struct cluster_k8s_err *err);
/* An optional array member: NULL when absent, -EINVAL when not an array. */
int k8s_get_array(const json_t *obj, const char *key, const char *path, json_t **out,
		  struct cluster_k8s_err *err);
/* An optional string member: *out NULL when absent. */
int k8s_get_string(const json_t *obj, const char *key, const char *path, const char **out,
		   struct cluster_k8s_err *err);
/* A required object name: a non-empty string of at most K8S_NAME_MAX. */
int k8s_get_name(const json_t *obj, const char *key, const char *path, const char **out,
		 struct cluster_k8s_err *err);
/* @v as an IP address / a CIDR (no host bits), or an error naming @path. */
int k8s_parse_addr(const json_t *v, const char *path, struct weft_addr *out,
		   struct cluster_k8s_err *err);
int k8s_parse_cidr(const json_t *v, const char *path, struct weft_prefix *out,
		   struct cluster_k8s_err *err);
/* metadata: name, namespace ("default" when a namespaced object has none),
 * uid and labels (string values only). */
int k8s_parse_meta(const json_t *obj, bool namespaced, struct k8s_meta *m,
		   struct cluster_k8s_err *err);
/* The validated labels of k8s_parse_meta() into @out: 0 or -ENOMEM. */
int k8s_copy_labels(const json_t *labels, struct cl_labels *out);

#endif
