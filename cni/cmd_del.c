// SPDX-License-Identifier: Apache-2.0
/*
 * DEL: idempotent. Whatever is already gone (netns, veth, endpoint, address)
 * is fine; every step runs even when an earlier one failed, so one DEL
 * removes as much as it can and a retry finishes the rest.
 */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "ipam_exec.h"
#include "netlink.h"
#include "vethname.h"
#include "weftd.h"

static int del_weftd(struct cni_ctx *ctx, const char *op, struct cni_error *err)
{
	struct weft_api_error ae;
	json_t *reply;
	int ret;

	ret = weftd_call(ctx->conf.socket, weftd_req(op, &ctx->env), &reply, &ae);
	json_decref(reply);
	if (ret == -EREMOTEIO && ae.err == ENOENT)
		return 0;
	if (ret)
		return weftd_fail(err, ctx->conf.socket, op, ret, &ae);
	return 0;
}

static int del_host_veth(const char *name, struct cni_error *err)
{
	struct nl_sock *sk;
	int ret;

	ret = nlh_open(&sk);
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed",
				"node namespace: cannot open a netlink socket: %s", strerror(-ret));
	ret = nlh_link_del(sk, name);
	nlh_close(sk);
	if (ret == -ENODEV)
		return 0;
	if (ret)
		return cni_fail(err, CNI_ERR_WEFTD, ret, "cannot delete the host veth", "%s: %s",
				name, strerror(-ret));
	return 0;
}

int cmd_del(struct cni_ctx *ctx, struct cni_error *err)
{
	char host_ifname[IFNAMSIZ];
	int ret, first;

	cni_veth_name(ctx->env.container_id, ctx->env.ifname, host_ifname);
	/* weftd deletes the host veth itself; it only stays if weftd is down. */
	first = del_weftd(ctx, "endpoint.del", err);
	/* endpoint.del releases the address, but an ADD rolled back before endpoint.add
	 * may have left an allocation without an endpoint. */
	if (!first && !ctx->conf.ipam)
		first = del_weftd(ctx, "ipam.release", err);
	ret = del_host_veth(host_ifname, err);
	if (!first)
		first = ret;
	if (ctx->conf.ipam) {
		ret = ipam_exec(&ctx->env, ctx->conf.ipam_type, "DEL", ctx->stdin_buf,
				ctx->stdin_len, NULL, err);
		if (!first)
			first = ret;
	}
	if (!first)
		pr_info("DEL %s/%s done", ctx->env.container_id, ctx->env.ifname);
	return first;
}
