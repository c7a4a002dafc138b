// SPDX-License-Identifier: Apache-2.0
/* The network configuration on stdin: parse, apply defaults, validate. */
#ifndef WEFT_CNI_CONFIG_H
#define WEFT_CNI_CONFIG_H

#include <jansson.h>

#include "errors.h"
#include "log.h"

#define CNI_MTU_MIN 68
#define CNI_MTU_MAX 65535

struct cni_conf {
	json_t *raw;	      /* owned; every pointer below borrows from it */
	char cni_version[32]; /* copied: the error reply needs it after a failed parse */
	const char *name;
	const char *type;
	const char *socket; /* weftd's socket, WEFT_DEFAULT_SOCKET when absent */
	int mtu;	    /* 0: take weftd's */
	json_t *ipam;	    /* NULL: addresses come from weftd */
	const char *ipam_type;
	const char *log_file;
	enum weft_log_level log_level;
	int log_level_set;
	json_t *prev_result;
	json_t *runtime_config;
	json_t *valid_attachments; /* GC: array of {containerID, ifname} */
};

/*
 * Parse @buf (@len bytes, need not be NUL terminated) into @conf.
 * Returns 0 or -errno with @err filled: code 7 for a bad or missing field
 * (details names it), code 1 for a cniVersion we do not speak.
 */
int cni_conf_parse(const char *buf, size_t len, struct cni_conf *conf, struct cni_error *err);
void cni_conf_free(struct cni_conf *conf);

#endif
