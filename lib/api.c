// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fdio.h"
#include "api.h"
#include "log.h"

static void set_err(struct weft_api_error *err, int e, const char *msg, const char *details)
{
	if (!err)
		return;
	err->err = e;
	snprintf(err->msg, sizeof(err->msg), "%s", msg ? msg : "");
	snprintf(err->details, sizeof(err->details), "%s", details ? details : "");
}

int api_unreachable(int e)
{
	return e == -ECONNREFUSED || e == -ENOENT || e == -ETIMEDOUT || e == -EPIPE ||
	       e == -ECONNRESET || e == -EAGAIN || e == -ENOTDIR || e == -EACCES;
}

json_t *api_error_reply(int err, const char *msg, const char *details)
{
	return json_pack("{s:b, s:{s:i, s:s, s:s}}", "ok", 0, "error", "errno", err, "msg",
			 msg ? msg : "", "details", details ? details : "");
}

/* Wait until @fd is ready for @events or the deadline passes. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	long long left;
	int ret;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)left);
		if (ret > 0)
			return 0;
		if (ret == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_unix(const char *path, long long deadline)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	/* connect() follows symlinks; weftd's socket is never one, so one in
	 * its place (or any other file) is refused rather than talked to. */
	if (lstat(path, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		if (err != -EINPROGRESS && err != -EAGAIN)
			goto close_fd;
		err = wait_fd(fd, POLLOUT, deadline);
		if (err)
			goto close_fd;
	}
	return fd;
close_fd:
	close(fd);
	return err;
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int err;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			err = wait_fd(fd, POLLOUT, deadline);
			if (err)
				return err;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until newline or EOF into a fresh buffer. */
static int recv_msg(int fd, char **out, long long deadline)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;
	int err;

	for (;;) {
		ssize_t n;

		/* At most WEFT_API_MAX_REPLY bytes of buffer. */
		err = fd_buf_room(&buf, &cap, len, WEFT_API_MAX_REPLY - 1);
		if (err)
			goto free_buf;
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				err = -errno;
				goto free_buf;
			}
			err = wait_fd(fd, POLLIN, deadline);
			if (err)
				goto free_buf;
			continue;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - n, '\n', (size_t)n))
			break;
	}
	if (!len) {
		err = -ECONNRESET;
		goto free_buf;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
free_buf:
	free(buf);
	return err;
}

int api_reply_parse(const char *text, json_t **reply, struct weft_api_error *err)
{
	json_error_t jerr;
	json_t *rep, *e;

	*reply = NULL;
	rep = json_loads(text, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!rep || !json_is_object(rep)) {
		set_err(err, EBADMSG, "malformed reply from weftd",
			rep ? "not an object" : jerr.text);
		json_decref(rep);
		return -EBADMSG;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		e = json_object_get(rep, "error");
		set_err(err, (int)json_integer_value(json_object_get(e, "errno")),
			json_string_value(json_object_get(e, "msg")),
			json_string_value(json_object_get(e, "details")));
		/* A positive errno, as api.h promises callers: a reply without
		 * one, or with 0 or a negative one, is EIO. */
		if (err && err->err <= 0)
			err->err = EIO;
		json_decref(rep);
		return -EREMOTEIO;
	}
	*reply = rep;
	return 0;
}

int api_call(const char *socket_path, json_t *req, int timeout_ms, json_t **reply,
	     struct weft_api_error *err)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	char *out = NULL, *in = NULL;
	const char *op = json_string_value(json_object_get(req, "op"));
	int fd, ret;

	*reply = NULL;
	fd = connect_unix(socket_path, deadline);
	if (fd < 0) {
		ret = fd;
		if (ret == -ELOOP)
			set_err(err, ELOOP, "weftd's socket is a symbolic link, not followed",
				socket_path);
		else if (ret == -ENOTSOCK)
			set_err(err, ENOTSOCK, "weftd's socket path is not a socket", socket_path);
		else
			set_err(err, -ret, "weftd is not reachable", socket_path);
		return ret;
	}
	out = json_dumps(req, JSON_COMPACT);
	if (!out) {
		ret = -ENOMEM;
		set_err(err, ENOMEM, "cannot encode request", op);
		goto close_fd;
	}
	ret = send_all(fd, out, strlen(out), deadline);
	if (!ret)
		ret = send_all(fd, "\n", 1, deadline);
	if (ret) {
		set_err(err, -ret, "cannot send request to weftd", socket_path);
		goto free_out;
	}
	ret = recv_msg(fd, &in, deadline);
	if (ret) {
		set_err(err, -ret, "no reply from weftd", socket_path);
		goto free_out;
	}
	ret = api_reply_parse(in, reply, err);
	free(in);
free_out:
	free(out);
close_fd:
	close(fd);
	return ret;
}

void api_err_set(struct weft_api_error *e, int err, const char *details, const char *fmt, ...)
{
	va_list ap;

	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	snprintf(e->details, sizeof(e->details), "%s", details ? details : "");
}
