// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cluster/cluster_k8s_fields.h"

int k8s_bad(struct cluster_k8s_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A short JSON rendering of @v for messages: "10.1.1.x" (quoted), 3, {...}. */
const char *k8s_quote(const json_t *v, char *buf, size_t len)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	json_free_t free_fn;

	if (!s) {
		snprintf(buf, len, "%s", v ? "(value)" : "nothing");
		return buf;
	}
	if (strlen(s) > VALUE_QUOTE_MAX)
		snprintf(buf, len, "%.*s...", VALUE_QUOTE_MAX, s);
	else
		snprintf(buf, len, "%s", s);
	/* jansson's allocator made it: the watcher's JSON arena, at times. */
	json_get_alloc_funcs(NULL, &free_fn);
	free_fn(s);
	return buf;
}

/* JSON null counts as absent: clients print it for unset optional fields. */
json_t *k8s_get(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* An optional object member: NULL when absent, -EINVAL when not an object. */
int k8s_get_object(const json_t *obj, const char *key, const char *path, json_t **out,
		   struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];
	json_t *v = k8s_get(obj, key);

	if (v && !json_is_object(v))
		return k8s_bad(err, "%s: must be an object, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	*out = v;
	return 0;
}

int k8s_get_array(const json_t *obj, const char *key, const char *path, json_t **out,
		  struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];
	json_t *v = k8s_get(obj, key);

	if (v && !json_is_array(v))
		return k8s_bad(err, "%s: must be an array, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	*out = v;
	return 0;
}

/* An optional string member: *out NULL when absent. */
int k8s_get_string(const json_t *obj, const char *key, const char *path, const char **out,
		   struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];
	json_t *v = k8s_get(obj, key);

	if (v && !json_is_string(v))
		return k8s_bad(err, "%s: must be a string, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	*out = v ? json_string_value(v) : NULL;
	return 0;
}

int k8s_get_name(const json_t *obj, const char *key, const char *path, const char **out,
		 struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];
	json_t *v = k8s_get(obj, key);
	const char *s = json_string_value(v);

	if (!s || !*s)
		return k8s_bad(err, "%s: must be a non-empty string, got %s", path,
			       k8s_quote(v, q, sizeof(q)));
	if (strlen(s) > K8S_NAME_MAX)
		return k8s_bad(err, "%s: longer than %d characters", path, K8S_NAME_MAX);
	*out = s;
	return 0;
}

int k8s_parse_addr(const json_t *v, const char *path, struct weft_addr *out,
		   struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];

	if (!json_is_string(v) || weft_addr_parse(json_string_value(v), out))
		return k8s_bad(err, "%s: %s is not an IP address", path,
			       k8s_quote(v, q, sizeof(q)));
	return 0;
}

int k8s_parse_cidr(const json_t *v, const char *path, struct weft_prefix *out,
		   struct cluster_k8s_err *err)
{
	char q[VALUE_QUOTE_MAX + 8];

	if (!json_is_string(v) || weft_prefix_parse(json_string_value(v), out))
		return k8s_bad(err,
			       "%s: %s is not a CIDR (address/prefix length, no host bits set)",
			       path, k8s_quote(v, q, sizeof(q)));
	return 0;
}

int k8s_parse_meta(const json_t *obj, bool namespaced, struct k8s_meta *m,
		   struct cluster_k8s_err *err)
{
	const char *key;
	json_t *md, *v;
	int ret;

	*m = (struct k8s_meta){};
	if (!json_is_object(obj))
		return k8s_bad(err, "must be an object");
	md = k8s_get(obj, "metadata");
	if (!json_is_object(md))
		return k8s_bad(err, "metadata: must be an object");
	ret = k8s_get_name(md, "name", "metadata.name", &m->name, err);
	if (ret)
		return ret;
	if (namespaced) {
		/* What the API server would have filled in for a hand-written file. */
		m->ns = "default";
		if (k8s_get(md, "namespace")) {
			ret = k8s_get_name(md, "namespace", "metadata.namespace", &m->ns, err);
			if (ret)
				return ret;
		}
	}
	ret = k8s_get_string(md, "uid", "metadata.uid", &m->uid, err);
	if (!ret)
		ret = k8s_get_object(md, "labels", "metadata.labels", &m->labels, err);
	if (ret)
		return ret;
	json_object_foreach (m->labels, key, v) {
		char q[VALUE_QUOTE_MAX + 8];

		if (!*key)
			return k8s_bad(err, "metadata.labels: a key is empty");
		if (!json_is_string(v))
			return k8s_bad(err, "metadata.labels[\"%s\"]: must be a string, got %s",
				       key, k8s_quote(v, q, sizeof(q)));
	}
	return 0;
}

int k8s_copy_labels(const json_t *labels, struct cl_labels *out)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)labels, key, v) {
		/* JSON keys are unique (the loader rejects duplicates), so only ENOMEM. */
		int ret = cl_labels_add(out, key, json_string_value(v));

		if (ret)
			return ret;
	}
	return 0;
}
