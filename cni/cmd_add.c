// SPDX-License-Identifier: Apache-2.0
/*
 * ADD: addresses (weftd or a delegated IPAM plugin), the veth pair, the
 * endpoint in weftd, then links up with addresses and routes. Every step
 * records what it did so a failure undoes exactly that and nothing else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf/datapath.h"
#include "cmd.h"
#include "ipam_exec.h"
#include "netlink.h"
#include "netns.h"
#include "result.h"
#include "steps.h"
#include "vethname.h"
#include "weftd.h"

struct add_state {
	struct cni_ctx *ctx;
	char host_ifname[IFNAMSIZ];
	int pod_nsfd;
	struct nl_sock *host_sk, *pod_sk;
	int mtu;
	struct weft_prefix ips[CNI_MAX_POD_IPS];
	char ip_text[CNI_MAX_POD_IPS][CNI_IP_LEN];
	int n_ips;
	struct cni_result ipam; /* a delegated plugin's result */
	struct nlh_link host, pod;
	/* what rollback has to undo */
	int allocated, ipam_added, veth_created, endpoint_added;
	/* where the time goes: the plugin's steps, and weftd's from its replies */
	struct steps steps;
	json_t *weftd_timings;
};

/* Keep the step timings weftd sent with @reply. */
static void take_timings(struct add_state *st, json_t *reply)
{
	json_t *t = json_object_get(reply, "timings");

	if (st->weftd_timings && json_is_object(t))
		json_object_update(st->weftd_timings, t);
}

static int add_ip(struct add_state *st, const char *cidr_or_ip, const char *from,
		  struct cni_error *err)
{
	struct weft_prefix *a = &st->ips[st->n_ips];

	if (st->n_ips >= CNI_MAX_POD_IPS)
		return cni_fail(err, CNI_ERR_WEFTD, -E2BIG, "too many addresses",
				"%s: more than %d", from, CNI_MAX_POD_IPS);
	if (cni_ip_parse(cidr_or_ip, a))
		return cni_fail(err, CNI_ERR_WEFTD, -EINVAL, "malformed address", "%s: \"%s\"",
				from, cidr_or_ip);
	/* The pod side is built around an IPv4 link-local gateway for now. */
	if (a->addr.family != AF_INET)
		return cni_fail(err, CNI_ERR_WEFTD, -EAFNOSUPPORT, "IPv6 is not supported yet",
				"%s: %s", from, cidr_or_ip);
	a->len = 32;
	weft_addr_format(&a->addr, st->ip_text[st->n_ips], CNI_IP_LEN);
	st->n_ips++;
	return 0;
}

/* Daemon IPAM: ipam.allocate also tells us the MTU weftd wants. */
static int addresses_from_weftd(struct add_state *st, struct cni_error *err)
{
	struct cni_ctx *ctx = st->ctx;
	struct weft_api_error ae;
	json_t *req, *reply, *ips, *ip;
	size_t i;
	int ret;

	req = weftd_req("ipam.allocate", &ctx->env);
	ret = weftd_call(ctx->conf.socket, req, &reply, &ae);
	if (ret)
		return weftd_fail(err, ctx->conf.socket, "ipam.allocate", ret, &ae);
	st->allocated = 1;
	take_timings(st, reply);
	ips = json_object_get(reply, "ips");
	if (!json_is_array(ips) || !json_array_size(ips)) {
		ret = cni_fail(err, CNI_ERR_WEFTD, -EBADMSG, "malformed reply from weftd",
			       "ipam.allocate: no \"ips\"");
		goto put_reply;
	}
	json_array_foreach (ips, i, ip) {
		ret = add_ip(st, json_string_value(json_object_get(ip, "address")), "ipam.allocate",
			     err);
		if (ret)
			goto put_reply;
	}
	if (!st->mtu)
		st->mtu = (int)json_integer_value(json_object_get(reply, "mtu"));
	ret = 0;
put_reply:
	json_decref(reply);
	return ret;
}

/* Delegated IPAM: weftd must be up and ready before the plugin hands out
 * anything; `ready` is that check (and brings the MTU). */
