// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "api.h"
#include "log.h"
#include "daemon/api/server.h"

#define MAX_EVENTS 32

enum conn_state {
	CONN_READING,
	CONN_WRITING,
};

struct conn {
	struct conn *next;
	int fd;
	enum conn_state state;
	long long deadline; /* ms, CLOCK_MONOTONIC */
	char *buf;	    /* request, then reply */
	size_t len, cap, off;
};

struct server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	int epfd;
	server_handler_fn fn;
	void *ctx;
	struct conn *conns;
	server_tick_fn tick;
	void *tick_ctx;
	int tick_ms;
	long long next_tick; /* ms, CLOCK_MONOTONIC */
	/* The other fds the loop serves: the cluster source's, /metrics'. */
	struct watch {
		void (*fn)(void *ctx);
		void *ctx;
	} watches[SERVER_MAX_WATCHES];
	int nr_watches;
};

/* Tags that tell the listening socket and the signalfd from connections and
 * watches (their epoll data points into s->watches). */
static char tag_listen, tag_signal;

static bool is_watch(const struct server *s, const void *p)
{
	return p >= (const void *)s->watches && p < (const void *)(s->watches + s->nr_watches);
}

/* Is someone answering on @path? Decides between "in use" and "stale". */
bool server_in_use(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	bool alive;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	alive = !connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return alive;
}

int server_open(struct server **out, const char *path, server_handler_fn fn, void *ctx)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	struct server *s;
	mode_t old_umask;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		pr_warn("socket path %s is longer than %zu bytes", path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = s->epfd = -1;
	s->fn = fn;
	s->ctx = ctx;
	strcpy(s->path, path);
	strcpy(sun.sun_path, path);

	if (server_in_use(path)) {
		pr_warn("another weftd already serves %s", path);
		err = -EADDRINUSE;
		goto free_server;
	}
	if (unlink(path) == 0)
		pr_info("removed stale socket %s", path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0) {
		err = -errno;
		pr_warn("socket: %s", strerror(-err));
		goto free_server;
	}
	/* The umask makes the file 0600 from its creation: no window where
	 * another user could connect. */
	old_umask = umask(0177);
	err = bind(s->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old_umask);
	if (err) {
		pr_warn("cannot bind %s: %s", path, strerror(-err));
		goto close_lfd;
	}
	if (listen(s->lfd, SOMAXCONN) < 0) {
		err = -errno;
		pr_warn("cannot listen on %s: %s", path, strerror(-err));
		goto unlink_path;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		err = -errno;
		pr_warn("epoll_create1: %s", strerror(-err));
		goto unlink_path;
	}
	ev.data.ptr = &tag_listen;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0) {
		err = -errno;
		pr_warn("epoll_ctl: %s", strerror(-err));
		goto close_epfd;
	}
	*out = s;
	return 0;
close_epfd:
	close(s->epfd);
unlink_path:
	unlink(path);
close_lfd:
	close(s->lfd);
free_server:
	free(s);
	return err;
}

static void conn_close(struct server *s, struct conn *c)
{
	for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	/* close() drops the fd from the epoll set as well. */
	close(c->fd);
	free(c->buf);
	free(c);
}

/* Try to flush the reply; close once it is out or the peer is gone. */
static void conn_write(struct server *s, struct conn *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			pr_debug("client went away before its reply: %s", strerror(errno));
			break;
		}
		c->off += (size_t)n;
	}
	conn_close(s, c);
}

/* Replace the request buffer by @reply + newline and start writing it. */
static void conn_reply(struct server *s, struct conn *c, json_t *reply)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	size_t len;

	json_decref(reply);
	free(c->buf);
	c->buf = NULL;
	if (!text) {
		pr_warn("cannot encode a reply");
		conn_close(s, c);
		return;
	}
	len = strlen(text);
	c->buf = realloc(text, len + 2);
	if (!c->buf) {
		free(text);
		conn_close(s, c);
		return;
	}
	c->buf[len] = '\n';
	c->buf[len + 1] = '\0';
	c->len = len + 1;
	c->off = 0;
	c->state = CONN_WRITING;
	c->deadline = now_ms() + WEFT_API_TIMEOUT_MS;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		pr_warn("epoll_ctl: %s", strerror(errno));
		conn_close(s, c);
		return;
	}
	conn_write(s, c);
}

