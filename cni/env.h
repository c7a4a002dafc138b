// SPDX-License-Identifier: Apache-2.0
/* The CNI_* environment: which command, which container, which interface. */
#ifndef WEFT_CNI_ENV_H
#define WEFT_CNI_ENV_H

#include "errors.h"

enum cni_cmd {
	CNI_CMD_UNKNOWN = 0,
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_STATUS,
	CNI_CMD_GC,
	CNI_CMD_VERSION,
};

struct cni_k8s {
	char namespace[254]; /* a DNS-1123 label fits; longer values are cut */
	char name[254];
	char uid[64];
};

struct cni_env {
	enum cni_cmd cmd;
	const char *command; /* as given, for messages */
	const char *container_id;
	const char *netns; /* may be "" for DEL */
	const char *ifname;
	const char *path; /* CNI_PATH, may be NULL */
	const char *args;
	struct cni_k8s k8s;
};

/* What a command needs from the environment on top of CNI_COMMAND. */
enum cni_env_need {
	CNI_NEED_CONTAINER = 1 << 0, /* CNI_CONTAINERID + CNI_IFNAME */
	CNI_NEED_NETNS = 1 << 1,
	CNI_NEED_PATH = 1 << 2,
};

enum cni_cmd cni_cmd_parse(const char *s);
/* Read CNI_COMMAND only. Returns 0 or -EINVAL with code 4 in @err. */
int cni_env_command(struct cni_env *env, struct cni_error *err);
/* Read and validate the rest of the environment for @need. Code 4 naming the variable. */
int cni_env_load(struct cni_env *env, unsigned int need, struct cni_error *err);

/* Validators shared with GC's valid-attachments: 0 or -EINVAL. */
int cni_valid_container_id(const char *id);
int cni_valid_ifname(const char *ifname);
/* "K=V;K=V": fills @k8s from K8S_POD_*; -EINVAL and code 4 on a pair without '='. */
int cni_args_parse(const char *args, struct cni_k8s *k8s, struct cni_error *err);

#endif
