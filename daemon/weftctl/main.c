// SPDX-License-Identifier: Apache-2.0
/* weftctl: ask weftd over its socket and print the answer. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "api.h"
#include "flags.h"
#include "ctl.h"
#include "flows.h"
#include "explain.h"
#include "table.h"
#include "dumps.h"
#include "policy.h"

/* An upgrade loads every endpoint's programs: give 65536 of them time. */
#define CTL_UPGRADE_TIMEOUT_MS 300000

int ctl_request(const struct ctl *ctl, const char *op, json_t *req, int timeout_ms, json_t **reply)
{
	struct weft_api_error e = {0};
	int err;

	if (!req) {
		fprintf(stderr, "weftctl: out of memory\n");
		return 1;
	}
	err = api_call(ctl->socket, req, timeout_ms, reply, &e);
	json_decref(req);
	if (!err)
		return 0;
	if (api_unreachable(err))
		fprintf(stderr, "weftctl: weftd is not reachable at %s: %s\n", ctl->socket,
			strerror(-err));
	else
		fprintf(stderr, "weftctl: %s failed: %s%s%s (%s)\n", op, e.msg,
			e.details[0] ? ": " : "", e.details, strerror(e.err));
	return 1;
}

/* 0 and *reply, or 1 after printing why on stderr. */
static int call(const struct ctl *ctl, const char *op, json_t **reply)
{
	json_t *req = json_pack("{s:s}", "op", op);
	bool upgrade = !strcmp(op, "upgrade");

	if (req && upgrade && ctl->bpf_dir[0])
		json_object_set_new(req, "bpfDir", json_string(ctl->bpf_dir));
	if (req && !strcmp(op, "policy"))
		policy_request(req, ctl->arg);
	if (req && ctl->brief)
		json_object_set_new(req, "brief", json_true());
	return ctl_request(ctl, op, req, upgrade ? CTL_UPGRADE_TIMEOUT_MS : CTL_TIMEOUT_MS, reply);
}

