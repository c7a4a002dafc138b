/* SPDX-License-Identifier: Apache-2.0 */
/* weftd's command-line configuration. Every name weftd touches on the host
 * comes from here, so several weftd instances (one per network namespace in
 * the test topology) never collide. The flags that fill it are declared once,
 * in config.c's table. */
#ifndef WEFTD_CONFIG_H
#define WEFTD_CONFIG_H

#include <limits.h>
#include <stdbool.h>

#include "log.h"

#define WEFTD_DEFAULT_STATE_DIR "/var/lib/weft"
#define WEFTD_DEFAULT_BPFFS	"/sys/fs/bpf/weft"
#define WEFTD_DEFAULT_MTU	1500
#define WEFTD_POD_OBJECT	"weft_pod.bpf.o"
/* Directories from flags stay well under PATH_MAX so every path weftd derives
 * from them (pins, state files) fits without truncation. */
#define WEFTD_DIR_MAX 2048
/* The smallest MTU an IPv4 link may have (RFC 791). */
#define WEFTD_MIN_MTU 68
/* --flow-history: records kept (a record is about 1 KiB with its JSON). */
#define WEFTD_FLOW_HISTORY_DEFAULT 8192
#define WEFTD_FLOW_HISTORY_MAX	   1048576

struct weftd_config {
	char node_name[256];
	char pod_cidr[64];
	char state_dir[WEFTD_DIR_MAX];
	char bpffs[WEFTD_DIR_MAX];
	char socket_path[108]; /* sizeof(sockaddr_un.sun_path) */
	char bpf_dir[WEFTD_DIR_MAX];
	char cluster_file[WEFTD_DIR_MAX]; /* empty: no file source */
	char kubeconfig[WEFTD_DIR_MAX];	  /* empty: no kubeconfig */
	char metrics_addr[80];		  /* empty: no metrics server */
	/* Set by the parser: neither source flag is given and the environment
	 * says weftd runs in a pod (KUBERNETES_SERVICE_HOST). */
	bool in_cluster;
	int vxlan_port;
	int mtu;	  /* the node network's (underlay) MTU; 0: detected */
	int log_level;	  /* enum weft_log_level */
	int flow_events;  /* enum weft_flow_mode */
	int flow_rate;	  /* flow events a second per CPU */
	int flow_history; /* flow records kept for weftctl flows */
};

/*
 * Defaults, then the command line, then the checks across flags. 0 to run,
 * 1 when --help or --version was served, -EINVAL after saying on stderr
 * which flag is wrong.
 */
int weftd_config_parse(struct weftd_config *cfg, int argc, char **argv);
/* weftd has a cluster source (file, kubeconfig or in-cluster): it runs the
 * model, the overlay and waits for its own Node at start. */
bool weftd_has_cluster(const struct weftd_config *cfg);
/* An IPv4 network weftd's IPAM can serve: a.b.c.d/len, no host bits. */
bool weftd_pod_cidr_ok(const char *cidr);

#endif