static int addresses_from_plugin(struct add_state *st, struct cni_error *err)
{
	struct cni_ctx *ctx = st->ctx;
	struct weft_api_error ae;
	json_t *reply, *out;
	char what[160] = "";
	int ret;

	ret = weftd_call(ctx->conf.socket, weftd_req("ready", &ctx->env), &reply, &ae);
	if (ret)
		return weftd_fail(err, ctx->conf.socket, "ready", ret, &ae);
	if (!st->mtu)
		st->mtu = (int)json_integer_value(json_object_get(reply, "mtu"));
	json_decref(reply);

	ret = ipam_exec(&ctx->env, ctx->conf.ipam_type, "ADD", ctx->stdin_buf, ctx->stdin_len, &out,
			err);
	if (ret)
		return ret;
	st->ipam_added = 1;
	ret = cni_result_parse(out, ctx->conf.cni_version, &st->ipam, what, sizeof(what));
	json_decref(out);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "malformed ipam plugin result",
				"ipam %s: %s", ctx->conf.ipam_type, what);
	if (!st->ipam.n_ips)
		return cni_fail(err, CNI_ERR_WEFTD, -EADDRNOTAVAIL,
				"ipam plugin returned no address", "ipam %s: empty \"ips\"",
				ctx->conf.ipam_type);
	for (int i = 0; i < st->ipam.n_ips; i++) {
		ret = add_ip(st, st->ipam.ips[i].address, ctx->conf.ipam_type, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int open_namespaces(struct add_state *st, struct cni_error *err)
{
	struct cni_ctx *ctx = st->ctx;
	int self, ret;

	ret = netns_open(ctx->env.netns, &st->pod_nsfd);
	if (ret)
		return cni_fail(err, CNI_ERR_INVALID_ENV, ret, "invalid environment",
				"CNI_NETNS: cannot open %s as a network namespace: %s",
				ctx->env.netns, strerror(-ret));
	ret = netns_open_current(&self);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot open our network namespace",
				"/proc/self/ns/net: %s", strerror(-ret));
	ret = netns_same(self, st->pod_nsfd);
	close(self);
	if (ret)
		return cni_fail(err, CNI_ERR_INVALID_ENV, ret < 0 ? ret : -EINVAL,
				"invalid environment", "CNI_NETNS: %s is the node's own namespace",
				ctx->env.netns);
	ret = nlh_open(&st->host_sk);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed",
				"node namespace: cannot open a netlink socket: %s", strerror(-ret));
	ret = nlh_open_in_netns(st->pod_nsfd, &st->pod_sk);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed",
				"CNI_NETNS %s: cannot open a netlink socket: %s", ctx->env.netns,
				strerror(-ret));
	return 0;
}

static int create_veth(struct add_state *st, struct cni_error *err)
{
	const char *ifname = st->ctx->env.ifname, *netns = st->ctx->env.netns;
	int ret;

	/* Ours by construction of the name: a leftover of an ADD that never got its DEL. */
	ret = nlh_link_del(st->host_sk, st->host_ifname);
	if (!ret)
		pr_info("deleted stale host veth %s", st->host_ifname);
	else if (ret != -ENODEV)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot delete a stale host veth",
				"%s: %s", st->host_ifname, strerror(-ret));

	ret = nlh_veth_create(st->host_sk, st->host_ifname, ifname, st->pod_nsfd, st->mtu);
	if (ret == -EEXIST)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "interface already exists",
				"CNI_IFNAME: %s exists in %s", ifname, netns);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot create the veth pair",
				"veth %s/%s (mtu %d): %s", st->host_ifname, ifname, st->mtu,
				strerror(-ret));
	st->veth_created = 1;
	ret = nlh_link_get(st->host_sk, st->host_ifname, &st->host);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot read the new host veth", "%s: %s",
				st->host_ifname, strerror(-ret));
	ret = nlh_link_get(st->pod_sk, ifname, &st->pod);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot read the new pod interface",
				"%s in %s: %s", ifname, netns, strerror(-ret));
	return 0;
}

