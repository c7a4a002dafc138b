// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>

#include "log.h"
#include "daemon/datapath/loader.h"
#include "daemon/datapath/tc.h"
#include "daemon/datapath/tc_watch.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/endpoint/repair.h"

int repair_open(struct weftd *d)
{
	return tc_watch_open(&d->tc_watch);
}

void repair_close(struct weftd *d)
{
	tc_watch_close(d->tc_watch);
	d->tc_watch = NULL;
}

static void repair_one(struct weftd *d, struct endpoint *ep)
{
	unsigned int repaired = 0;
	int err;

	err = loader_repair(d->loader, ep->id, ep->host_ifindex, &repaired);
	for (int dir = TC_INGRESS; dir <= TC_EGRESS; dir++) {
		if (!(repaired & (1u << dir)))
			continue;
		d->stats.repairs.pod_filters++;
		pr_warn("endpoint %u (%s/%s): its tc %s filter on %s was removed or replaced by "
			"someone else; put back",
			ep->id, ep->cid, ep->ifname, tc_dir_name(dir), ep->host_ifname);
	}
	if (err) {
		d->stats.repairs.failed++;
		pr_warn("endpoint %u (%s/%s): cannot put its programs back on %s: %s", ep->id,
			ep->cid, ep->ifname, ep->host_ifname, strerror(-err));
	}
}

void repair_all(struct weftd *d)
{
	if (!d->loader)
		return;
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next)
		repair_one(d, ep);
}

static void device_changed(int ifindex, void *ctx)
{
	struct weftd *d = ctx;

	if (!ifindex) {
		pr_info("tc watch: changes were lost; checking every endpoint's filters");
		repair_all(d);
		return;
	}
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		if (ep->host_ifindex == ifindex)
			repair_one(d, ep);
	}
}

void repair_run(void *ctx)
{
	struct weftd *d = ctx;
	int err;

	if (!d->loader)
		return;
	err = tc_watch_read(d->tc_watch, device_changed, d);
	if (err)
		pr_warn("tc watch: %s", strerror(-err));
}