static void conn_read(struct server *s, struct conn *c)
{
	char *nl, *tmp;
	ssize_t n;

	for (;;) {
		if (c->len + 1 >= c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;

			/* Room for the limit plus its newline, no more. */
			if (cap > WEFT_API_MAX_MSG + 2)
				cap = WEFT_API_MAX_MSG + 2;
			if (c->len + 1 >= cap) {
				conn_reply(s, c,
					   api_error_reply(EMSGSIZE, "request too large",
							   "limit is 256 KiB"));
				return;
			}
			tmp = realloc(c->buf, cap);
			if (!tmp) {
				conn_reply(s, c, api_error_reply(ENOMEM, "out of memory", ""));
				return;
			}
			c->buf = tmp;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			conn_close(s, c);
			return;
		}
		if (n == 0) {
			/* EOF ends a request too (api.h); nothing at all: just go. */
			if (!c->len) {
				conn_close(s, c);
				return;
			}
			break;
		}
		nl = memchr(c->buf + c->len, '\n', (size_t)n);
		c->len += (size_t)n;
		if (nl) {
			c->len = (size_t)(nl - c->buf);
			break;
		}
	}
	if (c->len > WEFT_API_MAX_MSG) {
		conn_reply(s, c,
			   api_error_reply(EMSGSIZE, "request too large", "limit is 256 KiB"));
		return;
	}
	c->buf[c->len] = '\0';
	conn_reply(s, c, s->fn(s->ctx, c->buf, c->len));
}

static void accept_all(struct server *s)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
	struct ucred cred;
	socklen_t len;
	struct conn *c;
	int fd;

	for (;;) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				pr_warn("accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = CONN_READING;
		c->deadline = now_ms() + WEFT_API_TIMEOUT_MS;
		c->next = s->conns;
		s->conns = c;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			pr_warn("epoll_ctl: %s", strerror(errno));
			conn_close(s, c);
			continue;
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
			pr_warn("refusing a client with uid %d (pid %d)", (int)cred.uid,
				(int)cred.pid);
			conn_reply(s, c,
				   api_error_reply(EACCES, "permission denied",
						   "weftd serves uid 0 only"));
		}
	}
}

/* Drop clients past their deadline; returns the epoll timeout until the next. */
static int expire(struct server *s)
{
	long long now = now_ms(), next = -1;
	struct conn *c, *n;

	for (c = s->conns; c; c = n) {
		n = c->next;
		if (c->deadline <= now) {
			pr_debug("dropping a client silent for %d ms", WEFT_API_TIMEOUT_MS);
			conn_close(s, c);
			continue;
		}
		if (next < 0 || c->deadline - now < next)
			next = c->deadline - now;
	}
	return (int)next;
}

void server_set_tick(struct server *s, server_tick_fn fn, void *ctx, int interval_ms)
{
	s->tick = fn;
	s->tick_ctx = ctx;
	s->tick_ms = interval_ms;
	s->next_tick = now_ms() + interval_ms;
}

int server_watch_fd(struct server *s, int fd, void (*fn)(void *ctx), void *ctx)
{
	struct watch *w = &s->watches[s->nr_watches];
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};

	if (s->nr_watches == SERVER_MAX_WATCHES)
		return -ENOSPC;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->fn = fn;
	w->ctx = ctx;
	s->nr_watches++;
	return 0;
}

/* Run the tick when due; returns the epoll timeout until the next one. */
static int tick(struct server *s, int timeout)
{
	long long now;

	if (!s->tick)
		return timeout;
	now = now_ms();
	if (now >= s->next_tick) {
		s->tick(s->tick_ctx);
		s->next_tick = now + s->tick_ms;
	}
	if (timeout < 0 || s->next_tick - now < timeout)
		timeout = (int)(s->next_tick - now);
	return timeout;
}

int server_run(struct server *s, int sigfd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tag_signal};
	struct epoll_event events[MAX_EVENTS];
	struct signalfd_siginfo si;
	int n, err;

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, sigfd, &ev) < 0) {
		err = -errno;
		pr_warn("epoll_ctl: %s", strerror(-err));
		return err;
	}
	pr_info("serving %s", s->path);
	for (;;) {
		n = epoll_wait(s->epfd, events, MAX_EVENTS, tick(s, expire(s)));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			pr_warn("epoll_wait: %s", strerror(-err));
			return err;
		}
		for (int i = 0; i < n; i++) {
			void *p = events[i].data.ptr;
			struct conn *c = p;

			if (p == &tag_signal) {
				if (read(sigfd, &si, sizeof(si)) == sizeof(si))
					pr_info("signal %u: shutting down", si.ssi_signo);
				return 0;
			}
			if (p == &tag_listen) {
				accept_all(s);
				continue;
			}
			if (is_watch(s, p)) {
				const struct watch *w = p;

				w->fn(w->ctx);
				continue;
			}
			/* A connection closed earlier in this batch cannot appear:
			 * each connection has exactly one event per epoll_wait. */
			if (c->state == CONN_WRITING)
				conn_write(s, c);
			else
				conn_read(s, c);
		}
	}
}

void server_close(struct server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s, s->conns);
	close(s->epfd);
	close(s->lfd);
	unlink(s->path);
	free(s);
}