static void print_json(json_t *reply)
{
	json_dumpf(reply, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static void print_keys(json_t *obj, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(obj, keys[i]);

		if (json_is_integer(v))
			printf("%-14s %lld\n", keys[i], (long long)json_integer_value(v));
		else
			printf("%-14s %s\n", keys[i], json_string_value(v) ?: "-");
	}
}

/* The programs that run, the object on disk, and each shared map's layout. */
static void print_datapath(json_t *dp)
{
	json_t *l = json_object_get(dp, "layouts");
	const char *name;
	char line[256] = "";
	size_t off = 0;
	json_t *v;

	printf("%-14s %s\n", "programs", str(dp, "objectHash")[0] ? str(dp, "objectHash") : "-");
	printf("%-14s %s (%s)\n", "object", str(dp, "loadedObject"), str(dp, "loadedHash"));
	json_object_foreach (l, name, v) {
		int n = snprintf(line + off, sizeof(line) - off, "%s%s v%lld", off ? ", " : "",
				 name, (long long)json_integer_value(v));

		if (n < 0 || (size_t)n >= sizeof(line) - off)
			break;
		off += (size_t)n;
	}
	printf("%-14s %s\n", "map layouts", line);
	if (*str(dp, "error"))
		printf("%-14s %s\n", "datapath error", str(dp, "error"));
}

static long long num(json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

/* Readiness, and where the cluster state comes from and how current it is. */
static void print_cluster(json_t *reply)
{
	json_t *cl = json_object_get(reply, "cluster"), *o = json_object_get(cl, "objects");

	if (json_is_false(json_object_get(reply, "ready")))
		printf("%-14s no: waiting for %s\n", "ready", str(reply, "waitingFor"));
	else
		printf("%-14s yes\n", "ready");
	if (!json_is_object(cl))
		return;
	if (!strcmp(str(cl, "type"), "file")) {
		printf("%-14s cluster file %s\n", "source", str(cl, "path"));
	} else {
		printf("%-14s Kubernetes API %s, %s\n", "source", str(cl, "server"),
		       str(cl, "credentials"));
		printf("%-14s %s since %s\n", "connection",
		       json_is_true(json_object_get(cl, "connected")) ? "connected"
								      : "disconnected",
		       *str(cl, "since") ? str(cl, "since") : "start");
	}
	if (*str(cl, "lastError"))
		printf("%-14s %s%s%s\n", "last error", str(cl, "lastError"),
		       *str(cl, "lastErrorAt") ? " at " : "", str(cl, "lastErrorAt"));
	printf("%-14s %lld nodes, %lld namespaces, %lld pods, %lld networkpolicies\n", "objects",
	       num(o, "nodes"), num(o, "namespaces"), num(o, "pods"), num(o, "networkpolicies"));
}

static int cmd_status(const struct ctl *ctl, json_t *reply)
{
	static const char *const keys[] = {"node",  "podCIDR",	"mtu",	     "version",
					   "bpffs", "stateDir", "endpoints", "uptimeSeconds"};
	static const char *const okeys[] = {"nodes", "pods", "ipcacheEntries", "identities"};
	json_t *ov = json_object_get(reply, "overlay");
	json_t *dp = json_object_get(reply, "datapath");
	char line[160];

	(void)ctl;
	print_keys(reply, keys, ARRAY_SIZE(keys));
	print_cluster(reply);
	if (dp)
		print_datapath(dp);
	if (!json_is_object(ov)) {
		printf("%-14s %s\n", "overlay", "none (single node)");
		return policy_print_status(reply);
	}
	snprintf(line, sizeof(line), "%s (ifindex %lld, UDP %lld, local %s)", str(ov, "device"),
		 (long long)json_integer_value(json_object_get(ov, "ifindex")),
		 (long long)json_integer_value(json_object_get(ov, "port")), str(ov, "nodeIP"));
	printf("%-14s %s\n", "overlay", line);
	print_keys(ov, okeys, ARRAY_SIZE(okeys));
	return policy_print_status(reply);
}

/* A readiness probe's answer: the exit status says it, the line says why. */
static int cmd_ready(const struct ctl *ctl, json_t *reply)
{
	(void)ctl;
	if (json_is_false(json_object_get(reply, "ready"))) {
		printf("not ready: waiting for %s\n", str(reply, "waitingFor"));
		return 1;
	}
	printf("ready\n");
	return 0;
}

/*
 * A liveness probe's answer: weftd answered, ready or not. Waiting for the
 * API server must not get weftd restarted: its datapath keeps the pods going.
 */
static int cmd_live(const struct ctl *ctl, json_t *reply)
{
	(void)ctl;
	printf("live%s\n", json_is_false(json_object_get(reply, "ready")) ? " (not ready)" : "");
	return 0;
}

static int endpoint_fill(struct table *t, json_t *ep)
{
	char id[16], cid[13], ips[256], pod[512], progs[64];
	json_t *ip, *k8s, *pr;
	size_t j;

	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(ep, "id")));
	snprintf(cid, sizeof(cid), "%s", str(ep, "containerID"));
	ips[0] = '\0';
	json_array_foreach (json_object_get(ep, "ips"), j, ip) {
		size_t len = strlen(ips);

		snprintf(ips + len, sizeof(ips) - len, "%s%s", j ? "," : "",
			 json_string_value(ip) ?: "");
	}
	k8s = json_object_get(ep, "k8s");
	if (k8s && *str(k8s, "name"))
		snprintf(pod, sizeof(pod), "%s/%s", str(k8s, "namespace"), str(k8s, "name"));
	else
		snprintf(pod, sizeof(pod), "-");
	/* object hash prefix and the two attached program ids */
	pr = json_object_get(ep, "programs");
	snprintf(progs, sizeof(progs), "%.8s %lld/%lld", str(pr, "object"),
		 (long long)json_integer_value(json_object_get(pr, "fromPod")),
		 (long long)json_integer_value(json_object_get(pr, "toPod")));
	const char *row[] = {id,
			     cid,
			     str(ep, "ifname"),
			     str(ep, "hostIfname"),
			     ips,
			     pod,
			     json_is_true(json_object_get(ep, "attached")) ? "yes" : "no",
			     progs};
	return table_add(t, row);
}

static int cmd_endpoints(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"ID",	 "CONTAINER", "IFNAME",	  "HOST-IF",
					  "IPS", "POD",	      "ATTACHED", "PROGRAMS"};

	(void)ctl;
	return table_print_rows(8, hdr, json_object_get(reply, "endpoints"), endpoint_fill);
}

static int metric_fill(struct table *t, json_t *m)
{
	char code[16], packets[24], bytes[24];

	snprintf(code, sizeof(code), "%lld",
		 (long long)json_integer_value(json_object_get(m, "code")));
	snprintf(packets, sizeof(packets), "%lld",
		 (long long)json_integer_value(json_object_get(m, "packets")));
	snprintf(bytes, sizeof(bytes), "%lld",
		 (long long)json_integer_value(json_object_get(m, "bytes")));
	const char *row[] = {str(m, "direction"), str(m, "reason"), code, packets, bytes};
	return table_add(t, row);
}

static int cmd_metrics(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"DIRECTION", "REASON", "CODE", "PACKETS", "BYTES"};

	(void)ctl;
	return table_print_rows(5, hdr, json_object_get(reply, "metrics"), metric_fill);
}