static int add_endpoint(struct add_state *st, struct cni_error *err)
{
	struct cni_ctx *ctx = st->ctx;
	const struct cni_k8s *k = &ctx->env.k8s;
	struct weft_api_error ae;
	json_t *req, *ips, *reply;
	int ret;

	req = weftd_req("endpoint.add", &ctx->env);
	ips = json_array();
	for (int i = 0; ips && i < st->n_ips; i++)
		json_array_append_new(ips, json_string(st->ip_text[i]));
	if (req) {
		json_object_set_new(req, "netns", json_string(ctx->env.netns));
		json_object_set_new(req, "hostIfname", json_string(st->host_ifname));
		json_object_set_new(req, "podMAC", json_string(st->pod.mac));
		/* GC of one network never touches another's endpoints. */
		json_object_set_new(req, "network", json_string(ctx->conf.name));
		json_object_set(req, "ips", ips);
		if (k->namespace[0] || k->name[0] || k->uid[0])
			json_object_set_new(req, "k8s",
					    json_pack("{s:s, s:s, s:s}", "namespace", k->namespace,
						      "name", k->name, "uid", k->uid));
	}
	json_decref(ips);
	ret = weftd_call(ctx->conf.socket, req, &reply, &ae);
	if (ret)
		return weftd_fail(err, ctx->conf.socket, "endpoint.add", ret, &ae);
	st->endpoint_added = 1;
	take_timings(st, reply);
	json_decref(reply);
	return 0;
}

/*
 * disable_ipv6 on both ends until the IPv6 datapath exists: no link-local
 * address, no router solicitations or MLD reports, which the pod's programs
 * would only drop (and count, drowning the drop counters in noise).
 */
static int disable_ipv6(void *arg)
{
	const char *ifname = arg;
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	/* /proc/sys/net is the namespace of whoever opens it. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* no IPv6 in this kernel: nothing to disable */
	if (write(fd, "1", 1) != 1)
		pr_warn("%s: cannot write: %s", path, strerror(errno));
	close(fd);
	return 0;
}

static int route_fail(struct cni_error *err, int ret, const char *where, const char *what)
{
	return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot configure the pod network", "%s: %s: %s",
			where, what, strerror(-ret));
}

static int ip_fail(struct add_state *st, struct cni_error *err, int ret, const char *where,
		   const char *what, int i)
{
	return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot configure the pod network",
			"%s: %s %s/32: %s", where, what, st->ip_text[i], strerror(-ret));
}

static int configure_links(struct add_state *st, struct cni_error *err)
{
	const char *ifname = st->ctx->env.ifname;
	struct weft_prefix gw, any;
	int ret;

	weft_prefix_parse_flags(WEFT_GATEWAY_IPV4, WEFT_PREFIX_LEN_OPTIONAL, &gw);
	weft_prefix_parse("0.0.0.0/0", &any);
	disable_ipv6((void *)st->host_ifname);
	ret = netns_run(st->pod_nsfd, disable_ipv6, (void *)ifname);
	if (ret)
		return route_fail(err, ret, ifname, "disable IPv6");

	ret = nlh_link_up(st->host_sk, st->host.ifindex);
	if (ret)
		return route_fail(err, ret, st->host_ifname, "set up");
	ret = nlh_link_up(st->pod_sk, st->pod.ifindex);
	if (ret)
		return route_fail(err, ret, ifname, "set up");
	for (int i = 0; i < st->n_ips; i++) {
		ret = nlh_addr_add(st->pod_sk, st->pod.ifindex, &st->ips[i]);
		if (ret)
			return ip_fail(st, err, ret, ifname, "address", i);
	}
	ret = nlh_route_add(st->pod_sk, st->pod.ifindex, &gw, NULL, RT_SCOPE_LINK);
	if (ret)
		return route_fail(err, ret, ifname, "route " WEFT_GATEWAY_IPV4 " scope link");
	ret = nlh_route_add(st->pod_sk, st->pod.ifindex, &any, &gw.addr, RT_SCOPE_UNIVERSE);
	if (ret)
		return route_fail(err, ret, ifname, "default route via " WEFT_GATEWAY_IPV4);
	/* The plugin's routes, but through our gateway: the host veth is the only way out. */
	for (int i = 0; i < st->ipam.n_routes; i++) {
		struct weft_prefix dst;

		if (cni_cidr_parse(st->ipam.routes[i].dst, &dst) || dst.addr.family != AF_INET ||
		    dst.len == 0)
			continue;
		ret = nlh_route_add(st->pod_sk, st->pod.ifindex, &dst, &gw.addr, RT_SCOPE_UNIVERSE);
		if (ret && ret != -EEXIST)
			return route_fail(err, ret, ifname, st->ipam.routes[i].dst);
	}
	for (int i = 0; i < st->n_ips; i++) {
		ret = nlh_route_add(st->host_sk, st->host.ifindex, &st->ips[i], NULL,
				    RT_SCOPE_LINK);
		if (ret)
			return ip_fail(st, err, ret, st->host_ifname, "route", i);
	}
	return 0;
}

