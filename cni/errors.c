// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "errors.h"
#include "log.h"

int cni_fail(struct cni_error *e, int code, int ret, const char *msg, const char *details_fmt, ...)
{
	char details[sizeof(e->details)];
	va_list ap;

	va_start(ap, details_fmt);
	vsnprintf(details, sizeof(details), details_fmt, ap);
	va_end(ap);
	pr_warn("%s: %s (code %d)", msg, details, code);
	/* Keep the root cause: rollback failures only get logged. */
	if (e && !e->code) {
		e->code = code;
		snprintf(e->msg, sizeof(e->msg), "%s", msg);
		snprintf(e->details, sizeof(e->details), "%s", details);
	}
	return ret < 0 ? ret : -EINVAL;
}

json_t *cni_error_json(const struct cni_error *e, const char *version)
{
	json_t *j = json_pack("{s:s, s:i, s:s}", "cniVersion", version, "code",
			      e->code ? e->code : CNI_ERR_WEFTD, "msg",
			      e->msg[0] ? e->msg : "internal error");

	if (j && e->details[0])
		json_object_set_new(j, "details", json_string(e->details));
	return j;
}