static int cmd_upgrade(const struct ctl *ctl, json_t *reply)
{
	json_t *m;
	size_t i;

	(void)ctl;
	printf("upgraded %lld endpoints to %s (was %s) in %.1f ms: load %.1f ms, swap %.1f ms\n",
	       (long long)json_integer_value(json_object_get(reply, "endpoints")),
	       str(reply, "objectHash"),
	       *str(reply, "previousHash") ? str(reply, "previousHash") : "unknown",
	       json_real_value(json_object_get(reply, "totalMs")),
	       json_real_value(json_object_get(reply, "loadMs")),
	       json_real_value(json_object_get(reply, "swapMs")));
	json_array_foreach (json_object_get(reply, "migrated"), i, m)
		printf("migrated %s layout %lld -> %lld: %lld entries\n", str(m, "map"),
		       (long long)json_integer_value(json_object_get(m, "from")),
		       (long long)json_integer_value(json_object_get(m, "to")),
		       (long long)json_integer_value(json_object_get(m, "entries")));
	return 0;
}

/* bpftool's habit: one row per command, its help beside its handler. */
static const struct cmd {
	const char *name;
	const char *op; /* weftd's operation (docs/api.md) */
	const char *help;
	int (*print)(const struct ctl *ctl, json_t *reply);
	const char *arg; /* the one argument it takes, or NULL */
	/* A command that makes its own requests (flows --follow), instead of
	 * one request and @print. */
	int (*run)(const struct ctl *ctl);
} cmds[] = {
	{"status", "status",
	 "weftd's node, pod CIDR, MTU, version, endpoint count, whether it is ready, its cluster "
	 "source (the API server's connection), the programs that run, the overlay, "
	 "the policy engine and how full every map is",
	 cmd_status, NULL, NULL},
	{"ready", "status",
	 "exit 0 when weftd is ready for pods (with a cluster source: every kind listed), 1 with "
	 "what it waits for; cheap enough for a readiness probe",
	 cmd_ready, NULL, NULL},
	{"live", "status",
	 "exit 0 when weftd answers at all, ready or not; the liveness probe (brief, like ready)",
	 cmd_live, NULL, NULL},
	{"endpoints", "endpoint.list",
	 "the endpoints weftd manages, their programs and whether they are attached", cmd_endpoints,
	 NULL, NULL},
	{"metrics", "metrics", "datapath verdict counters (non-zero rows)", cmd_metrics, NULL,
	 NULL},
	{"upgrade", "upgrade",
	 "load weft_pod.bpf.o (weftd's --bpf-dir, or --bpf-dir DIR) for every endpoint, then swap it in everywhere; all or nothing",
	 cmd_upgrade, NULL, NULL},
	{"policy", "policy",
	 "what an endpoint's policy map allows (read back from the kernel): POD as namespace/name, "
	 "or an endpoint id",
	 policy_print, "POD|ENDPOINT", NULL},
	{"flows", "flows",
	 "the last flow records (--last N, every drop and, per weftd's --flow-events, new flows "
	 "with the policy that allowed them), or follow new ones (--follow); filters: --pod, "
	 "--namespace, --verdict, --reason, --port; -o json: one object per line",
	 NULL, NULL, flows_cmd},
	{"explain", "explain",
	 "what the programs attached now do with a packet --from POD|IP --to POD|IP (--proto, "
	 "--port): each hop's program, verdict, reason, policy and next step; run with "
	 "BPF_PROG_TEST_RUN, it leaves no conntrack entry, counter or event",
	 NULL, NULL, explain_cmd},
	{"ct", "conntrack",
	 "conntrack entries: flow, state, time left, packets and bytes each way, flags "
	 "(the first 10,000)",
	 dumps_print_ct, NULL, NULL},
	{"ipcache", "ipcache",
	 "weft_ipcache as the kernel holds it: prefix, identity, who that is, tunnel endpoint",
	 dumps_print_ipcache, NULL, NULL},
	{"identities", "identities",
	 "the identities the node knows: reserved, pods (namespace and labels), ipBlocks",
	 dumps_print_identities, NULL, NULL},
};

/* Where a command's help starts in --help: past the longest name. */
#define CMD_HELP_COL 22

static const char *const outputs[] = {"table", "json", NULL};
/* Indexed by FLOWS_VERDICT_*. */
static const char *const verdicts[] = {"any", "forwarded", "dropped", NULL};

/* A row of weftctl's table: the flag, its type and the struct ctl member. */
#define CTL_FLAG(name, type, member, ...) FLAG_DEFINE(name, type, struct ctl, member, __VA_ARGS__)

/* Declared once: parsed, defaulted and printed by lib/flags.c; README.md's
 * weftctl table lists the same flags (tests/bats/05-docs.bats). */