static int build_result(struct add_state *st, struct cni_error *err)
{
	struct cni_ctx *ctx = st->ctx;
	struct cni_result ours, all;
	char cidr[CNI_CIDR_LEN], what[160] = "";
	int ret, pod = -1;

	cni_result_init(&ours);
	cni_result_init(&all);
	ret = cni_result_add_iface(&ours, st->host_ifname, st->host.mac, "");
	if (ret >= 0)
		ret = pod =
			cni_result_add_iface(&ours, ctx->env.ifname, st->pod.mac, ctx->env.netns);
	if (ret < 0)
		goto fail;
	ours.ifaces[0].mtu = ours.ifaces[1].mtu = st->mtu;
	for (int i = 0; i < st->n_ips && ret >= 0; i++) {
		snprintf(cidr, sizeof(cidr), "%s/32", st->ip_text[i]);
		ret = cni_result_add_ip(&ours, cidr, WEFT_GATEWAY_IPV4, pod);
	}
	if (ret >= 0)
		ret = cni_result_add_route(&ours, "0.0.0.0/0", WEFT_GATEWAY_IPV4);
	for (int i = 0; i < st->ipam.n_routes && ret >= 0; i++) {
		struct weft_prefix dst;

		if (!cni_cidr_parse(st->ipam.routes[i].dst, &dst) && dst.addr.family == AF_INET &&
		    dst.len > 0)
			ret = cni_result_add_route(&ours, st->ipam.routes[i].dst,
						   WEFT_GATEWAY_IPV4);
	}
	if (ret < 0)
		goto fail;
	if (st->ipam.dns)
		ours.dns = json_incref(st->ipam.dns);

	/* Chained after another plugin: its entries first, ours appended. */
	if (ctx->conf.prev_result) {
		ret = cni_result_parse(ctx->conf.prev_result, ctx->conf.cni_version, &all, what,
				       sizeof(what));
		if (ret) {
			ret = cni_fail(err, CNI_ERR_INVALID_CONFIG, ret,
				       "invalid network configuration", "prevResult: %s", what);
			goto free_results;
		}
	}
	ret = cni_result_append(&all, &ours);
	if (ret)
		goto fail;
	ctx->result = cni_result_to_json(&all, ctx->conf.cni_version);
	ret = ctx->result ? 0 : -ENOMEM;
	if (!ret)
		goto free_results;
fail:
	ret = cni_fail(err, CNI_ERR_WEFTD, ret < 0 ? ret : -EINVAL, "cannot build the result",
		       "result: %s", strerror(ret < 0 ? -ret : EINVAL));
free_results:
	cni_result_free(&all);
	cni_result_free(&ours);
	return ret;
}

