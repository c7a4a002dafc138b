/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes LabelSelectors (meta/v1), as NetworkPolicy uses them for its
 * podSelector and its peers' podSelector and namespaceSelector: parsed and
 * validated from JSON with errors that name the field, then matched against
 * label sets. matchLabels become In requirements of one value, so matching
 * has one loop and one set of semantics.
 */
#ifndef WEFTD_POLICY_SELECTOR_H
#define WEFTD_POLICY_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster_k8s.h"

enum selector_op {
	SELECTOR_IN,
	SELECTOR_NOT_IN, /* also true when the key is absent, as in Kubernetes */
	SELECTOR_EXISTS,
	SELECTOR_DOES_NOT_EXIST,
};

struct selector_req {
	const char *key;
	enum selector_op op;
	const char **values; /* In, NotIn: at least one; Exists, DoesNotExist: none */
	size_t n_values;
};

/* Every requirement must hold; none (the selector {}) selects everything. */
struct selector {
	struct selector_req *reqs;
	size_t n_reqs;
};

/*
 * The LabelSelector object @v (the field at @path, for errors) into @out.
 * Keys and values are borrowed from @v, which must outlive @out and not
 * change. 0, -EINVAL with @err naming the field (e.g.
 * "spec.podSelector.matchExpressions[1].values: must be non-empty for In"),
 * or -ENOMEM. @out needs selector_free() only after a 0.
 */
int selector_parse(const json_t *v, const char *path, struct selector *out,
		   struct cluster_k8s_err *err);
/* The optional member @key of @obj (at @path) as above; *@present tells
 * whether it was there (absent: @out untouched). */
int selector_parse_member(const json_t *obj, const char *key, const char *path,
			  struct selector *out, bool *present, struct cluster_k8s_err *err);
void selector_free(struct selector *sel);

/*
 * A field's path for error messages ("spec.ingress[0].from[1].podSelector"),
 * as snprintf() into @buf; returns @buf. A path too long for @buf is cut, which
 * only shortens a message. Shared by the policy parsers.
 */
const char *field_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

bool selector_matches(const struct selector *sel, const struct cl_labels *labels);
/* {}: selects every label set. */
bool selector_is_empty(const struct selector *sel);

#endif
