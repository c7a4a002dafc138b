// SPDX-License-Identifier: Apache-2.0
/*
 * DEL: idempotent. Whatever is already gone (netns, veth, endpoint, address)
 * is fine; every step runs even when an earlier one failed, so one DEL
 * removes as much as it can and a retry finishes the rest.
 *
 * With weftd down the DEL still succeeds: the veth goes (and the pod side
 * with it), and a pending-delete record (lib/pending.h) tells weftd to finish
 * the endpoint, pins, map entries and address when it is back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "ipam_exec.h"
#include "netlink.h"
#include "pending.h"
#include "vethname.h"
#include "weftd.h"
#include "steps.h"

/* 1 when weftd is unreachable (nothing done), else 0 or a CNI error. The
 * steps weftd timed go into @timings (may be NULL). */
static int del_weftd(struct cni_ctx *ctx, const char *op, json_t *timings, struct cni_error *err)
{
	struct weft_api_error ae;
	json_t *reply;
	int ret;

	ret = weftd_call(ctx->conf.socket, weftd_req(op, &ctx->env), &reply, &ae);
	if (!ret && timings && json_is_object(json_object_get(reply, "timings")))
		json_object_update(timings, json_object_get(reply, "timings"));
	json_decref(reply);
	if (ret == -EREMOTEIO && ae.err == ENOENT)
		return 0;
	if (ret && api_unreachable(ret))
		return 1;
	if (ret)
		return weftd_fail(err, ctx->conf.socket, op, ret, &ae);
	return 0;
}

/* The veth's ifindex lets weftd tell this endpoint from a newer one of the
 * same pair; 0 when it is gone already. */
static int host_ifindex(const char *name)
{
	struct nlh_link link = {0};
	struct nl_sock *sk;

	if (nlh_open(&sk))
		return 0;
	if (nlh_link_get(sk, name, &link))
		link.ifindex = 0;
	nlh_close(sk);
	return link.ifindex;
}

static int record_pending(struct cni_ctx *ctx, const char *host_ifname, int ifindex,
			  struct cni_error *err)
{
	struct pending_del p = {.host_ifindex = ifindex};
	int ret;

	snprintf(p.cid, sizeof(p.cid), "%s", ctx->env.container_id);
	snprintf(p.ifname, sizeof(p.ifname), "%s", ctx->env.ifname);
	snprintf(p.host_ifname, sizeof(p.host_ifname), "%s", host_ifname);
	ret = pending_write(ctx->conf.socket, &p);
	if (ret)
		return cni_fail(err, CNI_ERR_TRY_AGAIN, ret, "weftd is not reachable",
				"endpoint.del: cannot record the DEL for weftd next to %s: %s",
				ctx->conf.socket, strerror(-ret));
	pr_info("DEL %s/%s: weftd is not reachable; veth %s deleted, the rest recorded for weftd",
		ctx->env.container_id, ctx->env.ifname, host_ifname);
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
	char host_ifname[IFNAMSIZ], timings[160], weftd[256];
	json_t *weftd_timings = json_object();
	int ret, first, ifindex = 0, down;
	struct steps steps;

	steps_start_at(&steps, ctx->start_us);
	steps_mark(&steps, "config");
	cni_veth_name(ctx->env.container_id, ctx->env.ifname, host_ifname);
	/* weftd deletes the host veth itself; it only stays if weftd is down. */
	first = del_weftd(ctx, "endpoint.del", weftd_timings, err);
	down = first == 1;
	if (down) {
		first = 0;
		ifindex = host_ifindex(host_ifname);
	}
	/* endpoint.del releases the address, but an ADD rolled back before endpoint.add
	 * may have left an allocation without an endpoint. */
	if (!first && !down && !ctx->conf.ipam) {
		first = del_weftd(ctx, "ipam.release", NULL, err);
		down = first == 1;
		if (down)
			first = 0;
	}
	steps_mark(&steps, "weftd");
	ret = del_host_veth(host_ifname, err);
	if (!first)
		first = ret;
	steps_mark(&steps, "veth");
	/* After the veth: the record is only needed once the pod is cut off. */
	if (down && !first)
		first = record_pending(ctx, host_ifname, ifindex, err);
	if (ctx->conf.ipam) {
		ret = ipam_exec(&ctx->env, ctx->conf.ipam_type, "DEL", ctx->stdin_buf,
				ctx->stdin_len, NULL, err);
		if (!first)
			first = ret;
	}
	steps_mark(&steps, "ipam");
	/* One line bench/add_latency.sh reads, shaped like ADD's. */
	if (!first)
		pr_info("DEL %s/%s timings (ms): %s; weftd: %s; total %.2f", ctx->env.container_id,
			ctx->env.ifname, steps_format(&steps, timings, sizeof(timings)),
			steps_json_format(weftd_timings, weftd, sizeof(weftd)),
			steps_total_ms(&steps));
	json_decref(weftd_timings);
	return first;
}
