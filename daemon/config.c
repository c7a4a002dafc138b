// SPDX-License-Identifier: Apache-2.0
/* weftd's flags, declared once: the table below is parsed, defaulted and
 * printed by lib/flags.c. README.md's weftd table lists the same flags
 * (tests/bats/05-docs.bats holds the two together). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "flags.h"
#include "daemon/config.h"
#include "daemon/flows/flows.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/k8s/creds.h"
#include "daemon/metrics/http.h"
#include "daemon/overlay/overlay.h"

/* The table stores an index into these: same order as enum weft_log_level. */
static const char *const log_levels[] = {"warn", "info", "debug", NULL};
_Static_assert(LOG_LEVEL_WARN == 0 && LOG_LEVEL_INFO == 1 && LOG_LEVEL_DEBUG == 2,
	       "log_levels[] follows enum weft_log_level");

bool weftd_has_cluster(const struct weftd_config *cfg)
{
	return cfg->cluster_file[0] || cfg->kubeconfig[0] || cfg->in_cluster;
}

bool weftd_pod_cidr_ok(const char *cidr)
{
	uint32_t net;
	int prefix;

	return !ipam_parse_cidr(cidr, &net, &prefix) && prefix >= IPAM_MIN_PREFIX &&
	       prefix <= IPAM_MAX_PREFIX;
}

/* The help texts below say these numbers in words. */
_Static_assert(IPAM_MIN_PREFIX == 16 && IPAM_MAX_PREFIX == 30 && WEFTD_DEFAULT_MTU == 1500 &&
		       OVERLAY_IPV4_OVERHEAD == 50,
	       "weftd's --help says what these are");

static bool metrics_addr_ok(const char *addr)
{
	struct sockaddr_storage ss;
	unsigned int len;

	return !http_addr_parse(addr, &ss, &len);
}

/* A row of weftd's table: the flag, its type and the weftd_config member. */
#define WEFTD_FLAG(name, type, member, ...)                                                        \
	FLAG_DEFINE(name, type, struct weftd_config, member, __VA_ARGS__)

static const struct flag weftd_flags[] = {
	WEFTD_FLAG("node-name", FLAG_STR, node_name, .arg = "NAME", .def_help = "the host name",
		   .help = "this node's name; with a cluster source (--cluster-file, --kubeconfig "
			   "or in-cluster), the name of its Node object"),
	WEFTD_FLAG(
		"pod-cidr", FLAG_STR, pod_cidr, .arg = "CIDR", .valid = weftd_pod_cidr_ok,
		.rule = "must be an IPv4 network a.b.c.d/len with len 16-30 and no host bits set",
		.help = "this node's IPv4 pod range for weftd's IPAM, e.g. 10.244.1.0/24; "
			"required without a cluster source, with one the Node's spec.podCIDR "
			"by default"),
	WEFTD_FLAG(
		"cluster-file", FLAG_STR, cluster_file, .arg = "FILE",
		.def_help = "none, one node without an overlay",
		.help = "a Kubernetes List (JSON) of Nodes, Namespaces, Pods and "
			"NetworkPolicies, watched and applied live; turns on the VXLAN overlay "
			"to the other nodes. weftd waits at start until its own Node has an IPv4 "
			"InternalIP (and spec.podCIDR without --pod-cidr). Replace the file "
			"atomically (mv); a malformed file is logged and the last good state "
			"stays"),
	WEFTD_FLAG(
		"kubeconfig", FLAG_STR, kubeconfig, .arg = "FILE",
		.def_help = "in-cluster credentials when KUBERNETES_SERVICE_HOST is set, else none",
		.help = "list and watch Nodes, Namespaces, Pods and NetworkPolicies from the "
			"Kubernetes API server this kubeconfig names (its current context: server, "
			"CA, token, token file or client certificate; TLS always verified); turns "
			"on the overlay like --cluster-file. Without it and --cluster-file, weftd "
			"in a pod uses its service account (the token re-read when it rotates). "
			"weftd is ready, and takes ADDs, once every kind is listed"),
	WEFTD_FLAG("vxlan-port", FLAG_INT, vxlan_port, .arg = "PORT", .min = 1, .max = 65535,
		   .def = FLAGS_STR(OVERLAY_DEFAULT_PORT),
		   .help = "UDP port of the overlay device weft_vxlan"),
	WEFTD_FLAG("state-dir", FLAG_STR, state_dir, .arg = "DIR", .def = WEFTD_DEFAULT_STATE_DIR,
		   .help = "IPAM allocations and endpoint records, written atomically"),
	WEFTD_FLAG("bpffs", FLAG_STR, bpffs, .arg = "DIR", .def = WEFTD_DEFAULT_BPFFS,
		   .help = "pin root; bpffs is mounted there if needed"),
	WEFTD_FLAG("socket", FLAG_STR, socket_path, .arg = "PATH", .def = WEFT_DEFAULT_SOCKET,
		   .help = "the API socket, for root only"),
	WEFTD_FLAG("bpf-dir", FLAG_STR, bpf_dir, .arg = "DIR", .def = WEFT_DEFAULT_BPF_DIR,
		   .help = "where weft_pod.bpf.o and weft_overlay.bpf.o are; when it is not the "
			   "object the endpoints run (<state-dir>/datapath.json), weftd upgrades "
			   "them at start, as weftctl upgrade does"),
	/* 65535: the largest an IP packet can be. */
	WEFTD_FLAG("mtu", FLAG_INT, mtu, .arg = "N", .min = WEFTD_MIN_MTU, .max = 65535,
		   .def_help = "auto: the device holding the node IP with --cluster-file, else "
			       "the default route's device, else 1500",
		   .help = "the node network's MTU. Pods get it less 50 (VXLAN over IPv4) with the "
			   "overlay, as is without"),
	WEFTD_FLAG("metrics-addr", FLAG_STR, metrics_addr, .arg = "HOST:PORT",
		   .valid = metrics_addr_ok, .rule = "must be IPV4:PORT or [IPV6]:PORT",
		   .def_help = "none, no HTTP server",
		   .help = "serve /metrics (Prometheus text), /healthz and /readyz over HTTP on "
			   "this address only, e.g. 127.0.0.1:9962; counts, never traffic"),
	WEFTD_FLAG("flow-events", FLAG_CHOICE, flow_events, .arg = "MODE",
		   .choices = flows_mode_names, .def = "drops",
		   .help = "what the programs report to weftd as flow events (weftctl flows): "
			   "off, drops (every drop), policy (drops and the new flows a policy "
			   "rule allowed) or all (drops and every new flow); changed without "
			   "reloading the programs"),
	WEFTD_FLAG("flow-rate", FLAG_INT, flow_rate, .arg = "N", .min = 1, .max = 1000000,
		   .def = FLAGS_STR(WEFT_FLOW_DEFAULT_RATE),
		   .help = "flow events a second per CPU, at most (a burst of one second's "
			   "worth); the rest are counted as lost, never silently dropped"),
	WEFTD_FLAG("flow-history", FLAG_INT, flow_history, .arg = "N", .min = 1,
		   .max = WEFTD_FLOW_HISTORY_MAX, .def = FLAGS_STR(WEFTD_FLOW_HISTORY_DEFAULT),
		   .help = "flow records weftd keeps in memory for weftctl flows, the oldest "
			   "overwritten first"),
	WEFTD_FLAG("log-level", FLAG_CHOICE, log_level, .arg = "LEVEL", .choices = log_levels,
		   .def = "info", .help = "warn, info or debug"),
	FLAGS_HELP_AND_VERSION,
};

