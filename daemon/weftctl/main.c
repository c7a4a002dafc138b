// SPDX-License-Identifier: Apache-2.0
/* weftctl: ask weftd over its socket and print the answer. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "table.h"

#define CTL_TIMEOUT_MS 10000
/* An upgrade loads every endpoint's programs: give 65536 of them time. */
#define CTL_UPGRADE_TIMEOUT_MS 300000

struct ctl {
	const char *socket;
	const char *bpf_dir; /* upgrade --bpf-dir */
	bool json;
};

static void usage(FILE *fp)
{
	fprintf(fp, "Usage: weftctl [--socket PATH] [-o table|json] COMMAND\n"
		    "\n"
		    "Commands:\n"
		    "  status      weftd's node, pod CIDR, MTU, version, endpoint count\n"
		    "  endpoints   the endpoints weftd manages and whether they are attached\n"
		    "  metrics     datapath verdict counters (non-zero rows)\n"
		    "  upgrade     load weft_pod.bpf.o (weftd's --bpf-dir, or --bpf-dir DIR) for\n"
		    "              every endpoint, then swap it in everywhere; all or nothing\n"
		    "\n"
		    "Options:\n"
		    "  --bpf-dir DIR      upgrade: the directory of the new weft_pod.bpf.o\n"
		    "  -s, --socket PATH  weftd's socket (default " WEFT_DEFAULT_SOCKET ")\n"
		    "  -o, --output FMT   table (default) or json (weftd's reply as is)\n"
		    "  -h, --help         this text\n"
		    "  -V, --version      print the version\n");
}

/* 0 and *reply, or 1 after printing why on stderr. */
static int call(const struct ctl *ctl, const char *op, json_t **reply)
{
	struct weft_api_error e = {0};
	json_t *req = json_pack("{s:s}", "op", op);
	bool upgrade = !strcmp(op, "upgrade");
	int err;

	if (req && upgrade && ctl->bpf_dir)
		json_object_set_new(req, "bpfDir", json_string(ctl->bpf_dir));
	if (!req) {
		fprintf(stderr, "weftctl: out of memory\n");
		return 1;
	}
	err = api_call(ctl->socket, req, upgrade ? CTL_UPGRADE_TIMEOUT_MS : CTL_TIMEOUT_MS, reply,
		       &e);
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

static int cmd_status(const struct ctl *ctl, json_t *reply)
{
	static const char *const keys[] = {"node",  "podCIDR",	"mtu",	     "version",
					   "bpffs", "stateDir", "endpoints", "uptimeSeconds"};
	static const char *const okeys[] = {"nodes", "pods", "ipcacheEntries", "identities"};
	json_t *ov = json_object_get(reply, "overlay");
	json_t *dp = json_object_get(reply, "datapath");
	char line[160];

	(void)ctl;
	print_keys(reply, keys, sizeof(keys) / sizeof(keys[0]));
	if (dp)
		print_datapath(dp);
	if (!json_is_object(ov)) {
		printf("%-14s %s\n", "overlay", "none (single node)");
		return 0;
	}
	snprintf(line, sizeof(line), "%s (ifindex %lld, UDP %lld, local %s)", str(ov, "device"),
		 (long long)json_integer_value(json_object_get(ov, "ifindex")),
		 (long long)json_integer_value(json_object_get(ov, "port")), str(ov, "nodeIP"));
	printf("%-14s %s\n", "overlay", line);
	print_keys(ov, okeys, sizeof(okeys) / sizeof(okeys[0]));
	return 0;
}

static int cmd_endpoints(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"ID",	 "CONTAINER", "IFNAME",	  "HOST-IF",
					  "IPS", "POD",	      "ATTACHED", "PROGRAMS"};
	char id[16], cid[13], ips[256], pod[512], progs[64];
	struct table *t;
	json_t *ep, *ip, *k8s, *pr;
	size_t i, j;

	(void)ctl;
	t = table_new(8, hdr);
	if (!t)
		goto nomem;
	json_array_foreach (json_object_get(reply, "endpoints"), i, ep) {
		snprintf(id, sizeof(id), "%lld",
			 (long long)json_integer_value(json_object_get(ep, "id")));
		snprintf(cid, sizeof(cid), "%s", str(ep, "containerID"));
		ips[0] = '\0';
		json_array_foreach (json_object_get(ep, "ips"), j, ip) {
			size_t len = strlen(ips);

			snprintf(ips + len, sizeof(ips) - len, "%s%s", j ? "," : "",
				 json_string_value(ip) ?: "");
		}
		k8s = json_object_get(ep, "k8s");
		if (k8s && *str(k8s, "name"))
			snprintf(pod, sizeof(pod), "%s/%s", str(k8s, "namespace"),
				 str(k8s, "name"));
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
		if (table_add(t, row))
			goto free_table;
	}
	table_print(t, stdout);
	table_free(t);
	return 0;
free_table:
	table_free(t);
nomem:
	fprintf(stderr, "weftctl: out of memory\n");
	return 1;
}

static int cmd_metrics(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"DIRECTION", "REASON", "CODE", "PACKETS", "BYTES"};
	char code[16], packets[24], bytes[24];
	struct table *t;
	json_t *m;
	size_t i;

	(void)ctl;
	t = table_new(5, hdr);
	if (!t)
		goto nomem;
	json_array_foreach (json_object_get(reply, "metrics"), i, m) {
		snprintf(code, sizeof(code), "%lld",
			 (long long)json_integer_value(json_object_get(m, "code")));
		snprintf(packets, sizeof(packets), "%lld",
			 (long long)json_integer_value(json_object_get(m, "packets")));
		snprintf(bytes, sizeof(bytes), "%lld",
			 (long long)json_integer_value(json_object_get(m, "bytes")));
		const char *row[] = {str(m, "direction"), str(m, "reason"), code, packets, bytes};
		if (table_add(t, row))
			goto free_table;
	}
	table_print(t, stdout);
	table_free(t);
	return 0;
free_table:
	table_free(t);
nomem:
	fprintf(stderr, "weftctl: out of memory\n");
	return 1;
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

static const struct {
	const char *name;
	const char *op;
	int (*print)(const struct ctl *ctl, json_t *reply);
} cmds[] = {
	{"status", "status", cmd_status},
	{"endpoints", "endpoint.list", cmd_endpoints},
	{"metrics", "metrics", cmd_metrics},
	{"upgrade", "upgrade", cmd_upgrade},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},  {"output", required_argument, NULL, 'o'},
		{"bpf-dir", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	   {},
	};
	struct ctl ctl = {.socket = WEFT_DEFAULT_SOCKET};
	json_t *reply = NULL;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "s:o:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 's': ctl.socket = optarg; break;
		case 'b':
			if (!*optarg) {
				fprintf(stderr, "weftctl: --bpf-dir: must be a directory\n");
				return 2;
			}
			ctl.bpf_dir = optarg;
			break;
		case 'o':
			if (!strcmp(optarg, "json")) {
				ctl.json = true;
			} else if (strcmp(optarg, "table")) {
				fprintf(stderr, "weftctl: -o: must be table or json\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("weftctl %s\n", WEFT_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (ctl.bpf_dir && strcmp(argv[optind], "upgrade")) {
		fprintf(stderr, "weftctl: --bpf-dir: only for upgrade\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		ret = call(&ctl, cmds[i].op, &reply);
		if (ret)
			return ret;
		if (ctl.json) {
			print_json(reply);
			ret = 0;
		} else {
			ret = cmds[i].print(&ctl, reply);
		}
		json_decref(reply);
		return ret;
	}
	fprintf(stderr, "weftctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
