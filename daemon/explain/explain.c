// SPDX-License-Identifier: Apache-2.0
/*
 * The explain op: what would happen to a packet from --from to --to, asked
 * of the programs attached now. weftd builds the frame, runs the program the
 * packet would meet first on this node with BPF_PROG_TEST_RUN, marked as an
 * explain run (bpf/datapath.h, "Explain runs"), and reads the hops back from
 * the returned context (daemon/explain/hops.c). Nothing is simulated here:
 * conntrack, policy and routing are the programs' own.
 *
 *   the source is a local pod: its weft_from_pod (the link's program), and
 *     for a local destination that pod's weft_to_pod_local, tail-called in
 *     the same run;
 *   the destination is a local pod, the source not: weft_from_overlay (the
 *     VXLAN link's program), with ingress_ifindex the device's, as a
 *     decapsulated frame arrives; it tail-calls the destination's
 *     weft_to_pod_local as it does for a real one.
 *
 * A cross-node packet is so explained in two halves, each by its own node.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "bpf/datapath.h"
#include "api.h"
#include "daemon/cluster/cluster.h"
#include "daemon/datapath/loader.h"
#include "daemon/datapath/tcx.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/explain/explain.h"
#include "daemon/overlay/overlay_prog.h"
#include "daemon/weftd.h"

#define EXPLAIN_SPORT 47000 /* the frame's source port: an ephemeral one */
#define EXPLAIN_TTL   64
#define FRAME_MAX     128

/* One end as asked: its address, and its endpoint when it is on this node. */
struct end {
	uint32_t addr;
	struct endpoint *ep;
};

/* Fill @e (a message, and details from @fmt). Returns -@err. */
static int explain_fail(struct weft_api_error *e, int err, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int explain_fail(struct weft_api_error *e, int err, const char *msg, const char *fmt, ...)
{
	char details[sizeof(e->details)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(details, sizeof(details), fmt, ap);
	va_end(ap);
	api_err_set(e, err, details, "%s", msg);
	return -err;
}

static struct endpoint *endpoint_by_pod(struct weftd *d, const char *ns, const char *name)
{
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		const char *ens = json_string_value(json_object_get(ep->k8s, "namespace"));
		const char *ename = json_string_value(json_object_get(ep->k8s, "name"));

		if (ens && ename && !strcmp(ens, ns) && !strcmp(ename, name))
			return ep;
	}
	return NULL;
}

static int endpoint_ipv4(const struct endpoint *ep, uint32_t *addr)
{
	for (int i = 0; i < ep->nr_ips; i++) {
		if (ep->ips[i].family == WEFT_FAMILY_IPV4) {
			*addr = ep->ips[i].addr[0];
			return 0;
		}
	}
	return -ENOENT;
}

/* "namespace/name" (a local endpoint, or a pod of the cluster model) or an
 * IPv4 address. */
static int end_resolve(struct weftd *d, const char *s, struct end *e)
{
	const char *slash = strchr(s, '/');
	const struct cl_pod *p;
	struct in_addr in;
	char ns[256];

	e->ep = NULL;
	if (!slash) {
		if (inet_pton(AF_INET, s, &in) != 1)
			return -EINVAL;
		e->addr = in.s_addr;
		e->ep = endpoint_by_ipv4(d, e->addr);
		return 0;
	}
	if (slash == s || (size_t)(slash - s) >= sizeof(ns) || !slash[1])
		return -EINVAL;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - s), s);
	e->ep = endpoint_by_pod(d, ns, slash + 1);
	if (e->ep)
		return endpoint_ipv4(e->ep, &e->addr);
	p = d->cluster ? cluster_find_pod(d->cluster, ns, slash + 1) : NULL;
	for (unsigned int i = 0; p && i < p->n_ips; i++) {
		if (p->ips[i].family == AF_INET) {
			e->addr = weft_addr_ipv4(&p->ips[i]);
			return 0;
		}
	}
	return -ENOENT;
}

static uint16_t csum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/*
 * Ethernet + IPv4 + a TCP SYN, a UDP datagram or an ICMP echo request, as
 * the source pod sends it (its MAC, to its gateway's). Transport checksums
 * stay 0: no program checks them. Returns the frame's length.
 */
static size_t frame_build(uint8_t *f, const struct explain_req *r, const uint8_t *src_mac,
			  const uint8_t *dst_mac)
{
	uint8_t *ip = f + 14, *l4 = ip + 20;
	size_t l4len = r->protocol == IPPROTO_TCP ? 20 : 8;

	memset(f, 0, FRAME_MAX);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[6] = 0x40; /* DF */
	ip[8] = EXPLAIN_TTL;
	ip[9] = r->protocol;
	memcpy(ip + 12, &r->saddr, 4);
	memcpy(ip + 16, &r->daddr, 4);
	put16(ip + 10, csum(ip, 20));
	switch (r->protocol) {
	case IPPROTO_TCP:
		put16(l4, EXPLAIN_SPORT);
		put16(l4 + 2, r->port);
		l4[12] = 5 << 4;
		l4[13] = 0x02; /* SYN */
		put16(l4 + 14, 64240);
		break;
	case IPPROTO_UDP:
		put16(l4, EXPLAIN_SPORT);
		put16(l4 + 2, r->port);
		put16(l4 + 4, 8);
		break;
	default:
		l4[0] = 8; /* echo request */
		put16(l4 + 4, EXPLAIN_SPORT);
		put16(l4 + 6, 1);
		put16(l4 + 2, csum(l4, 8));
	}
	return 14 + 20 + l4len;
}

/* One explain run of @prog_fd on @frame, as on device @dev (skb->ifindex:
 * the pod programs find their pod by it), received on @iif: the context it
 * hands back. */
