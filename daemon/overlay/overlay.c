// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/policy/identity.h"
#include "daemon/overlay/ipcache.h"
#include "daemon/overlay/ipcache_map.h"
#include "log.h"
#include "daemon/datapath/maps.h"
#include "daemon/host/netdev.h"
#include "daemon/overlay/overlay.h"
#include "daemon/overlay/overlay_int.h"
#include "daemon/overlay/overlay_prog.h"
#include "daemon/host/snat.h"

static bool is_local(const struct overlay *ov, const char *node_name)
{
	return node_name && !strcmp(node_name, ov->node_name);
}

static void flush(struct overlay *ov, const char *what)
{
	int err = ipcache_flush(ov->ic);
	char why[200];

	if (err)
		pr_warn("ipcache: %u write(s) for %s failed, retried every second: %s",
			ipcache_pending(ov->ic), what,
			maps_update_strerror(ov->ipcache_fd, "weft_ipcache", err, why,
					     sizeof(why)));
}

static void warn_nomem(const char *what)
{
	pr_warn("ipcache: out of memory updating %s", what);
}

/* --- pods ----------------------------------------------------------------- */

enum pod_op {
	POD_ADD,     /* takes an identity reference */
	POD_DEL,     /* drops it */
	POD_REFRESH, /* its node changed: same identity, new tunnel */
};

/* @node: the pod's node as the caller knows it (NULL: unknown or gone). */
static void pod_entries(struct overlay *ov, const struct cl_pod *p, const struct cl_node *node,
			enum pod_op op)
{
	struct weft_ipcache_value v = {0};
	const struct weft_addr *tunnel = NULL;
	struct weft_prefix prefix;
	int err = 0;

	/* Host-network pods share their node's address; terminated ones may
	 * have handed their IP on: neither is looked up by IP (cluster.h). */
	if (p->host_network || p->terminated || !p->n_ips)
		return;
	if (op == POD_DEL) {
		for (unsigned int i = 0; i < p->n_ips && !err; i++) {
			prefix = weft_prefix_host(&p->ips[i]);
			err = ipcache_unset(ov->ic, &prefix);
		}
		identity_put(ov->ids, identity_lookup(ov->ids, p->ns, &p->labels));
		goto out;
	}
	v.identity = op == POD_ADD ? identity_get(ov->ids, p->ns, &p->labels)
				   : identity_lookup(ov->ids, p->ns, &p->labels);
	/* A refresh reaching a pod the model has but this observer has not
	 * heard of yet (the replay at registration sends nodes first): its
	 * own ADD follows. */
	if (!v.identity && op == POD_REFRESH)
		return;
	if (!v.identity) {
		err = -ENOMEM;
		goto out;
	}
	if (is_local(ov, p->node_name))
		v.flags = WEFT_IPC_F_LOCAL;
	else if (node)
		tunnel = cl_node_ipv4(node);
	if (tunnel) {
		v.tunnel_family = WEFT_FAMILY_IPV4;
		memcpy(v.tunnel_addr, tunnel->addr, 4);
	}
	for (unsigned int i = 0; i < p->n_ips && !err; i++) {
		prefix = weft_prefix_host(&p->ips[i]);
		err = ipcache_set(ov->ic, &prefix, &v);
	}
out:
	if (err) {
		char what[600];

		snprintf(what, sizeof(what), "pod %s/%s", p->ns, p->name);
		warn_nomem(what);
	}
}

static void on_pod(void *ctx, enum cluster_event ev, const struct cl_pod *old,
		   const struct cl_pod *cur)
{
	struct overlay *ov = ctx;
	const struct cl_pod *p = cur ? cur : old;

	(void)ev;
	if (old)
		pod_entries(ov, old, NULL, POD_DEL);
	if (cur)
		pod_entries(ov, cur,
			    cur->node_name ? cluster_find_node(ov->cl, cur->node_name) : NULL,
			    POD_ADD);
	if (!ov->batch_pods++)
		snprintf(ov->batch_pod, sizeof(ov->batch_pod), "pod %s/%s", p->ns, p->name);
}

