// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "daemon/api/dumps.h"
#include "daemon/datapath/conntrack.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/flows/packet.h"
#include "daemon/policy/engine.h"
#include "api.h"

static const char *addr_text(uint8_t family, const __u32 *addr, char *buf, size_t len)
{
	struct weft_addr a = {0};

	if (family == WEFT_FAMILY_IPV4) {
		a = weft_addr_from_ipv4(addr[0]);
	} else {
		a.family = AF_INET6;
		memcpy(a.addr, addr, 16);
	}
	return weft_addr_format(&a, buf, len);
}

/* "namespace/name" of the local endpoint holding @addr, or NULL. */
static const char *local_pod(struct weftd *d, uint8_t family, const __u32 *addr, char *buf,
			     size_t len)
{
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		for (int i = 0; i < ep->nr_ips; i++) {
			if (ep->ips[i].family != family ||
			    memcmp(ep->ips[i].addr, addr, family == WEFT_FAMILY_IPV4 ? 4 : 16))
				continue;
			if (!ep->k8s)
				return NULL;
			snprintf(buf, len, "%s/%s",
				 json_string_value(json_object_get(ep->k8s, "namespace")) ?: "",
				 json_string_value(json_object_get(ep->k8s, "name")) ?: "");
			return buf;
		}
	}
	return NULL;
}

/* TCP: what the flags say; other protocols: replied or not. */
static const char *ct_state(const struct weft_ct_key *k, const struct weft_ct_entry *e,
			    uint64_t now)
{
	if (e->expires_ns < now)
		return "expired";
	if (k->protocol == IPPROTO_TCP &&
	    ((e->flags & WEFT_CT_F_RST) || (e->flags & (WEFT_CT_F_FIN_FWD | WEFT_CT_F_FIN_REV)) ==
						   (WEFT_CT_F_FIN_FWD | WEFT_CT_F_FIN_REV)))
		return "closing";
	return e->flags & WEFT_CT_F_REPLIED ? "established" : "opening";
}

struct ct_dump {
	struct weftd *d;
	json_t *rows;
	uint64_t now;
	size_t limit, total;
};

static int ct_row(void *ctx, const struct weft_ct_key *k, const struct weft_ct_entry *e)
{
	struct ct_dump *c = ctx;
	char src[WEFT_ADDR_STRLEN], dst[WEFT_ADDR_STRLEN], pbuf[8], spod[512], dpod[512];
	json_t *row;

	if (c->total++ >= c->limit)
		return 0;
	row = json_pack("{s:s, s:s, s:i, s:s, s:i, s:s, s:s?, s:s?, s:f, s:{s:I, s:I}, "
			"s:{s:I, s:I}, s:i, s:i, s:[]}",
			"protocol", flow_proto_name(k->protocol, pbuf, sizeof(pbuf)), "src",
			addr_text(k->family, k->saddr, src, sizeof(src)), "sport", ntohs(k->sport),
			"dst", addr_text(k->family, k->daddr, dst, sizeof(dst)), "dport",
			ntohs(k->dport), "state", ct_state(k, e, c->now), "srcPod",
			local_pod(c->d, k->family, k->saddr, spod, sizeof(spod)), "dstPod",
			local_pod(c->d, k->family, k->daddr, dpod, sizeof(dpod)), "expiresIn",
			((double)e->expires_ns - (double)c->now) / 1e9, "packets", "forward",
			(json_int_t)e->packets_fwd, "reverse", (json_int_t)e->packets_rev, "bytes",
			"forward", (json_int_t)e->bytes_fwd, "reverse", (json_int_t)e->bytes_rev,
			"revisionEgress", (int)e->rev_egress, "revisionIngress",
			(int)e->rev_ingress, "flags");
	if (!row)
		return -ENOMEM;
	if (e->flags & WEFT_CT_F_REPLIED)
		json_array_append_new(json_object_get(row, "flags"), json_string("replied"));
	if (e->flags & WEFT_CT_F_FIN_FWD)
		json_array_append_new(json_object_get(row, "flags"), json_string("fin-forward"));
	if (e->flags & WEFT_CT_F_FIN_REV)
		json_array_append_new(json_object_get(row, "flags"), json_string("fin-reverse"));
	if (e->flags & WEFT_CT_F_RST)
		json_array_append_new(json_object_get(row, "flags"), json_string("rst"));
	return json_array_append_new(c->rows, row) ? -ENOMEM : 0;
}

