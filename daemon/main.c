// SPDX-License-Identifier: Apache-2.0
/* weftd: builds the daemon from its parts and runs the loop; the flags are
 * in config.c, the work in the rooms of daemon/. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "api.h"
#include "daemon/datapath/bpffs.h"
#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster_file.h"
#include "daemon/cluster/source.h"
#include "daemon/cluster/wait.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/api/handlers.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/datapath/loader.h"
#include "log.h"
#include "daemon/host/mtu.h"
#include "daemon/host/netdev.h"
#include "daemon/host/privileges.h"
#include "daemon/overlay/overlay.h"
#include "daemon/policy/engine.h"
#include "daemon/policy/identity.h"
#include "daemon/endpoint/reconcile.h"
#include "daemon/api/server.h"
#include "daemon/endpoint/state.h"
#include "daemon/datapath/upgrade.h"
#include "daemon/k8s/source.h"
#include "daemon/metrics/endpoints.h"
#include "daemon/metrics/http.h"
#include "daemon/flows/flows.h"
#include "daemon/datapath/tc_watch.h"
#include "daemon/endpoint/repair.h"
#include "daemon/weftd.h"

#define LOCK_FILE "weftd.lock"
/* How often pending DELs, the overlay, policy and metrics are looked at. */
#define TICK_MS 1000

/* One weftd per state dir: the lock lives as long as the process. */
static int lock_state_dir(const char *dir)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, LOCK_FILE);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open %s: %s", path, strerror(-err));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = -errno;
		if (err == -EWOULDBLOCK)
			pr_warn("another weftd holds %s", path);
		else
			pr_warn("cannot lock %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

static int make_dirs(struct weftd *d)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s", d->cfg.socket_path);
	err = state_mkdir_p(dirname(path), 0755);
	if (err) {
		pr_warn("cannot create the socket's directory: %s", strerror(-err));
		return err;
	}
	err = bpffs_prepare(d->cfg.bpffs, &d->bpffs_mount);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/endpoints", d->cfg.bpffs);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		pr_warn("cannot create %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

static int open_endpoint_dir(struct weftd *d)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/endpoints", d->cfg.state_dir);
	err = state_mkdir_p(path, 0700);
	if (!err) {
		d->ep_dirfd = state_open_dir(path);
		err = d->ep_dirfd < 0 ? d->ep_dirfd : 0;
	}
	if (err)
		pr_warn("cannot open %s: %s", path, strerror(-err));
	return err;
}

static int block_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* A client that hangs up mid-reply must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return fd;
}

/*
 * The node's programs now (the upgrade may have), so that no ADD waits for
 * the verifier: after a restart those the endpoints run, when they are the
 * object on disk (one copy in the kernel, no load), else a load; should the
 * object not load, every ADD says why. Not after a refused upgrade: ADDs
 * are refused then, and a load could pin maps of a layout nothing runs.
 */
static void load_programs(struct weftd *d)
{
	struct weft_api_error e = {0};

	if (d->datapath_error[0])
		return;
	if (!strcmp(d->running_hash, loader_hash(d->loader))) {
		for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
			if (!loader_adopt(d->loader, ep->id, ep->host_ifindex))
				return;
		}
	}
	if (loader_load(d->loader, &e))
		pr_warn("the pod programs do not load yet: %s%s%s", e.msg, e.details[0] ? ": " : "",
			e.details);
}

static void tick(void *ctx)
{
	struct weftd *d = ctx;

	/* DELs the plugin recorded while a call to us timed out. */
	reconcile_pending(d);
	overlay_tick(d->overlay);
	policy_tick(d->policy);
	endpoint_spares_fill(d);
	metrics_tick(d);
}

static void on_cluster_source(void *ctx)
{
	struct weftd *d = ctx;
	int err = cluster_source_handle(d->source);

	if (err)
		pr_warn("%s: %s", d->source->what, strerror(-err));
	/* Once for the whole batch of changes the source brought: the SNAT
	 * table, the policy compile. */
	overlay_flush(d->overlay);
	policy_flush(d->policy);
}