static void usage(const struct flags_prog *p, FILE *fp)
{
	fprintf(fp, "Usage: weftd --pod-cidr CIDR [OPTIONS]\n"
		    "       weftd --cluster-file FILE [OPTIONS]\n"
		    "       weftd --kubeconfig FILE [OPTIONS]\n"
		    "       weftd [OPTIONS]   (in a pod: the Kubernetes API, in-cluster)\n"
		    "\n"
		    "weft node daemon: loads the per-pod eBPF programs, keeps their pins,\n"
		    "allocates pod addresses and serves the CNI plugin and weftctl. With a\n"
		    "cluster source (a cluster file, or the Kubernetes API) it also runs the\n"
		    "VXLAN overlay to the other nodes and enforces NetworkPolicies.\n"
		    "\n"
		    "Options:\n");
	flags_print(p, fp);
}

static const struct flags_prog weftd_prog = FLAGS_PROG("weftd", usage, weftd_flags);

/* What no single flag can check alone. */
static int check_config(struct weftd_config *cfg)
{
	if (!cfg->node_name[0] && gethostname(cfg->node_name, sizeof(cfg->node_name) - 1) < 0)
		strcpy(cfg->node_name, "unknown");
	if (cfg->cluster_file[0] && cfg->kubeconfig[0]) {
		fprintf(stderr,
			"weftd: --cluster-file and --kubeconfig: one cluster source only\n");
		return -EINVAL;
	}
	cfg->in_cluster = !cfg->cluster_file[0] && !cfg->kubeconfig[0] && k8s_creds_in_cluster();
	if (weftd_has_cluster(cfg) && cfg->mtu &&
	    cfg->mtu - OVERLAY_IPV4_OVERHEAD < WEFTD_MIN_MTU) {
		fprintf(stderr,
			"weftd: --mtu: with a cluster source must be at least %d (the "
			"overlay takes %d bytes)\n",
			WEFTD_MIN_MTU + OVERLAY_IPV4_OVERHEAD, OVERLAY_IPV4_OVERHEAD);
		return -EINVAL;
	}
	/* With a cluster source it comes from this node's Node object, at start. */
	if (!cfg->pod_cidr[0] && !weftd_has_cluster(cfg)) {
		fprintf(stderr,
			"weftd: --pod-cidr is required without a cluster source "
			"(--cluster-file, --kubeconfig, or KUBERNETES_SERVICE_HOST in a pod): "
			"this node's IPv4 pod range, e.g. 10.244.1.0/24\n");
		return -EINVAL;
	}
	return 0;
}

int weftd_config_parse(struct weftd_config *cfg, int argc, char **argv)
{
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = flags_parse(&weftd_prog, argc, argv, cfg);
	if (err)
		return err;
	if (optind < argc) {
		fprintf(stderr, "weftd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return check_config(cfg);
}
