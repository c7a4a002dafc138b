// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "table.h"

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key)) ?: "";
}

static long long num(json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

void policy_request(json_t *req, const char *arg)
{
	char *end;
	long id = strtol(arg, &end, 10);

	if (*arg && !*end)
		json_object_set_new(req, "endpoint", json_integer(id));
	else
		json_object_set_new(req, "pod", json_string(arg));
}

void peer_text(json_t *peer, char *buf, size_t sz)
{
	const char *kind = str(peer, "kind"), *key;
	size_t off;
	json_t *v;

	if (!strcmp(kind, "pods")) {
		off = (size_t)snprintf(buf, sz, "%s:", str(peer, "namespace"));
		json_object_foreach (json_object_get(peer, "labels"), key, v) {
			if (off >= sz)
				break;
			off += (size_t)snprintf(buf + off, sz - off, "%s%s=%s",
						buf[off - 1] == ':' ? "" : ",", key,
						json_string_value(v) ?: "");
		}
	} else if (!strcmp(kind, "ipBlock")) {
		snprintf(buf, sz, "%s", str(peer, "cidr"));
	} else if (!strcmp(kind, "stale")) {
		snprintf(buf, sz, "identity %lld (no pod)", num(peer, "identity"));
	} else {
		snprintf(buf, sz, "%s", kind);
	}
}

static int rule_fill(struct table *t, json_t *r)
{
	json_t *p = json_object_get(r, "policy");
	char peer[512];

	peer_text(json_object_get(r, "peer"), peer, sizeof(peer));
	const char *row[] = {str(r, "direction"), peer, str(r, "protocol"), str(r, "ports"),
			     json_is_string(p) ? json_string_value(p)
					       : "(no policy selects it: open)"};
	return table_add(t, row);
}

int policy_print(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"DIRECTION", "PEER", "PROTOCOL", "PORTS", "POLICY"};
	char pod[512];

	(void)ctl;
	if (*str(reply, "pod"))
		snprintf(pod, sizeof(pod), " (%s/%s)", str(reply, "namespace"), str(reply, "pod"));
	else
		pod[0] = '\0';
	printf("endpoint %lld%s: %s, identity %lld, %lld entries in a map of %lld\n",
	       num(reply, "endpoint"), pod, str(reply, "state"), num(reply, "identity"),
	       num(reply, "entries"), num(reply, "maxEntries"));
	return table_print_rows(5, hdr, json_object_get(reply, "rules"), rule_fill);
}

int policy_print_status(json_t *status)
{
	json_t *pol = json_object_get(status, "policy"), *v, *ep, *full = NULL;
	const char *name;
	double fill, fullest = -1;
	size_t i;

	if (json_is_object(pol)) {
		printf("%-14s %lld policies, revision %lld, %lld pod identities, %lld ipBlocks\n",
		       "policy", num(pol, "policies"), num(pol, "revision"),
		       num(pol, "podIdentities"), num(pol, "ipBlocks"));
		json_array_foreach (json_object_get(pol, "invalid"), i, v)
			printf("%-14s %s/%s: %s\n", "invalid policy", str(v, "namespace"),
			       str(v, "name"), str(v, "error"));
		json_array_foreach (json_object_get(pol, "endpoints"), i, ep) {
			fill = (double)num(ep, "entries") / (double)(num(ep, "limit") ?: 1);
			if (fill > fullest) {
				fullest = fill;
				full = ep;
			}
			if (strcmp(str(ep, "state"), "open") &&
			    strcmp(str(ep, "state"), "enforced"))
				printf("%-14s endpoint %lld (%s/%s): %s\n", "policy state",
				       num(ep, "endpoint"), str(ep, "namespace"), str(ep, "pod"),
				       str(ep, "state"));
		}
		if (full)
			printf("%-14s endpoint %lld (%s/%s): %lld entries (map of %lld, limit %lld)\n",
			       "fullest policy", num(full, "endpoint"), str(full, "namespace"),
			       str(full, "pod"), num(full, "entries"), num(full, "maxEntries"),
			       num(full, "limit"));
	}
	json_object_foreach (json_object_get(status, "maps"), name, v) {
		if (json_object_get(v, "entries"))
			printf("%-14s %s: %lld of %lld\n", "map", name, num(v, "entries"),
			       num(v, "maxEntries"));
		else
			printf("%-14s %s: %lld slots\n", "map", name, num(v, "maxEntries"));
	}
	return 0;
}
