// SPDX-License-Identifier: Apache-2.0
/*
 * GC (CNI 1.1.0): everything of this network not in
 * cni.dev/valid-attachments is stale. weftd drops its endpoints and
 * allocations (only this network's: each endpoint records its network); we
 * drop host veths that carry our name shape but belong to no valid
 * attachment and to no other network's endpoint; a delegated IPAM plugin
 * gets GC too when it speaks 1.1.0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ipam_exec.h"
#include "netlink.h"
#include "vethname.h"
#include "weftd.h"

struct gc_links {
	char (*keep)[IFNAMSIZ];
	size_t n_keep;
	struct nl_sock *sk;
	int deleted, failed;
};

/* weftd removes what this network no longer has, and names the host veths of
 * other networks' endpoints: gc_links() must leave those alone too. */
static int gc_weftd(struct cni_ctx *ctx, json_t **keep, struct cni_error *err)
{
	json_t *valid = json_array(), *a, *reply, *req;
	struct weft_api_error ae;
	size_t i;
	int ret;

	json_array_foreach (ctx->conf.valid_attachments, i, a)
		json_array_append_new(valid, json_pack("{s:O, s:O}", "containerID",
						       json_object_get(a, "containerID"), "ifname",
						       json_object_get(a, "ifname")));
	req = json_pack("{s:s, s:s, s:o}", "op", "gc", "network", ctx->conf.name, "valid", valid);
	ret = weftd_call(ctx->conf.socket, req, &reply, &ae);
	if (ret)
		return weftd_fail(err, ctx->conf.socket, "gc", ret, &ae);
	pr_info("gc: weftd removed %zu endpoints",
		json_array_size(json_object_get(reply, "removed")));
	*keep = json_incref(json_object_get(reply, "keep"));
	json_decref(reply);
	return 0;
}

static int gc_link(const char *name, int ifindex, void *arg)
{
	struct gc_links *g = arg;
	int ret;

	(void)ifindex;
	if (!name || !cni_veth_name_is_ours(name))
		return 0;
	for (size_t i = 0; i < g->n_keep; i++)
		if (!strcmp(g->keep[i], name))
			return 0;
	ret = nlh_link_del(g->sk, name);
	if (ret && ret != -ENODEV) {
		pr_warn("gc: delete %s: %s", name, strerror(-ret));
		g->failed++;
	} else {
		pr_info("gc: deleted stale host veth %s", name);
		g->deleted++;
	}
	return 0;
}

static int gc_links(struct cni_ctx *ctx, json_t *other, struct cni_error *err)
{
	struct gc_links g = {0};
	json_t *a;
	size_t i;
	int ret;

	g.keep = calloc(json_array_size(ctx->conf.valid_attachments) + json_array_size(other) + 1,
			sizeof(*g.keep));
	if (!g.keep)
		return cni_fail(err, CNI_ERR_WEFTD, -ENOMEM, "out of memory", "gc");
	json_array_foreach (ctx->conf.valid_attachments, i, a)
		cni_veth_name(json_string_value(json_object_get(a, "containerID")),
			      json_string_value(json_object_get(a, "ifname")), g.keep[g.n_keep++]);
	json_array_foreach (other, i, a) {
		if (json_is_string(a))
			snprintf(g.keep[g.n_keep++], IFNAMSIZ, "%s", json_string_value(a));
	}
	ret = nlh_open(&g.sk);
	if (ret) {
		ret = cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed",
			       "node namespace: cannot open a netlink socket: %s", strerror(-ret));
		goto free_keep;
	}
	ret = nlh_link_foreach(g.sk, gc_link, &g);
	if (ret)
		ret = cni_fail(err, CNI_ERR_WEFTD, ret, "netlink failed", "gc: listing links: %s",
			       strerror(-ret));
	else if (g.failed)
		ret = cni_fail(err, CNI_ERR_WEFTD, -EBUSY, "cannot delete stale host veths",
			       "gc: %d of %d failed", g.failed, g.failed + g.deleted);
	nlh_close(g.sk);
free_keep:
	free(g.keep);
	return ret;
}

/* GC is only defined from 1.1.0 on: an older plugin would fail on the command. */
static int ipam_speaks_gc(struct cni_ctx *ctx, struct cni_error *err)
{
	char in[64];
	json_t *out, *v;
	size_t i;
	int ret, yes = 0;

	snprintf(in, sizeof(in), "{\"cniVersion\": \"%s\"}", ctx->conf.cni_version);
	ret = ipam_exec(&ctx->env, ctx->conf.ipam_type, "VERSION", in, strlen(in), &out, err);
	if (ret)
		return ret;
	json_array_foreach (json_object_get(out, "supportedVersions"), i, v)
		yes |= json_is_string(v) && !strcmp(json_string_value(v), "1.1.0");
	json_decref(out);
	return yes;
}

int cmd_gc(struct cni_ctx *ctx, struct cni_error *err)
{
	json_t *other = NULL;
	int first, ret;

	/* Without the list everything would look stale: refuse rather than wipe the node. */
	if (!ctx->conf.valid_attachments)
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"invalid network configuration",
				"cni.dev/valid-attachments: required by GC");
	/* Keep going past a failure: each part cleans up on its own. Only the
	 * host veths wait for weftd: without its answer, a veth of another
	 * weft network on this node would look stale too. */
	first = gc_weftd(ctx, &other, err);
	if (!first)
		first = gc_links(ctx, other, err);
	json_decref(other);
	if (ctx->conf.ipam) {
		ret = ipam_speaks_gc(ctx, err);
		if (ret > 0)
			ret = ipam_exec(&ctx->env, ctx->conf.ipam_type, "GC", ctx->stdin_buf,
					ctx->stdin_len, NULL, err);
		else if (!ret)
			pr_info("gc: ipam %s does not speak 1.1.0, not passing GC on",
				ctx->conf.ipam_type);
		if (!first && ret < 0)
			first = ret;
	}
	return first;
}
