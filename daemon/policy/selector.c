// SPDX-License-Identifier: Apache-2.0
/* LabelSelectors: parsing with the API server's validation, and matching. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster/cluster_k8s_fields.h"
#include "daemon/policy/selector.h"
#include "array.h"
#include "names.h"

/* Kubernetes' limits: a label name or value, and a key's DNS-subdomain prefix. */
#define LABEL_NAME_MAX	 63
#define LABEL_PREFIX_MAX 253
#define PATH_MAX_LEN	 256
#define LABEL_KEY_RULE                                                                             \
	"([prefix/]name, name at most 63 of [A-Za-z0-9_.-] alphanumeric at both ends)"

const char *field_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

static const char *const op_names[] = {
	[SELECTOR_IN] = "In",
	[SELECTOR_NOT_IN] = "NotIn",
	[SELECTOR_EXISTS] = "Exists",
	[SELECTOR_DOES_NOT_EXIST] = "DoesNotExist",
};

/* A label value, or the name part of a key: [A-Za-z0-9_.-], at most 63,
 * beginning and ending alphanumeric. */
static bool valid_label_name(const char *s)
{
	size_t len = strlen(s);

	return weft_valid_name(s, LABEL_NAME_MAX) && isalnum((unsigned char)s[len - 1]);
}

/* [prefix/]name, the prefix a DNS subdomain (lower case, digits, '-', '.'). */
static bool valid_label_key(const char *key)
{
	const char *slash = strchr(key, '/');
	size_t plen;

	if (!slash)
		return valid_label_name(key);
	plen = (size_t)(slash - key);
	if (!plen || plen > LABEL_PREFIX_MAX || !isalnum((unsigned char)key[0]) ||
	    !isalnum((unsigned char)key[plen - 1]))
		return false;
	for (size_t i = 0; i < plen; i++) {
		unsigned char c = (unsigned char)key[i];

		if (!islower(c) && !isdigit(c) && c != '-' && c != '.')
			return false;
	}
	return valid_label_name(slash + 1);
}

static bool valid_label_value(const char *v)
{
	return !*v || valid_label_name(v);
}

