// SPDX-License-Identifier: Apache-2.0
/* The `flows` op: the history, filtered (docs/api.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "names.h"
#include "daemon/flows/flows.h"
#include "daemon/flows/history.h"
#include "daemon/weftd.h"

/* Without "last": the newest 100 (a follower asks with "since" and 0). */
#define FLOWS_DEFAULT_LAST 100

static json_t *bad(const char *field, const char *rule)
{
	char details[256];

	snprintf(details, sizeof(details), "%s: %s", field, rule);
	return api_error_reply(EINVAL, "invalid argument", details);
}

/* An optional non-negative integer argument no larger than @max. */
static json_t *arg_uint(json_t *req, const char *field, json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(req, field);

	if (!v)
		return NULL;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return bad(field, "must be a non-negative integer in range");
	*out = json_integer_value(v);
	return NULL;
}

static json_t *arg_string(json_t *req, const char *field, const char **out)
{
	json_t *v = json_object_get(req, field);

	if (!v)
		return NULL;
	if (!json_is_string(v) || !json_string_length(v))
		return bad(field, "must be a non-empty string");
	*out = json_string_value(v);
	return NULL;
}

/* Reads every filter of @req into @f (its pod split into @pod). */
static json_t *parse_filter(json_t *req, struct flow_filter *f, char *pod, size_t sz)
{
	const char *p = NULL, *verdict = NULL;
	json_int_t port = -1;
	json_t *err;
	char *slash;

	err = arg_string(req, "pod", &p);
	if (!err)
		err = arg_string(req, "namespace", &f->ns);
	if (!err)
		err = arg_string(req, "reason", &f->reason);
	if (!err)
		err = arg_string(req, "verdict", &verdict);
	if (!err)
		err = arg_uint(req, "port", 65535, &port);
	if (err)
		return err;
	f->port = (int)port;
	f->dropped = -1;
	if (verdict && strcmp(verdict, "forwarded") && strcmp(verdict, "dropped"))
		return bad("verdict", "must be forwarded or dropped");
	if (verdict)
		f->dropped = !strcmp(verdict, "dropped");
	if (!p)
		return NULL;
	snprintf(pod, sz, "%s", p);
	slash = strchr(pod, '/');
	if (!slash || slash == pod || !slash[1] || strchr(slash + 1, '/'))
		return bad("pod", "must be namespace/name");
	*slash = '\0';
	f->pod_ns = pod;
	f->pod_name = slash + 1;
	return NULL;
}

json_t *flows_query(struct weftd *d, json_t *req)
{
	struct flow_history *h = flows_history(d);
	struct flow_filter f = {0};
	json_int_t since = 0, last = FLOWS_DEFAULT_LAST;
	json_t *err, *rows, *out;
	char pod[512];
	size_t left;

	if (!h)
		return api_error_reply(ENOTSUP, "flow events are not read", "flows");
	err = parse_filter(req, &f, pod, sizeof(pod));
	if (!err)
		err = arg_uint(req, "since", INT64_MAX, &since);
	if (!err)
		err = arg_uint(req, "last", INT32_MAX, &last);
	if (err)
		return err;
	rows = json_array();
	if (!rows)
		return NULL;
	left = flow_history_query(h, &f, (uint64_t)since, (size_t)last, rows);
	out = json_pack("{s:b, s:o, s:I, s:I, s:o*}", "ok", 1, "flows", rows, "cursor",
			(json_int_t)flow_history_last(h), "left", (json_int_t)left, "events",
			flows_status(d));
	return out;
}
