// SPDX-License-Identifier: Apache-2.0
/*
 * CHECK: the live state must still be what ADD reported in prevResult, and
 * weftd must still have the endpoint's programs attached to our host veth.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bpf/datapath.h"
#include "cmd.h"
#include "ipam_exec.h"
#include "netlink.h"
#include "netns.h"
#include "result.h"
#include "version.h"
#include "vethname.h"
#include "weftd.h"

#define mismatch(err, ...)                                                                         \
	cni_fail(err, CNI_ERR_CHECK_MISMATCH, -ENOENT, "live state differs from prevResult",       \
		 __VA_ARGS__)

struct check_state {
	struct cni_ctx *ctx;
	struct cni_result prev;
	int pod_iface; /* index in prev.ifaces */
	char host_ifname[IFNAMSIZ];
	int pod_nsfd;
	struct nl_sock *host_sk, *pod_sk;
	struct nlh_link host, pod;
};

static int check_links(struct check_state *st, struct cni_error *err)
{
	const char *ifname = st->ctx->env.ifname;
	const char *mac = st->prev.ifaces[st->pod_iface].mac;
	int ret;

	ret = nlh_link_get(st->host_sk, st->host_ifname, &st->host);
	if (ret)
		return mismatch(err, "host veth %s: %s", st->host_ifname, strerror(-ret));
	if (!(st->host.flags & IFF_UP))
		return mismatch(err, "host veth %s is down", st->host_ifname);
	ret = nlh_link_get(st->pod_sk, ifname, &st->pod);
	if (ret)
		return mismatch(err, "%s in %s: %s", ifname, st->ctx->env.netns, strerror(-ret));
	if (!(st->pod.flags & IFF_UP))
		return mismatch(err, "%s in %s is down", ifname, st->ctx->env.netns);
	if (mac[0] && strcasecmp(mac, st->pod.mac))
		return mismatch(err, "%s has MAC %s, prevResult says %s", ifname, st->pod.mac, mac);
	return 0;
}

static int check_addresses(struct check_state *st, struct cni_error *err)
{
	const char *ifname = st->ctx->env.ifname;
	struct weft_prefix any, gw, ip;
	int ret, seen = 0;

	weft_prefix_parse("0.0.0.0/0", &any);
	for (int i = 0; i < st->prev.n_ips; i++) {
		const struct cni_ip *p = &st->prev.ips[i];

		if (p->interface != st->pod_iface)
			continue;
		seen++;
		if (cni_ip_parse(p->address, &ip) || ip.addr.family != AF_INET)
			return mismatch(err, "prevResult address %s is not one weft assigns",
					p->address);
		ret = nlh_addr_present(st->pod_sk, st->pod.ifindex, &ip.addr);
		if (ret < 0)
			return cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed",
					"%s: addresses: %s", ifname, strerror(-ret));
		if (!ret)
			return mismatch(err, "%s has no address %s", ifname, p->address);
		cni_ip_parse(p->gateway[0] ? p->gateway : WEFT_GATEWAY_IPV4, &gw);
		ret = nlh_route_present(st->pod_sk, st->pod.ifindex, &any, &gw.addr);
		if (ret < 0)
			return cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed", "%s: routes: %s",
					ifname, strerror(-ret));
		if (!ret)
			return mismatch(err, "%s: no default route via %s", ifname,
					p->gateway[0] ? p->gateway : WEFT_GATEWAY_IPV4);
		ip.len = 32;
		ret = nlh_route_present(st->host_sk, st->host.ifindex, &ip, NULL);
		if (ret < 0)
			return cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed", "%s: routes: %s",
					st->host_ifname, strerror(-ret));
		if (!ret)
			return mismatch(err, "no host route %s/32 dev %s", p->address,
					st->host_ifname);
	}
	if (!seen)
		return mismatch(err, "prevResult has no address on %s", ifname);
	return 0;
}

