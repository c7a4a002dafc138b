// SPDX-License-Identifier: Apache-2.0
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "flows.h"

/* --follow asks weftd for what is new this often. */
#define FOLLOW_POLL_MS 250

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* One end: ns/pod, node NAME or world, then :port when there is one. */
static const char *end_text(json_t *end, json_t *ip, const char *port_key, char *buf, size_t sz)
{
	json_t *port = json_object_get(ip, port_key);
	const char *kind = str(end, "kind");
	int n;

	if (!strcmp(kind, "pod") && *str(end, "pod"))
		n = snprintf(buf, sz, "%s/%s", str(end, "namespace"), str(end, "pod"));
	else if (!strcmp(kind, "node"))
		n = snprintf(buf, sz, "node %s", str(end, "node"));
	else
		n = snprintf(buf, sz, "%s", *str(end, "address") ? str(end, "address") : "-");
	if (port && n >= 0 && (size_t)n < sz && strcmp(str(ip, "protocol"), "icmp"))
		snprintf(buf + n, sz - (size_t)n, ":%lld", (long long)json_integer_value(port));
	return buf;
}

static void print_row(json_t *f)
{
	json_t *ip = json_object_get(f, "ip"), *pol = json_object_get(f, "policy");
	char src[300], dst[300], proto[48];
	const char *t = str(f, "time"), *policy = str(pol, "name");

	if (!*policy)
		policy = str(pol, "explanation");
	snprintf(proto, sizeof(proto), "%s%s%s", *str(ip, "protocol") ? str(ip, "protocol") : "-",
		 *str(ip, "tcpFlags") ? " " : "", str(ip, "tcpFlags"));
	/* The time of day to the millisecond: "2025-01-02T10:11:12.345678Z". */
	printf("%-12.12s  %-9s  %-20s  %-28s  %-28s  %-16s  %s\n", strlen(t) > 11 ? t + 11 : t,
	       str(f, "verdict"), str(f, "reason"),
	       end_text(json_object_get(f, "source"), ip, "sourcePort", src, sizeof(src)),
	       end_text(json_object_get(f, "destination"), ip, "destinationPort", dst, sizeof(dst)),
	       proto, policy);
}

static void print_flows(const struct ctl *ctl, json_t *reply)
{
	json_t *f;
	size_t i;

	json_array_foreach (json_object_get(reply, "flows"), i, f) {
		if (ctl->output == OUTPUT_JSON) {
			json_dumpf(f, stdout, JSON_COMPACT);
			fputc('\n', stdout);
		} else {
			print_row(f);
		}
	}
	fflush(stdout);
}

static json_t *request(const struct ctl *ctl, json_int_t since, json_int_t last)
{
	static const char *const verdicts[] = {NULL, "forwarded", "dropped"};
	json_t *req = json_pack("{s:s, s:I}", "op", "flows", "last", last);

	if (!req)
		return NULL;
	if (since)
		json_object_set_new(req, "since", json_integer(since));
	if (ctl->pod[0])
		json_object_set_new(req, "pod", json_string(ctl->pod));
	if (ctl->ns[0])
		json_object_set_new(req, "namespace", json_string(ctl->ns));
	if (ctl->verdict != FLOWS_VERDICT_ANY)
		json_object_set_new(req, "verdict", json_string(verdicts[ctl->verdict]));
	if (ctl->reason[0])
		json_object_set_new(req, "reason", json_string(ctl->reason));
	if (ctl->port)
		json_object_set_new(req, "port", json_integer(ctl->port));
	return req;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int flows_cmd(const struct ctl *ctl)
{
	struct timespec poll = {0, FOLLOW_POLL_MS * 1000000L};
	json_t *reply = NULL;
	json_int_t cursor;

	if (ctl_request(ctl, "flows", request(ctl, 0, ctl->last), CTL_TIMEOUT_MS, &reply))
		return 1;
	if (ctl->output == OUTPUT_TABLE)
		printf("%-12s  %-9s  %-20s  %-28s  %-28s  %-16s  %s\n", "TIME", "VERDICT", "REASON",
		       "SOURCE", "DESTINATION", "PROTOCOL", "POLICY");
	print_flows(ctl, reply);
	cursor = json_integer_value(json_object_get(reply, "cursor"));
	json_decref(reply);
	if (!ctl->follow)
		return 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		nanosleep(&poll, NULL);
		if (stop)
			break;
		if (ctl_request(ctl, "flows", request(ctl, cursor, 0), CTL_TIMEOUT_MS, &reply))
			return 1;
		print_flows(ctl, reply);
		/* weftd restarted: its numbers start again at 1. */
		if (json_integer_value(json_object_get(reply, "cursor")) >= cursor)
			cursor = json_integer_value(json_object_get(reply, "cursor"));
		else
			cursor = 0;
		json_decref(reply);
	}
	return 0;
}