static int parse_op(const char *s, enum selector_op *op)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++) {
		if (!strcmp(s, op_names[i])) {
			*op = (enum selector_op)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_key(const json_t *obj, const char *path, const char **key,
		     struct cluster_k8s_err *err)
{
	int ret = k8s_get_string(obj, "key", path, key, err);

	if (ret)
		return ret;
	if (!*key || !valid_label_key(*key))
		return k8s_bad(err, "%s: \"%s\" is not a label key " LABEL_KEY_RULE, path,
			       *key ? *key : "");
	return 0;
}

/* One matchExpressions[] item into @req; its values go to @vals (room made). */
static int parse_expression(const json_t *e, const char *path, struct selector_req *req,
			    const char **vals, struct cluster_k8s_err *err)
{
	char sub[PATH_MAX_LEN], q[VALUE_QUOTE_MAX + 8];
	const char *op;
	json_t *values, *v;
	size_t i;
	int ret;

	if (!json_is_object(e))
		return k8s_bad(err, "%s: must be an object, got %s", path,
			       k8s_quote(e, q, sizeof(q)));
	field_path(sub, sizeof(sub), "%s.key", path);
	ret = parse_key(e, sub, &req->key, err);
	if (ret)
		return ret;
	field_path(sub, sizeof(sub), "%s.operator", path);
	ret = k8s_get_string(e, "operator", sub, &op, err);
	if (ret)
		return ret;
	if (!op || parse_op(op, &req->op))
		return k8s_bad(err, "%s: %s is not one of In, NotIn, Exists, DoesNotExist", sub,
			       k8s_quote(k8s_get(e, "operator"), q, sizeof(q)));
	field_path(sub, sizeof(sub), "%s.values", path);
	ret = k8s_get_array(e, "values", sub, &values, err);
	if (ret)
		return ret;
	if ((req->op == SELECTOR_IN || req->op == SELECTOR_NOT_IN) && !json_array_size(values))
		return k8s_bad(err, "%s: must be non-empty for %s", sub, op_names[req->op]);
	if ((req->op == SELECTOR_EXISTS || req->op == SELECTOR_DOES_NOT_EXIST) &&
	    json_array_size(values))
		return k8s_bad(err, "%s: must be empty for %s", sub, op_names[req->op]);
	req->values = vals;
	req->n_values = json_array_size(values);
	json_array_foreach (values, i, v) {
		const char *s = json_string_value(v);

		if (!s || !valid_label_value(s))
			return k8s_bad(err, "%s[%zu]: %s is not a label value", sub, i,
				       k8s_quote(v, q, sizeof(q)));
		vals[i] = s;
	}
	return 0;
}

/* matchLabels into In requirements of one value each. */
static int parse_match_labels(const json_t *labels, const char *path, struct selector_req *reqs,
			      const char **vals, struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];
	const char *key;
	size_t i = 0;
	json_t *v;

	json_object_foreach ((json_t *)labels, key, v) {
		const char *s = json_string_value(v);

		if (!valid_label_key(key))
			return k8s_bad(err, "%s: \"%s\" is not a label key " LABEL_KEY_RULE, path,
				       key);
		if (!s || !valid_label_value(s))
			return k8s_bad(err, "%s[\"%s\"]: %s is not a label value", path, key,
				       k8s_quote(v, q, sizeof(q)));
		vals[i] = s;
		reqs[i] = (struct selector_req){key, SELECTOR_IN, &vals[i], 1};
		i++;
	}
	return 0;
}

int selector_parse(const json_t *v, const char *path, struct selector *out,
		   struct cluster_k8s_err *err)
{
	char sub[PATH_MAX_LEN], q[VALUE_QUOTE_MAX + 8];
	size_t n_labels, n_reqs, n_vals, i;
	struct selector sel = {};
	json_t *labels, *exprs, *e;
	const char **vals;
	int ret;

	if (!json_is_object(v))
		return k8s_bad(err, "%s: must be an object, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	field_path(sub, sizeof(sub), "%s.matchLabels", path);
	ret = k8s_get_object(v, "matchLabels", sub, &labels, err);
	if (ret)
		return ret;
	field_path(sub, sizeof(sub), "%s.matchExpressions", path);
	ret = k8s_get_array(v, "matchExpressions", sub, &exprs, err);
	if (ret)
		return ret;

	/* One array of requirements and one of value pointers, sized up front. */
	n_labels = json_object_size(labels);
	n_reqs = n_labels + json_array_size(exprs);
	n_vals = n_labels;
	json_array_foreach (exprs, i, e)
		n_vals += json_array_size(k8s_get(e, "values"));
	if (!n_reqs) {
		*out = sel;
		return 0;
	}
	/* The value pointers live right after the requirements: one block to free. */
	sel.reqs = calloc(1, n_reqs * sizeof(*sel.reqs) + n_vals * sizeof(*vals));
	if (!sel.reqs)
		return -ENOMEM;
	vals = (const char **)(sel.reqs + n_reqs);
	field_path(sub, sizeof(sub), "%s.matchLabels", path);
	ret = parse_match_labels(labels, sub, sel.reqs, vals, err);
	if (ret)
		goto free_reqs;
	sel.n_reqs = n_labels;
	n_vals = n_labels;
	json_array_foreach (exprs, i, e) {
		field_path(sub, sizeof(sub), "%s.matchExpressions[%zu]", path, i);
		ret = parse_expression(e, sub, &sel.reqs[sel.n_reqs], vals + n_vals, err);
		if (ret)
			goto free_reqs;
		n_vals += sel.reqs[sel.n_reqs++].n_values;
	}
	*out = sel;
	return 0;

free_reqs:
	free(sel.reqs);
	return ret;
}

int selector_parse_member(const json_t *obj, const char *key, const char *path,
			  struct selector *out, bool *present, struct cluster_k8s_err *err)
{
	char sub[PATH_MAX_LEN];
	json_t *v;
	int ret;

	field_path(sub, sizeof(sub), "%s.%s", path, key);
	ret = k8s_get_object(obj, key, sub, &v, err);
	if (!ret && v)
		ret = selector_parse(v, sub, out, err);
	*present = !ret && v;
	return ret;
}

void selector_free(struct selector *sel)
{
	free(sel->reqs);
	*sel = (struct selector){};
}

static bool has_value(const struct selector_req *req, const char *v)
{
	for (size_t i = 0; i < req->n_values; i++) {
		if (!strcmp(req->values[i], v))
			return true;
	}
	return false;
}

bool selector_matches(const struct selector *sel, const struct cl_labels *labels)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct selector_req *req = &sel->reqs[i];
		const char *v = cl_labels_get(labels, req->key);
		bool holds;

		switch (req->op) {
		case SELECTOR_IN: holds = v && has_value(req, v); break;
		case SELECTOR_NOT_IN: holds = !v || !has_value(req, v); break;
		case SELECTOR_EXISTS: holds = v; break;
		default: holds = !v; break;
		}
		if (!holds)
			return false;
	}
	return true;
}

bool selector_is_empty(const struct selector *sel)
{
	return !sel->n_reqs;
}