/* Undo in reverse; log what cannot be undone, keep the error that started it. */
static void rollback(struct add_state *st)
{
	struct cni_ctx *ctx = st->ctx;
	struct weft_api_error ae;
	json_t *reply;
	int ret;

	if (st->endpoint_added) {
		ret = weftd_call(ctx->conf.socket, weftd_req("endpoint.del", &ctx->env), &reply,
				 &ae);
		if (ret)
			pr_warn("rollback: endpoint.del: %s (%s)", ae.msg, ae.details);
		json_decref(reply);
	}
	if (st->veth_created) {
		/* Takes the pod end, its addresses and routes, and the host route with it. */
		ret = nlh_link_del(st->host_sk, st->host_ifname);
		if (ret && ret != -ENODEV)
			pr_warn("rollback: delete %s: %s", st->host_ifname, strerror(-ret));
	}
	if (st->ipam_added) {
		ret = ipam_exec(&ctx->env, ctx->conf.ipam_type, "DEL", ctx->stdin_buf,
				ctx->stdin_len, NULL, NULL);
		if (ret)
			pr_warn("rollback: ipam DEL via %s failed", ctx->conf.ipam_type);
	}
	if (st->allocated) {
		ret = weftd_call(ctx->conf.socket, weftd_req("ipam.release", &ctx->env), &reply,
				 &ae);
		if (ret)
			pr_warn("rollback: ipam.release: %s (%s)", ae.msg, ae.details);
		json_decref(reply);
	}
}

int cmd_add(struct cni_ctx *ctx, struct cni_error *err)
{
	struct add_state st = {.ctx = ctx, .pod_nsfd = -1, .mtu = ctx->conf.mtu};
	struct cni_result prev;
	char what[160] = "";
	struct nlh_link existing;
	int ret;

	cni_result_init(&st.ipam);
	steps_start_at(&st.steps, ctx->start_us);
	steps_mark(&st.steps, "config");
	st.weftd_timings = json_object();
	/* Everything that can be checked without side effects comes first. */
	if (ctx->conf.prev_result) {
		ret = cni_result_parse(ctx->conf.prev_result, ctx->conf.cni_version, &prev, what,
				       sizeof(what));
		cni_result_free(&prev);
		if (ret)
			return cni_fail(err, CNI_ERR_INVALID_CONFIG, ret,
					"invalid network configuration", "prevResult: %s", what);
	}
	cni_veth_name(ctx->env.container_id, ctx->env.ifname, st.host_ifname);
	ret = open_namespaces(&st, err);
	if (ret)
		goto close;
	steps_mark(&st.steps, "netns");
	if (!nlh_link_get(st.pod_sk, ctx->env.ifname, &existing)) {
		ret = cni_fail(err, CNI_ERR_WEFTD, -EEXIST, "interface already exists",
			       "CNI_IFNAME: %s exists in %s", ctx->env.ifname, ctx->env.netns);
		goto close;
	}

	ret = ctx->conf.ipam ? addresses_from_plugin(&st, err) : addresses_from_weftd(&st, err);
	steps_mark(&st.steps, "ipam");
	if (!ret)
		ret = create_veth(&st, err);
	steps_mark(&st.steps, "veth");
	/* Before any link is up: the pod never sends a packet without its programs. */
	if (!ret)
		ret = add_endpoint(&st, err);
	steps_mark(&st.steps, "endpoint");
	if (!ret)
		ret = configure_links(&st, err);
	steps_mark(&st.steps, "links");
	if (!ret)
		ret = build_result(&st, err);
	steps_mark(&st.steps, "result");
	if (ret) {
		rollback(&st);
	} else {
		char plugin[256], weftd[256];

		pr_info("ADD %s/%s: %s via %s, mtu %d", ctx->env.container_id, ctx->env.ifname,
			st.ip_text[0], st.host_ifname, st.mtu);
		/* One line bench/add_latency.sh reads: keep its shape. */
		pr_info("ADD %s/%s timings (ms): %s; weftd: %s; total %.2f", ctx->env.container_id,
			ctx->env.ifname, steps_format(&st.steps, plugin, sizeof(plugin)),
			steps_json_format(st.weftd_timings, weftd, sizeof(weftd)),
			steps_total_ms(&st.steps));
	}
close:
	json_decref(st.weftd_timings);
	cni_result_free(&st.ipam);
	nlh_close(st.pod_sk);
	nlh_close(st.host_sk);
	if (st.pod_nsfd >= 0)
		close(st.pod_nsfd);
	return ret;
}
