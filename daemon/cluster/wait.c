// SPDX-License-Identifier: Apache-2.0
/* Waiting at start for this node's Node object from the cluster source. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/cluster/cluster_file.h"
#include "daemon/cluster/source.h"
#include "daemon/cluster/wait.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/k8s/source.h"
#include "log.h"

/* Seconds between two "waiting for Node" lines. */
#define WAIT_SAY_EVERY_S 10

/* Is this node's Node object in the model with what weftd needs to start? */
static const struct cl_node *own_node(const struct weftd *d)
{
	const struct cl_node *n = cluster_find_node(d->cluster, d->cfg.node_name);

	if (!n || !cl_node_ipv4(n) || (!d->cfg.pod_cidr[0] && !cl_node_pod_cidr4(n)))
		return NULL;
	return n;
}

/* Say what weftd waits for: at once when that changed (the API server's
 * error, say), else every few seconds. */
static void say_waiting(struct weftd *d, time_t now, time_t *said, char *last, size_t len)
{
	char why[768];
	const char *w = cluster_source_waiting_for(d->source, why, sizeof(why));

	if (!w)
		why[0] = '\0';
	if (*said && now - *said < WAIT_SAY_EVERY_S && (!strcmp(why, last) || now == *said))
		return;
	pr_warn("waiting for Node %s with an IPv4 InternalIP%s in %s%s%s%s", d->cfg.node_name,
		d->cfg.pod_cidr[0] ? "" : " and spec.podCIDR", d->source->what,
		w ? " (still waiting for " : "", w ? w : "", w ? ")" : "");
	snprintf(last, len, "%s", why);
	*said = now ? now : 1;
}

static const struct cl_node *wait_for_node(struct weftd *d, int sigfd, int *err)
{
	struct pollfd fds[2] = {
		{.fd = cluster_source_fd(d->source), .events = POLLIN},
		{.fd = sigfd, .events = POLLIN},
	};
	const struct cl_node *n;
	struct timespec now;
	char last[768] = "";
	time_t said = 0;

	*err = 0;
	while (!(n = own_node(d))) {
		/* Every change wakes us (a file writer's temp files too, every
		 * event of the API): say it once, then on news or every few
		 * seconds. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		say_waiting(d, now.tv_sec, &said, last, sizeof(last));
		if (poll(fds, 2, 1000) < 0 && errno != EINTR) {
			*err = -errno;
			pr_warn("waiting for Node %s: poll: %s", d->cfg.node_name, strerror(errno));
			return NULL;
		}
		if (fds[1].revents) {
			*err = -EINTR;
			return NULL;
		}
		if (fds[0].revents) {
			*err = cluster_source_handle(d->source);
			if (*err) {
				pr_warn("%s: %s", d->source->what, strerror(-*err));
				return NULL;
			}
		}
	}
	return n;
}

/* The pod range: --pod-cidr, else the Node's spec.podCIDR. */
static int node_pod_cidr(struct weftd *d, const struct cl_node *n, struct weft_prefix *cidr)
{
	int err;

	if (!d->cfg.pod_cidr[0]) {
		*cidr = *cl_node_pod_cidr4(n);
		weft_prefix_format(cidr, d->cfg.pod_cidr, sizeof(d->cfg.pod_cidr));
		if (!weftd_pod_cidr_ok(d->cfg.pod_cidr)) {
			pr_warn("Node %s: spec.podCIDR %s: must be an IPv4 network with a prefix "
				"length %d-%d",
				d->cfg.node_name, d->cfg.pod_cidr, IPAM_MIN_PREFIX,
				IPAM_MAX_PREFIX);
			return -EINVAL;
		}
		return 0;
	}
	err = weft_prefix_parse(d->cfg.pod_cidr, cidr);
	if (err) {
		pr_warn("--pod-cidr %s: %s", d->cfg.pod_cidr, strerror(-err));
		return err;
	}
	if (cl_node_pod_cidr4(n) && !weft_prefix_equal(cidr, cl_node_pod_cidr4(n)))
		pr_warn("--pod-cidr %s differs from Node %s's spec.podCIDR; using --pod-cidr",
			d->cfg.pod_cidr, d->cfg.node_name);
	return 0;
}

/* The file, the kubeconfig's API server, or the in-cluster one. */
static int open_source(struct weftd *d)
{
	struct cluster_file *cf;
	int err;

	if (!d->cfg.cluster_file[0])
		return k8s_source_open(d->cfg.kubeconfig, d->cluster, &d->source);
	err = cluster_file_open(d->cfg.cluster_file, d->cluster, &cf);
	if (err) {
		pr_warn("cluster file %s: cannot watch its directory: %s", d->cfg.cluster_file,
			strerror(-err));
		return err;
	}
	d->source = cluster_file_source(cf);
	return 0;
}

int cluster_wait_open(struct weftd *d, int sigfd, struct weft_prefix *cidr, struct weft_addr *ip)
{
	const struct cl_node *n;
	int err;

	err = cluster_new(&d->cluster);
	if (err) {
		pr_warn("cluster model: %s", strerror(-err));
		return err;
	}
	err = open_source(d);
	if (err)
		return err;
	n = wait_for_node(d, sigfd, &err);
	if (!n)
		return err;
	*ip = *cl_node_ipv4(n);
	return node_pod_cidr(d, n, cidr);
}
