// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "env.h"
#include "names.h"

static const struct {
	const char *name;
	enum cni_cmd cmd;
} cmd_names[] = {
	{"ADD", CNI_CMD_ADD},	    {"DEL", CNI_CMD_DEL}, {"CHECK", CNI_CMD_CHECK},
	{"STATUS", CNI_CMD_STATUS}, {"GC", CNI_CMD_GC},	  {"VERSION", CNI_CMD_VERSION},
};

static int bad_env(struct cni_error *err, const char *var, const char *why)
{
	return cni_fail(err, CNI_ERR_INVALID_ENV, -EINVAL, "invalid environment", "%s: %s", var,
			why);
}

enum cni_cmd cni_cmd_parse(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(cmd_names); i++)
		if (!strcmp(s, cmd_names[i].name))
			return cmd_names[i].cmd;
	return CNI_CMD_UNKNOWN;
}

int cni_env_command(struct cni_env *env, struct cni_error *err)
{
	memset(env, 0, sizeof(*env));
	env->command = getenv("CNI_COMMAND");
	if (!env->command || !*env->command)
		return bad_env(err, "CNI_COMMAND", "missing");
	env->cmd = cni_cmd_parse(env->command);
	if (env->cmd == CNI_CMD_UNKNOWN)
		return bad_env(err, "CNI_COMMAND",
			       "must be one of ADD, DEL, CHECK, STATUS, GC, VERSION");
	return 0;
}

int cni_valid_container_id(const char *id)
{
	return weft_valid_name(id, WEFT_CONTAINER_ID_MAX) ? 0 : -EINVAL;
}

int cni_valid_ifname(const char *ifname)
{
	return weft_valid_ifname(ifname) ? 0 : -EINVAL;
}

static void copy_value(char *dst, size_t size, const char *v, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

int cni_args_parse(const char *args, struct cni_k8s *k8s, struct cni_error *err)
{
	const char *p = args;

	memset(k8s, 0, sizeof(*k8s));
	while (p && *p) {
		const char *end = strchrnul(p, ';'), *eq = memchr(p, '=', (size_t)(end - p));
		size_t klen;

		if (end == p) { /* tolerate ";;" and a trailing ';' */
			p++;
			continue;
		}
		if (!eq)
			return cni_fail(err, CNI_ERR_INVALID_ENV, -EINVAL, "invalid environment",
					"CNI_ARGS: \"%.*s\" is not KEY=VALUE", (int)(end - p), p);
		klen = (size_t)(eq - p);
		eq++;
#define ARG_IS(k) (klen == strlen(k) && !strncmp(p, k, klen))
		if (ARG_IS("K8S_POD_NAMESPACE"))
			copy_value(k8s->namespace, sizeof(k8s->namespace), eq, (size_t)(end - eq));
		else if (ARG_IS("K8S_POD_NAME"))
			copy_value(k8s->name, sizeof(k8s->name), eq, (size_t)(end - eq));
		else if (ARG_IS("K8S_POD_UID"))
			copy_value(k8s->uid, sizeof(k8s->uid), eq, (size_t)(end - eq));
#undef ARG_IS
		p = *end ? end + 1 : end;
	}
	return 0;
}

int cni_env_load(struct cni_env *env, unsigned int need, struct cni_error *err)
{
	env->container_id = getenv("CNI_CONTAINERID");
	env->netns = getenv("CNI_NETNS");
	env->ifname = getenv("CNI_IFNAME");
	env->path = getenv("CNI_PATH");
	env->args = getenv("CNI_ARGS");
	if (!env->netns)
		env->netns = "";

	if (need & CNI_NEED_CONTAINER) {
		if (!env->container_id || !*env->container_id)
			return bad_env(err, "CNI_CONTAINERID", "missing");
		if (cni_valid_container_id(env->container_id))
			return bad_env(
				err, "CNI_CONTAINERID",
				"must be 1-255 characters of [A-Za-z0-9_.-], starting alphanumeric");
		if (!env->ifname || !*env->ifname)
			return bad_env(err, "CNI_IFNAME", "missing");
		if (cni_valid_ifname(env->ifname))
			return bad_env(
				err, "CNI_IFNAME",
				"must be 1-15 characters, not \".\" or \"..\", without '/', ':' or white space");
	}
	if ((need & CNI_NEED_NETNS) && !*env->netns)
		return bad_env(err, "CNI_NETNS", "missing");
	if ((need & CNI_NEED_PATH) && (!env->path || !*env->path))
		return bad_env(err, "CNI_PATH", "missing (needed to find the IPAM plugin)");
	return cni_args_parse(env->args, &env->k8s, err);
}