static int explain_test_run(int prog_fd, uint8_t *frame, size_t len, uint32_t dev, uint32_t iif,
			    struct __sk_buff *ctx, int *retval)
{
	uint8_t out[FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = ctx,
		    .ctx_size_in = sizeof(*ctx), .ctx_out = ctx, .ctx_size_out = sizeof(*ctx),
		    .repeat = 1);

	memset(ctx, 0, sizeof(*ctx));
	ctx->mark = WEFT_EXPLAIN_MARK;
	ctx->hwtstamp = WEFT_EXPLAIN_STAMP;
	ctx->ifindex = dev;
	ctx->ingress_ifindex = iif;
	if (bpf_prog_test_run_opts(prog_fd, &opts) < 0)
		return -errno;
	*retval = (int)opts.retval;
	return 0;
}

/*
 * Run the program the packet meets first here. @first names it, and its id
 * and the endpoint it belongs to (0: the overlay's) go into @res.
 */
static int explain_first_hop(struct weftd *d, const struct end *src, const struct end *dst,
			     const struct explain_req *r, struct explain_result *res,
			     struct weft_api_error *e)
{
	static const uint8_t any_mac[6] = {0x02, 0, 0, 0, 0, 1};
	struct loader_progs progs;
	struct tcx_link ov = {0};
	uint8_t frame[FRAME_MAX];
	size_t len;
	int fd, err;

	if (src->ep) {
		err = loader_running(d->loader, src->ep->id, src->ep->host_ifindex, &d->maps.layout,
				     &progs);
		if (err || progs.fd[LOADER_FROM_POD] < 0) {
			loader_progs_close(&progs);
			return explain_fail(e, err ? -err : ENOENT, "no program on the link",
					    "endpoint %u: from-pod", src->ep->id);
		}
		res->first = EXPLAIN_FROM_POD;
		res->ep_id = src->ep->id;
		res->prog_id = progs.id[LOADER_FROM_POD];
		len = frame_build(frame, r, src->ep->pod_mac, src->ep->host_mac);
		err = explain_test_run(progs.fd[LOADER_FROM_POD], frame, len,
				       (uint32_t)src->ep->host_ifindex, 0, &res->ctx, &res->retval);
		loader_progs_close(&progs);
		goto check_run;
	}
	if (!dst->ep)
		return explain_fail(e, ENOENT, "neither end is a pod on this node", "%s",
				    "explain runs on the source's node and the destination's");
	err = overlay_prog_ingress(d->cfg.bpffs, &ov);
	if (err)
		return explain_fail(e, -err, "no overlay program", "%s",
				    "a packet from another node arrives through weft_vxlan");
	fd = bpf_prog_get_fd_by_id(ov.prog_id);
	if (fd < 0)
		return explain_fail(e, errno, "no overlay program", "program %u", ov.prog_id);
	res->first = EXPLAIN_FROM_OVERLAY;
	res->ep_id = 0;
	res->prog_id = ov.prog_id;
	len = frame_build(frame, r, any_mac, any_mac);
	err = explain_test_run(fd, frame, len, (uint32_t)ov.ifindex, (uint32_t)ov.ifindex,
			       &res->ctx, &res->retval);
	close(fd);
check_run:
	if (err)
		return explain_fail(e, -err, "BPF_PROG_TEST_RUN failed", "program %u",
				    res->prog_id);
	return 0;
}

static int parse_req(json_t *req, struct explain_req *r, const char **from, const char **to,
		     struct weft_api_error *e)
{
	const char *proto = json_string_value(json_object_get(req, "proto"));
	json_t *port = json_object_get(req, "port");

	*from = json_string_value(json_object_get(req, "from"));
	*to = json_string_value(json_object_get(req, "to"));
	if (!*from || !*to)
		return explain_fail(e, EINVAL, "invalid argument", "%s", "from and to: required");
	if (!proto || !strcmp(proto, "tcp"))
		r->protocol = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		r->protocol = IPPROTO_UDP;
	else if (!strcmp(proto, "icmp"))
		r->protocol = IPPROTO_ICMP;
	else
		return explain_fail(e, EINVAL, "invalid argument", "%s", "proto: tcp, udp or icmp");
	r->port = 0;
	if (r->protocol == IPPROTO_ICMP)
		return 0;
	if (!port)
		return explain_fail(e, EINVAL, "invalid argument", "port: required for %s",
				    proto ? proto : "tcp");
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535)
		return explain_fail(e, EINVAL, "invalid argument", "%s", "port: 1-65535");
	r->port = (uint16_t)json_integer_value(port);
	return 0;
}

json_t *explain_op(struct weftd *d, json_t *req)
{
	struct explain_result res = {0};
	struct weft_api_error e = {0};
	struct explain_req r = {0};
	struct end src, dst;
	const char *from, *to;
	json_t *reply;

	if (!d->loader)
		return api_error_reply(ENOSYS, "no datapath", "");
	if (parse_req(req, &r, &from, &to, &e))
		return api_error_reply(e.err, e.msg, e.details);
	if (end_resolve(d, from, &src))
		return api_error_reply(ENOENT, "unknown source", from);
	if (end_resolve(d, to, &dst))
		return api_error_reply(ENOENT, "unknown destination", to);
	r.saddr = src.addr;
	r.daddr = dst.addr;
	if (explain_first_hop(d, &src, &dst, &r, &res, &e))
		return api_error_reply(e.err, e.msg, e.details);
	reply = explain_hops_json(d, &r, &res);
	if (!reply)
		return api_error_reply(ENOMEM, "out of memory", "");
	json_object_set_new(reply, "ok", json_true());
	return reply;
}