/* "limit": the most rows to return (default 10,000): the map holds up to
 * 128Ki flows, and "total" says how many there were. */
static int arg_limit(json_t *req, size_t *limit, json_t **err)
{
	json_t *v = json_object_get(req, "limit");

	*limit = 10000;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		*err = api_error_reply(EINVAL, "invalid argument",
				       "limit: must be an integer >= 1");
		return -EINVAL;
	}
	*limit = (size_t)json_integer_value(v);
	return 0;
}

json_t *dumps_conntrack(struct weftd *d, json_t *req)
{
	struct ct_dump c = {.d = d, .now = now_ns()};
	int fd = maps_fd(&d->maps, WEFT_MAP_CONNTRACK), err;
	json_t *reply = NULL;

	if (arg_limit(req, &c.limit, &reply))
		return reply;
	c.rows = json_array();
	if (!c.rows)
		return NULL;
	/* Not pinned yet: no endpoint ever loaded, so no flow either. */
	err = fd < 0 ? 0 : ct_for_each(fd, ct_row, &c);
	if (err) {
		json_decref(c.rows);
		return api_error_reply(-err, "read weft_conntrack", strerror(-err));
	}
	return json_pack("{s:b, s:I, s:o}", "ok", 1, "total", (json_int_t)c.total, "entries",
			 c.rows);
}

struct ipc_dump {
	struct weftd *d;
	json_t *rows;
};

static int ipcache_row(void *ctx, const struct weft_ipcache_key *k,
		       const struct weft_ipcache_value *v)
{
	struct ipc_dump *c = ctx;
	char a[WEFT_ADDR_STRLEN], t[WEFT_ADDR_STRLEN], prefix[WEFT_PREFIX_STRLEN];
	/* The trie's prefixlen counts the family byte and its padding first. */
	unsigned int plen = k->prefixlen - WEFT_IPCACHE_PREFIX_BASE;
	json_t *row, *id;

	snprintf(prefix, sizeof(prefix), "%s/%u", addr_text(k->family, k->addr, a, sizeof(a)),
		 plen);
	id = c->d->policy ? policy_identity_json(c->d->policy, v->identity)
			  : json_pack("{s:I}", "identity", (json_int_t)v->identity);
	row = json_pack("{s:s, s:I, s:o, s:s?, s:[]}", "prefix", prefix, "identity",
			(json_int_t)v->identity, "peer", id, "tunnel",
			v->tunnel_family ? addr_text(v->tunnel_family, v->tunnel_addr, t, sizeof(t))
					 : NULL,
			"flags");
	if (!row)
		return -ENOMEM;
	if (v->flags & WEFT_IPC_F_LOCAL)
		json_array_append_new(json_object_get(row, "flags"), json_string("local"));
	if (v->flags & WEFT_IPC_F_NODE)
		json_array_append_new(json_object_get(row, "flags"), json_string("node"));
	if (v->flags & WEFT_IPC_F_POD_CIDR)
		json_array_append_new(json_object_get(row, "flags"), json_string("pod-cidr"));
	return json_array_append_new(c->rows, row) ? -ENOMEM : 0;
}

json_t *dumps_ipcache(struct weftd *d, json_t *req)
{
	struct ipc_dump c = {.d = d, .rows = json_array()};
	int err;

	(void)req;
	if (!c.rows)
		return NULL;
	err = maps_ipcache_foreach(&d->maps, ipcache_row, &c);
	/* Not pinned: weftd runs without a cluster source, no overlay. */
	if (err && err != -ENOENT) {
		json_decref(c.rows);
		return api_error_reply(-err, "read weft_ipcache", strerror(-err));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "entries", c.rows);
}

json_t *dumps_identities(struct weftd *d, json_t *req)
{
	json_t *ids;

	(void)req;
	if (!d->policy)
		return api_error_reply(ENOENT, "no policy engine", "");
	ids = policy_identities_json(d->policy);
	if (!ids)
		return NULL;
	return json_pack("{s:b, s:o}", "ok", 1, "identities", ids);
}
