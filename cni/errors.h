// SPDX-License-Identifier: Apache-2.0
/*
 * The CNI error a command ends with. Functions return 0 or -errno; the first
 * one that fails fills a struct cni_error, so the error printed on stdout is
 * the root cause and not whatever a rollback step hit afterwards.
 */
#ifndef WEFT_CNI_ERRORS_H
#define WEFT_CNI_ERRORS_H

#include <jansson.h>

/* CNI spec error codes (1-99 reserved by the spec, 100+ plugin specific). */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_WEFTD = 100,
	CNI_ERR_POOL_EXHAUSTED = 101,
	CNI_ERR_CHECK_MISMATCH = 102,
};

struct cni_error {
	int code; /* 0 while nothing failed */
	char msg[256];
	char details[512];
};

/*
 * Record a failure (only the first one sticks) and log it once.
 * Returns @ret so callers can write `return cni_fail(...)`; @ret must be a
 * negative errno.
 */
int cni_fail(struct cni_error *e, int code, int ret, const char *msg, const char *details_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* {"cniVersion", "code", "msg", "details"}; a new reference. */
json_t *cni_error_json(const struct cni_error *e, const char *version);

#endif