static json_t *dispatch(void *ctx, const char *buf, size_t len)
{
	return handlers_dispatch(ctx, buf, len);
}

int main(int argc, char **argv)
{
	struct weftd d = {.ep_dirfd = -1};
	struct server *srv = NULL;
	struct weft_prefix cidr = {0};
	struct weft_addr node_ip = {0};
	struct timespec now;
	char path[PATH_MAX];
	int lock_fd, sigfd = -1, err;
	bool served = false;

	err = weftd_config_parse(&d.cfg, argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	log_set_prefix("weftd");
	log_set_level(d.cfg.log_level);
	log_route_libbpf();
	clock_gettime(CLOCK_MONOTONIC, &now);
	d.started = now.tv_sec;
	maps_init(&d.maps, d.cfg.bpffs);
	/* First, before any thread (capabilities are per thread; new threads
	 * inherit them) and before any input from outside is parsed. */
	if (privileges_drop())
		return 1;
	/* Before anything is created: a refused start leaves nothing. */
	err = cluster_file_check(d.cfg.cluster_file);
	if (!err && (d.cfg.kubeconfig[0] || d.cfg.in_cluster))
		err = k8s_source_check(d.cfg.kubeconfig);
	if (err)
		return 1;

	err = state_mkdir_p(d.cfg.state_dir, 0700);
	if (err) {
		pr_warn("cannot create state dir %s: %s", d.cfg.state_dir, strerror(-err));
		return 1;
	}
	/* Before anything else is touched: a second weftd must change nothing. */
	lock_fd = lock_state_dir(d.cfg.state_dir);
	if (lock_fd < 0)
		return 1;
	if (server_in_use(d.cfg.socket_path)) {
		pr_warn("another weftd already serves %s", d.cfg.socket_path);
		err = -EADDRINUSE;
		goto close_lock;
	}
	err = make_dirs(&d);
	if (err)
		goto close_lock;
	err = netdev_open(&d.nd);
	if (err)
		goto close_lock;
	/* Earlier weftds kept a pool of prepared veths, wfp<k>/wfq<k>; one
	 * that crashed left them behind, and nothing else would remove them. */
	if (netdev_delete_numbered(d.nd, "wfp", "wfq") > 0)
		pr_info("deleted the veth pool an older weftd left behind");
	sigfd = block_signals();
	if (sigfd < 0) {
		err = sigfd;
		pr_warn("cannot set up signal handling: %s", strerror(-err));
		goto close_netdev;
	}
	if (weftd_has_cluster(&d.cfg)) {
		err = cluster_wait_open(&d, sigfd, &cidr, &node_ip);
		if (err == -EINTR) {
			pr_info("signal while waiting for the Node: shutting down");
			err = 0;
			goto close_cluster;
		}
		if (err)
			goto close_cluster;
	}
	d.mtu = pod_mtu(d.nd, d.cfg.mtu, d.cluster ? &node_ip : NULL);
	snprintf(path, sizeof(path), "%s/ipam", d.cfg.state_dir);
	err = ipam_open(&d.ipam, path, d.cfg.pod_cidr);
	if (err)
		goto close_cluster;
	err = loader_open(&d.loader, d.cfg.bpf_dir, d.cfg.bpffs);
	if (err)
		goto close_ipam;
	err = open_endpoint_dir(&d);
	if (err)
		goto close_loader;
	err = upgrade_record_load(&d);
	if (err)
		goto close_loader;
	err = endpoints_load(&d);
	if (err)
		goto free_endpoints;
	/* What changed while weftd was down, before anything is upgraded. */
	reconcile_at_start(&d);
	/* Before the overlay, whose programs then load from the new object too
	 * (or, when the upgrade failed, stay as they run, like the endpoints'). */
	upgrade_at_start(&d);
	load_programs(&d);
	/* Subscribed before the check, so no change falls between the two. */
	err = repair_open(&d);
	if (err)
		goto free_endpoints;
	repair_all(&d);
	err = identities_new(&d.ids);
	if (!err)
		err = policy_open(&d.policy, &d.maps, d.ids, d.cluster);
	if (err) {
		pr_warn("cannot start the policy engine: %s", strerror(-err));
		goto free_endpoints;
	}
	endpoints_policy_at_start(&d);
	policy_spares_adopt(d.policy, d.spares_found, d.nr_spares_found);
	endpoint_spares_fill(&d);
	if (d.cluster) {
		struct overlay_params op = {
			.node_name = d.cfg.node_name,
			.node_ip = node_ip,
			.pod_cidr = cidr,
			.port = (uint16_t)d.cfg.vxlan_port,
			.mtu = d.mtu,
			.bpf_dir = d.cfg.bpf_dir,
			.bpffs = d.cfg.bpffs,
			.layout = &d.maps.layout,
			.keep_programs = d.datapath_error[0] != '\0',
			.ids = d.ids,
		};

		err = overlay_open(&d.overlay, &op, d.nd, d.cluster);
		if (err)
			goto free_endpoints;
	}
	/* Without it the datapath still runs, drops still counted: not a
	 * reason to stop (flows_open() logged why). */
	if (flows_open(&d))
		pr_warn("flow events: not read, weftctl flows has nothing to show");
	err = server_open(&srv, d.cfg.socket_path, dispatch, &d);
	if (err)
		goto close_flows;
	server_set_tick(srv, tick, &d, TICK_MS);
	if (d.source) {
		err = server_watch_fd(srv, cluster_source_fd(d.source), on_cluster_source, &d);
		if (err) {
			pr_warn("cannot watch %s: %s", d.source->what, strerror(-err));
			goto close_server;
		}
	}
	err = server_watch_fd(srv, tc_watch_fd(d.tc_watch), repair_run, &d);
	if (err) {
		pr_warn("cannot watch tc changes: %s", strerror(-err));
		goto close_server;
	}
	if (d.flows) {
		err = server_watch_fd(srv, flows_fd(&d), flows_run, &d);
		if (err) {
			pr_warn("cannot watch the flow events: %s", strerror(-err));
			goto close_server;
		}
	}
	if (d.cfg.metrics_addr[0]) {
		err = metrics_open(&d);
		if (!err)
			err = server_watch_fd(srv, http_fd(d.metrics), metrics_run, &d);
		if (err) {
			pr_warn("--metrics-addr %s: %s", d.cfg.metrics_addr, strerror(-err));
			goto close_metrics;
		}
	}
	pr_info("weftd %s: node %s, pod CIDR %s, MTU %d, bpffs %s, state %s", WEFT_VERSION,
		d.cfg.node_name, d.cfg.pod_cidr, d.mtu, d.cfg.bpffs, d.cfg.state_dir);
	served = true;
	err = server_run(srv, sigfd);
	/* Nothing is detached on the way out: the pins keep the datapath up,
	 * and the overlay (device, routes, SNAT) stays with them. */
close_metrics:
	metrics_close(&d);
close_server:
	server_close(srv);
close_flows:
	flows_close(&d);
free_endpoints:
	repair_close(&d);
	endpoints_free(&d);
	if (d.ep_dirfd >= 0)
		close(d.ep_dirfd);
close_loader:
	loader_close(d.loader);
close_ipam:
	ipam_close(d.ipam);
close_cluster:
	/* The model first: it holds the overlay's and the engine's observers. */
	cluster_source_close(d.source);
	cluster_free(d.cluster);
	overlay_close(d.overlay);
	policy_close(d.policy);
	identities_free(d.ids);
	if (sigfd >= 0)
		close(sigfd);
close_netdev:
	netdev_close(d.nd);
close_lock:
	maps_close(&d.maps);
	/* A start that never served undoes the bpffs it mounted (and so
	 * whatever it pinned there); after serving, the pins must stay. */
	if (!served)
		bpffs_unmount(&d.bpffs_mount);
	close(lock_fd);
	return err ? 1 : 0;
}
