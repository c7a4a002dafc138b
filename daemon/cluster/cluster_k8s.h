/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes JSON objects (as `kubectl get -o json` or the API server print them)
 * into cluster model objects. Everything weft reads is validated here, so the
 * model only ever holds well-formed objects: names are non-empty strings, IPs and
 * CIDRs parse, labels map strings to strings, ports are 1..65535. Fields weft
 * does not use are not looked at.
 */
#ifndef WEFTD_CLUSTER_K8S_H
#define WEFTD_CLUSTER_K8S_H

#include <jansson.h>

#include "daemon/cluster/cluster.h"

/* Why an object was rejected, ready for a log line: "status.podIP: \"10.1.1.x\" is
 * not an IP address" for one object, prefixed with "items[3] Pod default/web: "
 * by the list parser. */
struct cluster_k8s_err {
	char msg[512];
};

/* 0 and *out (owned by the caller), -EINVAL with @err filled, or -ENOMEM. */
int cluster_k8s_parse_node(json_t *obj, struct cl_node **out, struct cluster_k8s_err *err);
int cluster_k8s_parse_namespace(json_t *obj, struct cl_namespace **out,
				struct cluster_k8s_err *err);
int cluster_k8s_parse_pod(json_t *obj, struct cl_pod **out, struct cluster_k8s_err *err);
/* The policy keeps a reference to the object's "spec" (a JSON object). */
int cluster_k8s_parse_policy(json_t *obj, struct cl_policy **out, struct cluster_k8s_err *err);

/*
 * Every Node, Namespace, Pod and NetworkPolicy (networking.k8s.io/v1) in a
 * `List` (or a typed list such as `PodList`, whose items carry no kind) into
 * @snap. Other kinds and API groups are skipped with a debug log. Stops at the
 * first bad item: -EINVAL with @err naming it (a duplicate is one too), or
 * -ENOMEM. @snap then holds a part of the list: free it, do not apply it.
 */
int cluster_k8s_parse_list(json_t *list, struct cluster_snapshot *snap,
			   struct cluster_k8s_err *err);

#endif
