// SPDX-License-Identifier: Apache-2.0
/* What every command gets from main(), and the commands themselves. */
#ifndef WEFT_CNI_CMD_H
#define WEFT_CNI_CMD_H

#include <jansson.h>
#include <stddef.h>

#include "bpf/datapath.h"
#include "config.h"
#include "env.h"
#include "errors.h"

/* Addresses one attachment may carry (dual-stack leaves room). */
#define CNI_MAX_POD_IPS 8

struct cni_ctx {
	struct cni_env env;
	struct cni_conf conf;
	const char *stdin_buf; /* the config as received, for a delegated IPAM plugin */
	size_t stdin_len;
	json_t *result;	    /* set by a command that prints something on success */
	long long start_us; /* when the plugin started (now_us()), for the step timings */
};

/* Each returns 0 or -errno with @err filled by the step that failed. */
int cmd_add(struct cni_ctx *ctx, struct cni_error *err);
int cmd_del(struct cni_ctx *ctx, struct cni_error *err);
int cmd_check(struct cni_ctx *ctx, struct cni_error *err);
int cmd_status(struct cni_ctx *ctx, struct cni_error *err);
int cmd_gc(struct cni_ctx *ctx, struct cni_error *err);

#endif
