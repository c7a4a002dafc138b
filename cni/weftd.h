// SPDX-License-Identifier: Apache-2.0
/* Talking to weftd from the plugin: requests and the mapping of its errors to CNI codes. */
#ifndef WEFT_CNI_WEFTD_H
#define WEFT_CNI_WEFTD_H

#include <jansson.h>

#include "api.h"
#include "env.h"
#include "errors.h"

/* Per request; an ADD makes a handful, well inside the runtime's own timeout. */
#define CNI_WEFTD_TIMEOUT_MS 10000

/* {"op": @op, "containerID": ..., "ifname": ...}; a new reference or NULL. */
json_t *weftd_req(const char *op, const struct cni_env *env);

/*
 * api_call() with the plugin's timeout. Takes ownership of @req. Returns 0
 * with *reply set, or api_call()'s -errno with @ae filled; nothing is logged,
 * so the caller decides whether the failure matters.
 */
int weftd_call(const char *socket, json_t *req, json_t **reply, struct weft_api_error *ae);

/*
 * Record a failed weftd_call() as a CNI error: unreachable -> 11,
 * ENOSPC -> 101, anything else -> 100 with weftd's msg. Returns @ret.
 */
int weftd_fail(struct cni_error *err, const char *socket, const char *op, int ret,
	       const struct weft_api_error *ae);

#endif
