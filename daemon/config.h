/* SPDX-License-Identifier: Apache-2.0 */
/* weftd's command-line configuration. Every name weftd touches on the host
 * comes from here, so several weftd instances (one per network namespace in
 * the test topology) never collide. */
#ifndef WEFTD_CONFIG_H
#define WEFTD_CONFIG_H

#include <limits.h>

#include "log.h"

#define WEFTD_DEFAULT_STATE_DIR "/var/lib/weft"
#define WEFTD_DEFAULT_BPFFS	"/sys/fs/bpf/weft"
#define WEFTD_DEFAULT_MTU	1500
#define WEFTD_POD_OBJECT	"weft_pod.bpf.o"
/* Directories from flags stay well under PATH_MAX so every path weftd derives
 * from them (pins, state files) fits without truncation. */
#define WEFTD_DIR_MAX 2048

struct weftd_config {
	char node_name[256];
	char pod_cidr[64];
	char state_dir[WEFTD_DIR_MAX];
	char bpffs[WEFTD_DIR_MAX];
	char socket_path[108]; /* sizeof(sockaddr_un.sun_path) */
	char bpf_dir[WEFTD_DIR_MAX];
	char cluster_file[WEFTD_DIR_MAX]; /* empty: single node, no overlay */
	unsigned int vxlan_port;
	int mtu;		/* the node network's (underlay) MTU; 0: detected */
	unsigned int veth_pool; /* prepared veths kept ready; 0: none */
	enum weft_log_level log_level;
};

#endif
