// SPDX-License-Identifier: Apache-2.0
/* STATUS: ready for ADDs exactly when weftd answers. */
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

	ret = weftd_call(ctx->conf.socket, json_pack("{s:s}", "op", "status"), &reply, &ae);
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
