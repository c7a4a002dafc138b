/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CNI GC's walk (the gc operation): remove every endpoint and IPAM
 * allocation not in the runtime's list of valid attachments, then what no
 * endpoint owns at all. The API handler only parses the request and builds
 * the reply; this is the part that changes the node.
 */
#ifndef WEFTD_GC_H
#define WEFTD_GC_H

#include <stddef.h>

#include "api.h"
#include "daemon/weftd.h"

/* One attachment the runtime still uses. */
struct gc_pair {
	const char *cid;
	const char *ifname;
};

struct gc_request {
	/* The CNI network collecting: another network's endpoints are left to
	 * its own GC. NULL: every endpoint is in scope (an older plugin). */
	const char *network;
	const struct gc_pair *valid;
	size_t nr_valid;
	/* Told each endpoint or allocation removed, and each host veth left
	 * alone because another network owns it; either may be NULL. */
	void (*removed)(void *ctx, const char *cid, const char *ifname);
	void (*kept)(void *ctx, const char *host_ifname);
	void *ctx;
};

/* 0, or -errno with @e saying what failed; what was removed until then
 * stays removed (a retried GC goes on from there). */
int gc_run(struct weftd *d, const struct gc_request *req, struct weft_api_error *e);

#endif
