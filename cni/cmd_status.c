// SPDX-License-Identifier: Apache-2.0
/* STATUS: ready for ADDs exactly when weftd answers and says it is ready
 * (with a cluster source: every kind listed once). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "weftd.h"

int cmd_status(struct cni_ctx *ctx, struct cni_error *err)
{
	struct weft_api_error ae;
	json_t *reply;
	char msg[160];
	int ret;

	ret = weftd_call(ctx->conf.socket, json_pack("{s:s, s:b}", "op", "status", "brief", 1),
			 &reply, &ae);
	/* An older weftd has no "ready": it is ready when it answers. */
	if (!ret && json_is_false(json_object_get(reply, "ready"))) {
		ret = cni_fail(err, CNI_ERR_NOT_AVAILABLE, -EAGAIN, "weftd is not ready",
			       "status: waiting for %s",
			       json_string_value(json_object_get(reply, "waitingFor")) ?: "?");
		json_decref(reply);
		return ret;
	}
	json_decref(reply);
	if (ret && api_unreachable(ret)) {
		snprintf(msg, sizeof(msg), "weftd is not reachable at %s", ctx->conf.socket);
		return cni_fail(err, CNI_ERR_NOT_AVAILABLE, ret, msg, "status: %s", strerror(-ret));
	}
	if (ret)
		return cni_fail(err, CNI_ERR_NOT_AVAILABLE, ret, "weftd is not ready",
				"status: %s%s%s", ae.msg, ae.details[0] ? ": " : "", ae.details);
	return 0;
}