static void on_batch_end(void *ctx)
{
	struct overlay *ov = ctx;
	char what[sizeof(ov->batch_pod) + 32];

	if (!ov->batch_pods)
		return;
	if (ov->batch_pods == 1)
		snprintf(what, sizeof(what), "%s", ov->batch_pod);
	else
		snprintf(what, sizeof(what), "%s and %u other pods", ov->batch_pod,
			 ov->batch_pods - 1);
	ov->batch_pods = 0;
	flush(ov, what);
}

struct refresh_ctx {
	struct overlay *ov;
	const char *name;
	const struct cl_node *node; /* NULL once deleted */
};

static int refresh_pod(void *ctx, const struct cl_pod *p)
{
	struct refresh_ctx *r = ctx;

	if (p->node_name && !strcmp(p->node_name, r->name))
		pod_entries(r->ov, p, r->node, POD_REFRESH);
	return 0;
}

/* --- nodes ---------------------------------------------------------------- */

static void node_route(struct overlay *ov, const struct cl_node *n, bool add)
{
	const struct weft_prefix *cidr = cl_node_pod_cidr4(n);
	uint32_t dst, src;
	int err;

	if (!cidr || is_local(ov, n->name))
		return;
	memcpy(&dst, cidr->addr.addr, 4);
	memcpy(&src, ov->p.node_ip.addr, 4);
	err = add ? netdev_route_replace(ov->nd, dst, cidr->len, ov->ifindex, src)
		  : netdev_route_delete(ov->nd, dst, cidr->len, ov->ifindex);
	if (err)
		pr_warn("node %s: cannot %s the route to its pod range: %s", n->name,
			add ? "add" : "delete", strerror(-err));
}

static void node_entries(struct overlay *ov, const struct cl_node *n, bool add)
{
	const struct weft_addr *ip = cl_node_ipv4(n);
	const struct weft_prefix *cidr = cl_node_pod_cidr4(n);
	struct weft_ipcache_value v = {0};
	struct weft_prefix prefix;
	int err = 0;

	if (is_local(ov, n->name)) {
		/* Only the address: local pods are in weft_endpoints, and an
		 * address of the local range that is no endpoint is the
		 * host's to route. */
		if (!ip)
			return;
		prefix = weft_prefix_host(ip);
		v.identity = WEFT_IDENTITY_HOST;
		v.flags = WEFT_IPC_F_LOCAL | WEFT_IPC_F_NODE;
		err = add ? ipcache_set(ov->ic, &prefix, &v) : ipcache_unset(ov->ic, &prefix);
		goto out;
	}
	/* A remote node without an address cannot be reached: nothing of it
	 * goes in, so its range falls to the host (and SNAT) instead of into a
	 * tunnel without an end. */
	if (!ip)
		return;
	v.tunnel_family = WEFT_FAMILY_IPV4;
	memcpy(v.tunnel_addr, ip->addr, 4);
	prefix = weft_prefix_host(ip);
	v.identity = WEFT_IDENTITY_REMOTE_NODE;
	v.flags = WEFT_IPC_F_NODE;
	err = add ? ipcache_set(ov->ic, &prefix, &v) : ipcache_unset(ov->ic, &prefix);
	if (!err && cidr) {
		/* Pods of the range not (yet) in the model: no identity. */
		v.identity = WEFT_IDENTITY_UNKNOWN;
		v.flags = WEFT_IPC_F_POD_CIDR;
		err = add ? ipcache_set(ov->ic, cidr, &v) : ipcache_unset(ov->ic, cidr);
	}
out:
	if (err)
		warn_nomem(n->name);
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct weft_prefix *x = a, *y = b;
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	return c ? c : (int)x->len - (int)y->len;
}

struct cidrs {
	struct weft_prefix *v;
	size_t n, cap;
};

static int collect_cidr(void *ctx, const struct cl_node *n)
{
	const struct weft_prefix *cidr = cl_node_pod_cidr4(n);
	struct cidrs *c = ctx;

	if (!cidr)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct weft_prefix *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *cidr;
	return 0;
}

/* Re-install the SNAT table when the set of pod ranges changed. A failure
 * is logged by snat_apply() and retried on the next node change. */