static const struct flag ctl_flags[] = {
	CTL_FLAG("socket", FLAG_STR, socket, .short_name = 's', .arg = "PATH",
		 .def = WEFT_DEFAULT_SOCKET, .help = "weftd's socket"),
	CTL_FLAG("output", FLAG_CHOICE, output, .short_name = 'o', .arg = "FMT", .choices = outputs,
		 .def = "table", .help = "table, or json: weftd's reply as it is"),
	CTL_FLAG("bpf-dir", FLAG_STR, bpf_dir, .arg = "DIR", .rule = "must be a directory",
		 .def_help = "weftd's --bpf-dir",
		 .help = "upgrade only: the directory of the new weft_pod.bpf.o"),
	CTL_FLAG("last", FLAG_INT, last, .short_name = 'n', .arg = "N", .min = 0, .max = 1048576,
		 .def = "20", .help = "flows only: the newest N records (0: all weftd keeps)"),
	CTL_FLAG("follow", FLAG_BOOL, follow, .short_name = 'f',
		 .help = "flows only: then print new records as they come, until interrupted"),
	CTL_FLAG("pod", FLAG_STR, pod, .arg = "NS/NAME",
		 .help = "flows only: records with this pod at either end (or deciding)"),
	CTL_FLAG("namespace", FLAG_STR, ns, .arg = "NS",
		 .help = "flows only: records with a pod of this namespace at either end"),
	CTL_FLAG("verdict", FLAG_CHOICE, verdict, .arg = "VERDICT", .choices = verdicts,
		 .def = "any", .help = "flows only: forwarded or dropped"),
	CTL_FLAG("reason", FLAG_STR, reason, .arg = "NAME",
		 .help = "flows only: records of this reason (drop-policy-denied, policy-allowed, "
			 "...)"),
	CTL_FLAG("port", FLAG_INT, port, .arg = "N", .min = 1, .max = 65535,
		 .help = "flows: records with this source or destination port; explain: the "
			 "destination port"),
	CTL_FLAG("from", FLAG_STR, from, .arg = "POD|IP",
		 .help = "explain only: the source, namespace/name or an IPv4 address"),
	CTL_FLAG("to", FLAG_STR, to, .arg = "POD|IP",
		 .help = "explain only: the destination, namespace/name or an IPv4 address"),
	CTL_FLAG("proto", FLAG_STR, proto, .arg = "PROTO", .def = "tcp",
		 .help = "explain only: tcp, udp or icmp"),
	FLAGS_HELP_AND_VERSION,
};

static void usage(const struct flags_prog *p, FILE *fp)
{
	fprintf(fp, "Usage: weftctl [OPTIONS] COMMAND\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		int at = fprintf(fp, "  %s%s%s", cmds[i].name, cmds[i].arg ? " " : "",
				 cmds[i].arg ? cmds[i].arg : "");

		flags_print_wrapped(fp, cmds[i].help, CMD_HELP_COL, at);
	}
	fprintf(fp, "\nOptions:\n");
	flags_print(p, fp);
}

static const struct flags_prog ctl_prog = FLAGS_PROG("weftctl", usage, ctl_flags);

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct ctl ctl = {0};
	const struct cmd *cmd;
	json_t *reply = NULL;
	int ret;

	ret = flags_parse(&ctl_prog, argc, argv, &ctl);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (optind >= argc) {
		usage(&ctl_prog, stderr);
		return 2;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "weftctl: unknown command '%s'\n", argv[optind]);
		usage(&ctl_prog, stderr);
		return 2;
	}
	if (argc - optind != (cmd->arg ? 2 : 1)) {
		fprintf(stderr, "weftctl: %s takes %s\n", cmd->name,
			cmd->arg ? cmd->arg : "no argument");
		return 2;
	}
	ctl.arg = cmd->arg ? argv[optind + 1] : NULL;
	ctl.brief = !strcmp(cmd->name, "ready") || !strcmp(cmd->name, "live");
	if (ctl.bpf_dir[0] && strcmp(cmd->name, "upgrade")) {
		fprintf(stderr, "weftctl: --bpf-dir: only for upgrade\n");
		return 2;
	}
	if (strcmp(cmd->name, "flows") &&
	    (ctl.follow || ctl.pod[0] || ctl.ns[0] || ctl.reason[0] ||
	     ctl.verdict != FLOWS_VERDICT_ANY || (ctl.port && strcmp(cmd->name, "explain")))) {
		fprintf(stderr, "weftctl: --follow, --pod, --namespace, --verdict, --reason, "
				"--port: only for flows (--port: and explain)\n");
		return 2;
	}
	if (strcmp(cmd->name, "explain") && (ctl.from[0] || ctl.to[0])) {
		fprintf(stderr, "weftctl: --from, --to: only for explain\n");
		return 2;
	}
	if (cmd->run)
		return cmd->run(&ctl);
	ret = call(&ctl, cmd->op, &reply);
	if (ret)
		return ret;
	if (ctl.output == OUTPUT_JSON) {
		print_json(reply);
		ret = 0;
	} else {
		ret = cmd->print(&ctl, reply);
	}
	json_decref(reply);
	return ret;
}