static int check_endpoint(struct check_state *st, struct cni_error *err)
{
	struct cni_ctx *ctx = st->ctx;
	struct weft_api_error ae;
	json_t *reply, *ep;
	int ret;

	ret = weftd_call(ctx->conf.socket, weftd_req("endpoint.get", &ctx->env), &reply, &ae);
	if (ret == -EREMOTEIO && ae.err == ENOENT)
		return mismatch(err, "weftd has no endpoint %s/%s", ctx->env.container_id,
				ctx->env.ifname);
	if (ret)
		return weftd_fail(err, ctx->conf.socket, "endpoint.get", ret, &ae);
	ep = json_object_get(reply, "endpoint");
	if (!json_is_true(json_object_get(ep, "attached")))
		ret = mismatch(err, "endpoint %s/%s: programs not attached", ctx->env.container_id,
			       ctx->env.ifname);
	else if (json_integer_value(json_object_get(ep, "hostIfindex")) != st->host.ifindex)
		ret = mismatch(err, "endpoint %s/%s: weftd has hostIfindex %lld, %s is %d",
			       ctx->env.container_id, ctx->env.ifname,
			       (long long)json_integer_value(json_object_get(ep, "hostIfindex")),
			       st->host_ifname, st->host.ifindex);
	json_decref(reply);
	return ret;
}

static int find_pod_iface(struct check_state *st, struct cni_error *err)
{
	for (int i = 0; i < st->prev.n_ifaces; i++) {
		if (!strcmp(st->prev.ifaces[i].name, st->ctx->env.ifname) &&
		    st->prev.ifaces[i].sandbox[0]) {
			st->pod_iface = i;
			return 0;
		}
	}
	return mismatch(err, "prevResult has no interface %s in a sandbox", st->ctx->env.ifname);
}

int cmd_check(struct cni_ctx *ctx, struct cni_error *err)
{
	struct check_state st = {.ctx = ctx, .pod_nsfd = -1};
	char what[160] = "";
	int ret;

	cni_result_init(&st.prev);
	if (cni_version_cmp(ctx->conf.cni_version, "0.4.0") < 0)
		return cni_fail(err, CNI_ERR_INCOMPATIBLE_VERSION, -ENOTSUP,
				"incompatible CNI version",
				"cniVersion %s: CHECK needs 0.4.0 or later", ctx->conf.cni_version);
	if (!ctx->conf.prev_result)
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"invalid network configuration", "prevResult: required by CHECK");
	ret = cni_result_parse(ctx->conf.prev_result, ctx->conf.cni_version, &st.prev, what,
			       sizeof(what));
	if (ret) {
		ret = cni_fail(err, CNI_ERR_INVALID_CONFIG, ret, "invalid network configuration",
			       "prevResult: %s", what);
		goto free_prev;
	}
	ret = netns_open(ctx->env.netns, &st.pod_nsfd);
	if (ret) {
		ret = cni_fail(err, CNI_ERR_INVALID_ENV, ret, "invalid environment",
			       "CNI_NETNS: cannot open %s as a network namespace: %s",
			       ctx->env.netns, strerror(-ret));
		goto free_prev;
	}
	ret = nlh_open(&st.host_sk);
	if (!ret)
		ret = nlh_open_in_netns(st.pod_nsfd, &st.pod_sk);
	if (ret) {
		ret = cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed",
			       "cannot open a netlink socket: %s", strerror(-ret));
		goto close;
	}
	cni_veth_name(ctx->env.container_id, ctx->env.ifname, st.host_ifname);
	ret = find_pod_iface(&st, err);
	if (!ret)
		ret = check_links(&st, err);
	if (!ret)
		ret = check_addresses(&st, err);
	if (!ret)
		ret = check_endpoint(&st, err);
	/* The delegated plugin checks its own allocation (CNI spec: CHECK delegation). */
	if (!ret && ctx->conf.ipam)
		ret = ipam_exec(&ctx->env, ctx->conf.ipam_type, "CHECK", ctx->stdin_buf,
				ctx->stdin_len, NULL, err);
close:
	nlh_close(st.pod_sk);
	nlh_close(st.host_sk);
	close(st.pod_nsfd);
free_prev:
	cni_result_free(&st.prev);
	return ret;
}
