// SPDX-License-Identifier: Apache-2.0
/* A delegated IPAM plugin, run the way a runtime runs a plugin (CNI spec, "Delegation"). */
#ifndef WEFT_CNI_IPAM_EXEC_H
#define WEFT_CNI_IPAM_EXEC_H

#include <jansson.h>
#include <stddef.h>

#include "env.h"
#include "errors.h"

/* Largest output we accept from a plugin. */
#define CNI_IPAM_MAX_OUTPUT (1024 * 1024)

/*
 * Find @type in CNI_PATH and run it with our environment but CNI_COMMAND=@command,
 * @in (@len bytes) on stdin. On success *out (if @out) holds its parsed stdout, or
 * NULL when it printed nothing. A non-zero exit becomes a CNI error carrying the
 * plugin's own code and msg. Returns 0 or -errno.
 */
int ipam_exec(const struct cni_env *env, const char *type, const char *command, const char *in,
	      size_t len, json_t **out, struct cni_error *err);

#endif
