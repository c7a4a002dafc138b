// SPDX-License-Identifier: Apache-2.0
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "explain.h"

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* The policy column: the allowing policy and rule, or the denial text. */
static const char *policy_text(json_t *hop, char *buf, size_t sz)
{
	json_t *pol = json_object_get(hop, "policy");

	if (*str(pol, "name"))
		snprintf(buf, sz, "%s %s", str(pol, "name"), str(pol, "rule"));
	else if (*str(pol, "explanation"))
		snprintf(buf, sz, "%s", str(pol, "explanation"));
	else
		snprintf(buf, sz, "%s", str(hop, "decision"));
	return buf;
}

static void print_table(json_t *reply)
{
	char prog[64], pol[1200];
	json_t *hop;
	size_t i;

	printf("%-3s  %-28s  %-9s  %-22s  %-40s  %s\n", "HOP", "PROGRAM", "VERDICT", "REASON",
	       "POLICY", "NEXT");
	json_array_foreach (json_object_get(reply, "hops"), i, hop) {
		snprintf(prog, sizeof(prog), "%s#%lld", str(hop, "program"),
			 (long long)json_integer_value(json_object_get(hop, "programId")));
		printf("%-3zu  %-28s  %-9s  %-22s  %-40s  %s\n", i + 1, prog, str(hop, "verdict"),
		       str(hop, "reason"), policy_text(hop, pol, sizeof(pol)), str(hop, "next"));
	}
	printf("verdict: %s%s%s\n", str(reply, "verdict"), *str(reply, "note") ? "; " : "",
	       str(reply, "note"));
}

int explain_cmd(const struct ctl *ctl)
{
	json_t *req, *reply = NULL;

	if (!ctl->from[0] || !ctl->to[0]) {
		fprintf(stderr, "weftctl: explain needs --from and --to\n");
		return 2;
	}
	req = json_pack("{s:s, s:s, s:s, s:s}", "op", "explain", "from", ctl->from, "to", ctl->to,
			"proto", ctl->proto);
	if (req && ctl->port)
		json_object_set_new(req, "port", json_integer(ctl->port));
	if (ctl_request(ctl, "explain", req, CTL_TIMEOUT_MS, &reply))
		return 1;
	if (ctl->output == OUTPUT_JSON) {
		json_dumpf(reply, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		print_table(reply);
	}
	json_decref(reply);
	return 0;
}