static void snat_update(struct overlay *ov)
{
	struct cidrs c = {0};
	int err;

	ov->snat_dirty = false;
	/* This node's range is the cluster's even before its Node says so. */
	err = collect_cidr(&c, &(struct cl_node){.n_pod_cidrs = 1, .pod_cidrs = {ov->p.pod_cidr}});
	if (!err)
		err = cluster_for_each_node(ov->cl, collect_cidr, &c);
	if (err) {
		pr_warn("snat: out of memory");
		free(c.v);
		return;
	}
	qsort(c.v, c.n, sizeof(*c.v), cmp_prefix);
	if (c.n == ov->nr_snat_cidrs && !memcmp(c.v, ov->snat_cidrs, c.n * sizeof(*c.v))) {
		free(c.v);
		return;
	}
	err = snat_apply(&ov->p.pod_cidr, c.v, c.n);
	if (err) {
		free(c.v);
		return;
	}
	free(ov->snat_cidrs);
	ov->snat_cidrs = c.v;
	ov->nr_snat_cidrs = c.n;
	pr_info("snat: %s masquerades %zu cluster pod range(s) out", SNAT_TABLE, c.n);
}

/* Do two IPv4 prefixes share an address? (the shorter one covers the other) */
static bool prefixes_overlap(const struct weft_prefix *a, const struct weft_prefix *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;
	uint32_t x, y, mask = len ? htonl(~0u << (32 - len)) : 0;

	memcpy(&x, a->addr.addr, 4);
	memcpy(&y, b->addr.addr, 4);
	return ((x ^ y) & mask) == 0;
}

/*
 * A node whose InternalIP or pod range another node also has: the ipcache
 * can send a range to one node only, so some pods become unreachable. Nothing
 * weftd can repair (the API server's data is wrong); it says so, naming both.
 */
static int check_clash(void *ctx, const struct cl_node *other)
{
	const struct cl_node *n = ctx;
	const struct weft_addr *ip = cl_node_ipv4(n), *oip = cl_node_ipv4(other);
	const struct weft_prefix *c = cl_node_pod_cidr4(n), *oc = cl_node_pod_cidr4(other);
	char a[WEFT_PREFIX_STRLEN], b[WEFT_PREFIX_STRLEN];

	if (!strcmp(n->name, other->name))
		return 0;
	if (ip && oip && weft_addr_equal(ip, oip))
		pr_warn("node %s has the InternalIP %s of node %s: traffic for one of them "
			"reaches the other",
			n->name, weft_addr_format(ip, a, sizeof(a)), other->name);
	if (c && oc && prefixes_overlap(c, oc))
		pr_warn("node %s's podCIDR %s overlaps node %s's %s: pods in the overlap "
			"are reached on one node only",
			n->name, weft_prefix_format(c, a, sizeof(a)), other->name,
			weft_prefix_format(oc, b, sizeof(b)));
	return 0;
}

static void on_node(void *ctx, enum cluster_event ev, const struct cl_node *old,
		    const struct cl_node *cur)
{
	struct overlay *ov = ctx;
	const struct cl_node *n = cur ? cur : old;
	struct refresh_ctx r = {.ov = ov, .name = n->name, .node = cur};
	const struct weft_prefix *oc = old ? cl_node_pod_cidr4(old) : NULL;
	const struct weft_prefix *cc = cur ? cl_node_pod_cidr4(cur) : NULL;
	const struct weft_addr *cip = cur ? cl_node_ipv4(cur) : NULL;

	if (is_local(ov, n->name) && cur &&
	    ((cip && !weft_addr_equal(cip, &ov->p.node_ip)) ||
	     (cc && !weft_prefix_equal(cc, &ov->p.pod_cidr))))
		pr_warn("node %s (this node): InternalIP or podCIDR changed; the overlay keeps "
			"the ones it started with until weftd restarts",
			n->name);
	if (old)
		node_entries(ov, old, false);
	if (cur)
		node_entries(ov, cur, true);
	/* Its pods' tunnel endpoint follows the node: its address, a node
	 * listed after its pods, or one gone while they are still listed. */
	cluster_for_each_pod(ov->cl, refresh_pod, &r);
	flush(ov, n->name);
	/* Routes after the ipcache: pods switch first, the host's own packets
	 * right after. A changed range, or a node without an address (no
	 * tunnel to send through), loses its route. */
	if (old && (!cur || !cip || !cc || !oc || !weft_prefix_equal(oc, cc)))
		node_route(ov, old, false);
	if (cur && cip)
		node_route(ov, cur, true);
	ov->snat_dirty = true;
	pr_info("node %s: %s", n->name, cluster_event_name(ev));
	if (cur)
		cluster_for_each_node(ov->cl, check_clash, (void *)cur);
}

