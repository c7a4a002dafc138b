// SPDX-License-Identifier: Apache-2.0
/*
 * weft: the CNI plugin. main() only dispatches: read the command and the
 * config, validate both, run the command, and print its result or its error
 * on stdout. Nothing else in the plugin writes to stdout or picks exit codes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "fdio.h"
#include "steps.h"
#include "cmd.h"
#include "version.h"

/* A config with a long prevResult chain is still far below this. */
#define CNI_MAX_STDIN (4 * 1024 * 1024)

static const struct {
	enum cni_cmd cmd;
	int (*run)(struct cni_ctx *ctx, struct cni_error *err);
	unsigned int need;   /* environment on top of CNI_COMMAND */
	int ipam_needs_path; /* the delegated plugin is run for this command */
} commands[] = {
	{CNI_CMD_ADD, cmd_add, CNI_NEED_CONTAINER | CNI_NEED_NETNS, 1},
	{CNI_CMD_DEL, cmd_del, CNI_NEED_CONTAINER, 1},
	{CNI_CMD_CHECK, cmd_check, CNI_NEED_CONTAINER | CNI_NEED_NETNS, 1},
	{CNI_CMD_STATUS, cmd_status, 0, 0},
	{CNI_CMD_GC, cmd_gc, 0, 1},
};

static void print_json(json_t *j)
{
	if (j) {
		json_dumpf(j, stdout, JSON_INDENT(4));
		fputc('\n', stdout);
	}
	fflush(stdout);
}

/* VERSION answers even for a version we do not speak, so the caller can pick one. */
static int do_version(const char *buf, size_t len)
{
	json_t *in = len ? json_loadb(buf, len, 0, NULL) : NULL;
	json_t *out = cni_version_json(json_string_value(json_object_get(in, "cniVersion")));

	print_json(out);
	json_decref(out);
	json_decref(in);
	return out ? 0 : 1;
}

static void setup_logging(const struct cni_conf *conf)
{
	int ret;

	/* Without a log file only warnings reach stderr, which runtimes may show. */
	if (conf->log_level_set)
		log_set_level(conf->log_level);
	else
		log_set_level(conf->log_file ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	if (conf->log_file) {
		ret = log_set_file(conf->log_file);
		if (ret)
			pr_warn("logFile %s: %s; logging to stderr", conf->log_file,
				ret == -ELOOP ? "a symbolic link, not followed" : strerror(-ret));
	}
}

int main(void)
{
	struct cni_error err = {0};
	struct cni_ctx ctx = {0};
	const char *version = CNI_VERSION_LATEST;
	unsigned int need;
	size_t len = 0, i;
	char *buf = NULL;
	json_t *j;
	int ret;

	ctx.start_us = now_us();
	/* A delegated plugin that exits early must not kill us while we write its stdin. */
	signal(SIGPIPE, SIG_IGN);
	log_set_prefix("weft");
	log_set_level(LOG_LEVEL_WARN);

	ret = cni_env_command(&ctx.env, &err);
	if (ret)
		goto print_error;
	ret = read_fd_all(STDIN_FILENO, CNI_MAX_STDIN, &buf, &len);
	if (ret) {
		cni_fail(&err, CNI_ERR_IO, ret, "cannot read the configuration", "stdin: %s",
			 strerror(-ret));
		goto print_error;
	}
	if (ctx.env.cmd == CNI_CMD_VERSION) {
		ret = do_version(buf, len);
		free(buf);
		return ret;
	}
	ret = cni_conf_parse(buf, len, &ctx.conf, &err);
	if (cni_version_supported(ctx.conf.cni_version))
		version = ctx.conf.cni_version;
	if (ret)
		goto print_error;
	setup_logging(&ctx.conf);
	ctx.stdin_buf = buf;
	ctx.stdin_len = len;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].cmd == ctx.env.cmd)
			break;
	if (i == ARRAY_SIZE(commands)) {
		cni_fail(&err, CNI_ERR_INVALID_ENV, -EINVAL, "invalid environment",
			 "CNI_COMMAND: %s is not implemented", ctx.env.command);
		goto print_error;
	}
	need = commands[i].need;
	if (ctx.conf.ipam && commands[i].ipam_needs_path)
		need |= CNI_NEED_PATH;
	ret = cni_env_load(&ctx.env, need, &err);
	if (ret)
		goto print_error;
	pr_debug("%s %s/%s netns %s", ctx.env.command, ctx.env.container_id ?: "-",
		 ctx.env.ifname ?: "-", ctx.env.netns);
	ret = commands[i].run(&ctx, &err);
	if (ret)
		goto print_error;
	print_json(ctx.result);
	json_decref(ctx.result);
	cni_conf_free(&ctx.conf);
	free(buf);
	return 0;

print_error:
	j = cni_error_json(&err, version);
	print_json(j);
	json_decref(j);
	json_decref(ctx.result);
	cni_conf_free(&ctx.conf);
	free(buf);
	return 1;
}
