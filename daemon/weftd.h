/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's state, built by main() and handed to every request handler.
 * Handlers run one at a time from the epoll loop; the other threads (the
 * Kubernetes watcher, an upgrade's parallel loads) hand their results to it. */
#ifndef WEFTD_H
#define WEFTD_H

#include <stdbool.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/datapath/bpffs.h"
#include "daemon/datapath/maps.h"
#include "daemon/metrics/stats.h"
#include "daemon/policy/spares.h"

struct ipam;
struct loader;
struct netdev;
struct endpoint;
struct cluster;
struct cluster_source;
struct overlay;
struct identities;
struct policy;
struct http_server;
struct flows;
struct tc_watch;

struct weftd {
	struct weftd_config cfg;
	int mtu;	/* the pod MTU: the underlay's, less the VXLAN overhead with an overlay */
	time_t started; /* CLOCK_MONOTONIC seconds */
	struct bpffs_mount bpffs_mount; /* what weftd mounted (undone if it never serves) */
	struct ipam *ipam;
	struct loader *loader; /* NULL in unit tests: endpoint ops then fail */
	struct netdev *nd;
	struct maps maps;
	/* With a cluster source (weftd_has_cluster()) only, else NULL. */
	struct cluster *cluster;
	struct cluster_source *source; /* the cluster file or the Kubernetes API */
	struct overlay *overlay;
	/* Pod identities (shared by the overlay's ipcache and the policy
	 * engine) and the engine, which runs with or without cluster state. */
	struct identities *ids;
	struct policy *policy; /* NULL in unit tests */
	int ep_dirfd; /* <state-dir>/endpoints */
	struct endpoint *endpoints;
	unsigned int nr_endpoints;
	uint32_t last_id;
	/* Empty policy maps a previous weftd left as spares, found by the
	 * start-up reconcile, for the policy engine to adopt once open. */
	uint32_t spares_found[SPARES_MAX];
	unsigned int nr_spares_found;
	/* What the endpoints run, from <state-dir>/datapath.json (upgrade.c). */
	char running_hash[17];
	/* Set when the object on disk could not replace the running programs
	 * at start: ADDs are refused with it until an upgrade succeeds. */
	char datapath_error[1024];
	/* Requests and upgrades, for /metrics (--metrics-addr). */
	struct weftd_stats stats;
	struct tc_watch *tc_watch; /* tc changes, to repair pods' filters; NULL in unit tests */
	struct http_server *metrics; /* NULL without --metrics-addr */
	struct flows *flows;	     /* the flow events' reader; NULL in unit tests */
};

#endif
