// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "daemon/endpoint/endpoint.h"
#include "daemon/endpoint/gc.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/endpoint/reconcile.h"
#include "log.h"

struct gc_walk {
	struct weftd *d;
	const struct gc_request *req;
	size_t nr_removed;
	int err; /* the first IPAM release that failed: the rest are left */
	struct weft_api_error *e;
};

static bool gc_listed(const struct gc_request *req, const char *cid, const char *ifname)
{
	for (size_t i = 0; i < req->nr_valid; i++) {
		if (!strcmp(req->valid[i].cid, cid) && !strcmp(req->valid[i].ifname, ifname))
			return true;
	}
	return false;
}

/* An endpoint another CNI network made: that network's GC decides about it. */
static bool gc_other_network(const struct gc_request *req, const struct endpoint *ep)
{
	return req->network && ep && ep->network[0] && strcmp(ep->network, req->network);
}

static void gc_removed(struct gc_walk *w, const char *cid, const char *ifname)
{
	w->nr_removed++;
	if (w->req->removed)
		w->req->removed(w->req->ctx, cid, ifname);
}

static int gc_endpoints(struct gc_walk *w)
{
	const struct gc_request *req = w->req;
	char cid[sizeof(((struct endpoint *)0)->cid)];
	char ifname[sizeof(((struct endpoint *)0)->ifname)];
	struct endpoint *ep, *next;
	bool deleted;
	int err;

	for (ep = w->d->endpoints; ep; ep = next) {
		next = ep->next;
		if (gc_other_network(req, ep)) {
			if (req->kept)
				req->kept(req->ctx, ep->host_ifname);
			continue;
		}
		if (gc_listed(req, ep->cid, ep->ifname))
			continue;
		/* endpoint_del frees ep: its names are needed after. */
		memcpy(cid, ep->cid, sizeof(cid));
		memcpy(ifname, ep->ifname, sizeof(ifname));
		err = endpoint_del(w->d, cid, ifname, &deleted, NULL, w->e);
		if (err)
			return err;
		gc_removed(w, cid, ifname);
	}
	return 0;
}

/* ipam_foreach() lets us release the allocation we are given. */
static void gc_allocation(const char *cid, const char *ifname, uint32_t addr, void *arg)
{
	struct gc_walk *w = arg;
	bool released;
	int err;

	(void)addr;
	if (w->err || gc_other_network(w->req, endpoint_find(w->d, cid, ifname)) ||
	    gc_listed(w->req, cid, ifname))
		return;
	err = ipam_release(w->d->ipam, cid, ifname, &released);
	if (err) {
		w->err = err;
		api_err_set(w->e, -err, strerror(-err), "release an address");
		return;
	}
	gc_removed(w, cid, ifname);
}

int gc_run(struct weftd *d, const struct gc_request *req, struct weft_api_error *e)
{
	struct gc_walk w = {.d = d, .req = req, .e = e};
	int err;

	err = gc_endpoints(&w);
	if (err)
		return err;
	/* Allocations whose endpoint never came (an ADD cut short). */
	ipam_foreach(d->ipam, gc_allocation, &w);
	if (w.err)
		return w.err;
	/* What no endpoint owns at all (an ADD cut short by a crash). */
	reconcile_orphans(d);
	if (w.nr_removed)
		pr_info("gc: removed %zu endpoints/allocations", w.nr_removed);
	return 0;
}
