// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "ipam_exec.h"
#include "log.h"

static int find_plugin(const char *cni_path, const char *type, char *out, size_t size)
{
	const char *p = cni_path;

	while (p && *p) {
		const char *end = strchrnul(p, ':');
		int n = snprintf(out, size, "%.*s/%s", (int)(end - p), p, type);

		if (end > p && n > 0 && (size_t)n < size && !access(out, X_OK))
			return 0;
		p = *end ? end + 1 : end;
	}
	return -ENOENT;
}

/* In the child: wire the pipes and exec; never returns. */
static void run_child(const char *path, const char *command, int in_fd, int out_fd)
{
	char *argv[] = {(char *)path, NULL};

	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (setenv("CNI_COMMAND", command, 1))
		_exit(127);
	execv(path, argv);
	_exit(127);
}

/* The plugin failed: surface its own error object when it printed one. */
static int plugin_error(const char *type, const char *command, int status, const char *buf,
			size_t len, struct cni_error *err)
{
	json_t *j = len ? json_loadb(buf, len, 0, NULL) : NULL;
	json_t *code = json_object_get(j, "code");
	const char *msg = json_string_value(json_object_get(j, "msg"));
	const char *details = json_string_value(json_object_get(j, "details"));
	char what[320];
	int ret;

	snprintf(what, sizeof(what), "ipam plugin %s: %s", type, msg ? msg : "failed");
	if (json_is_integer(code))
		ret = cni_fail(err, (int)json_integer_value(code), -EIO, what, "ipam %s: %s",
			       command, details && *details ? details : "(no details)");
	else
		ret = cni_fail(err, CNI_ERR_WEFTD, -EIO, what, "ipam %s: exit status %d", command,
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	json_decref(j);
	return ret;
}

int ipam_exec(const struct cni_env *env, const char *type, const char *command, const char *in,
	      size_t len, json_t **out, struct cni_error *err)
{
	int in_pipe[2], out_pipe[2], status, ret;
	char path[PATH_MAX], *buf = NULL;
	size_t buf_len = 0;
	json_error_t jerr;
	pid_t pid;

	if (out)
		*out = NULL;
	if (find_plugin(env->path, type, path, sizeof(path)))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, -ENOENT, "ipam plugin not found",
				"ipam.type: no executable \"%s\" in CNI_PATH %s", type,
				env->path ? env->path : "");
	if (pipe2(in_pipe, O_CLOEXEC))
		return cni_fail(err, CNI_ERR_WEFTD, -errno, "cannot run the ipam plugin",
				"ipam %s: pipe: %s", command, strerror(errno));
	if (pipe2(out_pipe, O_CLOEXEC)) {
		ret = cni_fail(err, CNI_ERR_WEFTD, -errno, "cannot run the ipam plugin",
			       "ipam %s: pipe: %s", command, strerror(errno));
		goto close_in;
	}
	pid = fork();
	if (pid < 0) {
		ret = cni_fail(err, CNI_ERR_WEFTD, -errno, "cannot run the ipam plugin",
			       "ipam %s: fork: %s", command, strerror(errno));
		goto close_out;
	}
	if (pid == 0)
		run_child(path, command, in_pipe[0], out_pipe[1]);
	close(in_pipe[0]);
	close(out_pipe[1]);
	in_pipe[0] = out_pipe[1] = -1;

	/* Plugins read all of stdin before writing, so no need to interleave. */
	ret = write_fd_all(in_pipe[1], in, len);
	close(in_pipe[1]);
	in_pipe[1] = -1;
	if (ret && ret != -EPIPE)
		pr_warn("ipam %s: writing the config to %s: %s", command, path, strerror(-ret));
	ret = read_fd_all(out_pipe[0], CNI_IPAM_MAX_OUTPUT, &buf, &buf_len);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (ret) {
		ret = cni_fail(err, CNI_ERR_WEFTD, ret, "cannot read the ipam plugin's output",
			       "ipam %s: %s", command, strerror(-ret));
		goto close_out;
	}
	if (status != 0) {
		ret = plugin_error(type, command, status, buf, buf_len, err);
		goto free_buf;
	}
	pr_debug("ipam %s via %s: %s", command, path, buf);
	if (out && buf_len) {
		*out = json_loadb(buf, buf_len, 0, &jerr);
		if (!*out) {
			ret = cni_fail(err, CNI_ERR_WEFTD, -EBADMSG, "malformed ipam plugin output",
				       "ipam %s: %s", command, jerr.text);
			goto free_buf;
		}
	}
	ret = 0;
free_buf:
	free(buf);
close_out:
	if (out_pipe[0] >= 0)
		close(out_pipe[0]);
	if (out_pipe[1] >= 0)
		close(out_pipe[1]);
close_in:
	if (in_pipe[0] >= 0)
		close(in_pipe[0]);
	if (in_pipe[1] >= 0)
		close(in_pipe[1]);
	return ret;
}