/* --- set-up ----------------------------------------------------------------- */

static void prune_route(void *ctx, uint32_t dst, int len)
{
	struct overlay *ov = ctx;
	struct weft_prefix prefix = {.addr = weft_addr_from_ipv4(dst), .len = (uint8_t)len};
	const struct weft_ipcache_value *v;
	int err;

	v = ipcache_get(ov->ic, &prefix);
	if (v && (v->flags & WEFT_IPC_F_POD_CIDR))
		return;
	err = netdev_route_delete(ov->nd, dst, len, ov->ifindex);
	if (err)
		pr_warn("overlay: cannot delete a stale route: %s", strerror(-err));
}

static int open_ipcache(struct overlay *ov)
{
	struct ipcache_ops ops;
	int err;

	err = ipcache_map_open(ov->p.bpffs, ov->p.layout, &ov->ipcache_fd);
	if (err)
		return err;
	ipcache_map_ops(&ov->ipcache_fd, &ops);
	return ipcache_new(&ops, &ov->ic);
}

/* Pod -> outside the cluster is routed by the host stack (then SNAT):
 * forwarding must be on in this namespace. A Kubernetes node usually has it
 * already (kubelet and kube-proxy expect it); a fresh netns does not. */
static int enable_forwarding(void)
{
	static const char path[] = "/proc/sys/net/ipv4/ip_forward";
	char c = '0';
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || read(fd, &c, 1) != 1) {
		err = -errno;
		goto out;
	}
	if (c != '1') {
		if (pwrite(fd, "1\n", 2, 0) != 2)
			err = -errno;
		else
			pr_info("overlay: enabled %s (pods reach the world through SNAT)", path);
	}
out:
	if (err)
		pr_warn("overlay: cannot enable %s: %s; pods will not reach outside the "
			"cluster",
			path, strerror(-err));
	if (fd >= 0)
		close(fd);
	return err;
}

int overlay_open(struct overlay **out, const struct overlay_params *p, struct netdev *nd,
		 struct cluster *cl)
{
	struct cluster_observer obs = {.node = on_node, .pod = on_pod, .batch_end = on_batch_end};
	struct netdev_vxlan v = {.name = OVERLAY_DEVICE, .port = p->port, .mtu = p->mtu};
	struct overlay *ov;
	char ip[INET6_ADDRSTRLEN];
	bool created;
	int err;

	ov = calloc(1, sizeof(*ov));
	if (!ov)
		return -ENOMEM;
	ov->p = *p;
	snprintf(ov->node_name, sizeof(ov->node_name), "%s", p->node_name);
	ov->p.node_name = ov->node_name;
	ov->ids = p->ids;
	ov->nd = nd;
	ov->cl = cl;
	ov->ipcache_fd = -1;
	obs.ctx = ov;
	memcpy(&v.local, p->node_ip.addr, 4);

