// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "weftd.h"

json_t *weftd_req(const char *op, const struct cni_env *env)
{
	return json_pack("{s:s, s:s, s:s}", "op", op, "containerID", env->container_id, "ifname",
			 env->ifname);
}

int weftd_call(const char *socket, json_t *req, json_t **reply, struct weft_api_error *ae)
{
	int ret;

	*reply = NULL;
	if (!req) {
		ae->err = ENOMEM;
		snprintf(ae->msg, sizeof(ae->msg), "cannot build request");
		ae->details[0] = '\0';
		return -ENOMEM;
	}
	ret = api_call(socket, req, CNI_WEFTD_TIMEOUT_MS, reply, ae);
	json_decref(req);
	return ret;
}

int weftd_fail(struct cni_error *err, const char *socket, const char *op, int ret,
	       const struct weft_api_error *ae)
{
	if (api_unreachable(ret))
		return cni_fail(err, CNI_ERR_TRY_AGAIN, ret, "weftd is not reachable",
				"%s: %s at %s", op, strerror(-ret), socket);
	/* Something other than weftd's socket at its path: not "unreachable"
	 * (nothing to retry or to finish later), an error naming the path. */
	if (ret == -ELOOP || ret == -ENOTSOCK)
		return cni_fail(err, CNI_ERR_WEFTD, ret, ae->msg, "%s: %s", op, socket);
	/* weftd not ready yet (waiting for the cluster's first lists), or its
	 * datapath waiting for an upgrade: the runtime should retry. */
	if (ret == -EREMOTEIO && ae->err == EAGAIN)
		return cni_fail(err, CNI_ERR_TRY_AGAIN, -EAGAIN, ae->msg[0] ? ae->msg : "try again",
				"%s: %s", op, ae->details[0] ? ae->details : "try again later");
	if (ret == -EREMOTEIO && ae->err == ENOSPC &&
	    strncmp(ae->msg, WEFT_API_MSG_STATE_FULL, strlen(WEFT_API_MSG_STATE_FULL)))
		return cni_fail(err, CNI_ERR_POOL_EXHAUSTED, -ENOSPC, "address pool exhausted",
				"%s: %s%s%s", op, ae->msg, ae->details[0] ? ": " : "", ae->details);
	if (ret == -EREMOTEIO)
		return cni_fail(err, CNI_ERR_WEFTD, -ae->err, ae->msg[0] ? ae->msg : "weftd error",
				"%s: %s", op, ae->details[0] ? ae->details : strerror(ae->err));
	return cni_fail(err, CNI_ERR_WEFTD, ret, "weftd request failed", "%s: %s", op,
			ae->msg[0] ? ae->msg : strerror(-ret));
}