	err = netdev_vxlan_ensure(nd, &v, &ov->ifindex, &created);
	if (err) {
		pr_warn("overlay: cannot set up %s (VXLAN, UDP port %u, local %s): %s",
			OVERLAY_DEVICE, p->port, weft_addr_format(&p->node_ip, ip, sizeof(ip)),
			strerror(-err));
		goto free_ov;
	}
	err = p->keep_programs ? overlay_prog_running(p->bpffs, ov->ifindex) : 0;
	if (err == 1) {
		pr_info("overlay: the start-up upgrade failed: the running programs stay on %s",
			OVERLAY_DEVICE);
		err = 0;
	} else if (!err) {
		/* Nothing runs there (a new or re-created device): this build's. */
		err = overlay_prog_attach(p->bpf_dir, p->bpffs, p->layout, ov->ifindex);
	}
	if (!err)
		err = overlay_config_write(p->bpffs, p->layout, ov->ifindex);
	if (!err)
		err = open_ipcache(ov);
	/* What a previous weftd left in the map: adopted, so the model's
	 * state replaces it entry by entry, and what the model no longer has
	 * goes when the replay is over (ipcache_prune()). */
	if (!err)
		err = ipcache_map_adopt(ov->ipcache_fd, ov->ic);
	if (!err)
		err = cluster_add_observer(cl, &obs);
	if (err)
		goto free_ov;
	ipcache_prune(ov->ic);
	flush(ov, "entries the cluster no longer has");
	err = netdev_route_foreach(nd, ov->ifindex, prune_route, ov);
	if (err)
		pr_warn("overlay: cannot list routes for clean-up: %s", strerror(-err));
	/* Not fatal: pod to pod works without it. */
	enable_forwarding();
	/* No Node in the model yet still needs the local range out. */
	snat_update(ov);
	pr_info("overlay: %s (ifindex %d, %s), UDP %u, local %s, MTU %d", OVERLAY_DEVICE,
		ov->ifindex, created ? "created" : "kept", p->port,
		weft_addr_format(&p->node_ip, ip, sizeof(ip)), p->mtu);
	*out = ov;
	return 0;
free_ov:
	ipcache_free(ov->ic);
	if (ov->ipcache_fd >= 0)
		close(ov->ipcache_fd);
	free(ov);
	return err;
}

int overlay_upgrade(struct overlay *ov, struct bpf_object *obj)
{
	int err;

	err = overlay_prog_install(obj, ov->p.bpffs, ov->ifindex);
	if (!err)
		err = overlay_upgrade_reopen(ov);
	return err;
}

int overlay_upgrade_reopen(struct overlay *ov)
{
	int err = ipcache_map_open(ov->p.bpffs, ov->p.layout, &ov->ipcache_fd);

	if (!err)
		err = overlay_config_write(ov->p.bpffs, ov->p.layout, ov->ifindex);
	return err;
}

void overlay_close(struct overlay *ov)
{
	if (!ov)
		return;
	ipcache_free(ov->ic);
	close(ov->ipcache_fd);
	free(ov->snat_cidrs);
	free(ov);
}

static int route_again(void *ctx, const struct cl_node *n)
{
	if (cl_node_ipv4(n))
		node_route(ctx, n, true);
	return 0;
}

void overlay_routes_again(struct overlay *ov)
{
	cluster_for_each_node(ov->cl, route_again, ov);
	ov->snat_dirty = true;
}

void overlay_tick(struct overlay *ov)
{
	overlay_repair(ov);
	if (ov && ipcache_pending(ov->ic))
		flush(ov, "earlier changes");
	overlay_flush(ov);
}

void overlay_flush(struct overlay *ov)
{
	if (ov && ov->snat_dirty)
		snat_update(ov);
}

json_t *overlay_status(const struct overlay *ov)
{
	struct cluster_counts c;
	char ip[INET6_ADDRSTRLEN];

	cluster_counts(ov->cl, &c);
	return json_pack("{s:i, s:s, s:i, s:i, s:s, s:I, s:I, s:i, s:i, s:{s:I, s:I}}", "mtu",
			 ov->p.mtu, "device", OVERLAY_DEVICE, "ifindex", ov->ifindex, "port",
			 ov->p.port, "nodeIP", weft_addr_format(&ov->p.node_ip, ip, sizeof(ip)),
			 "nodes", (json_int_t)c.nodes, "pods", (json_int_t)c.pods, "ipcacheEntries",
			 (int)ipcache_count(ov->ic), "identities", (int)identities_count(ov->ids),
			 "repairs", "vxlan", (json_int_t)ov->repairs_vxlan, "programs",
			 (json_int_t)ov->repairs_programs);
}
