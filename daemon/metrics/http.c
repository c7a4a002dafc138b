// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "daemon/metrics/http.h"
#include "log.h"

struct http_conn {
	int fd; /* -1: slot free */
	unsigned long long deadline_ns;
	char req[HTTP_MAX_REQUEST];
	size_t req_len;
	char *out; /* head and body, once answered */
	size_t out_len, out_off;
};

struct http_server {
	int listen_fd;
	int epfd;
	bool listening; /* listen_fd in the epoll set: not while every slot is taken */
	http_handler_fn fn;
	void *ctx;
	struct http_conn conns[HTTP_MAX_CONNS];
};

int http_addr_parse(const char *addr, void *ssp, unsigned int *len)
{
	struct sockaddr_storage *ss = ssp;
	char host[64];
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;
	bool v6 = addr[0] == '[';
	size_t hl;

	if (!colon || colon == addr)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - addr);
	if (v6) {
		if (hl < 3 || addr[hl - 1] != ']')
			return -EINVAL;
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	}
	return 0;
}

int http_open(struct http_server **out, const char *addr, http_handler_fn fn, void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct sockaddr_storage ss;
	struct http_server *h;
	unsigned int len;
	int one = 1, err;

	if (http_addr_parse(addr, &ss, &len)) {
		pr_warn("metrics: %s is not IPV4:PORT or [IPV6]:PORT", addr);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->ctx = ctx;
	for (int i = 0; i < HTTP_MAX_CONNS; i++)
		h->conns[i].fd = -1;
	h->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->listen_fd < 0) {
		err = -errno;
		goto free_server;
	}
	setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->listen_fd, (struct sockaddr *)&ss, len) || listen(h->listen_fd, 64)) {
		err = -errno;
		pr_warn("metrics: cannot listen on %s: %s", addr, strerror(-err));
		goto close_listen;
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		err = -errno;
		goto close_listen;
	}
	ev.data.ptr = h;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->listen_fd, &ev)) {
		err = -errno;
		goto close_epoll;
	}
	h->listening = true;
	*out = h;
	return 0;

close_epoll:
	close(h->epfd);
close_listen:
	close(h->listen_fd);
free_server:
	free(h);
	return err;
}

int http_fd(const struct http_server *h)
{
	return h->epfd;
}

/*
 * The listening socket leaves the epoll set while every slot is taken:
 * level-triggered, it would otherwise wake weftd's loop without end.
 */
static void listen_pause(struct http_server *h, bool pause)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};

	if (pause == !h->listening)
		return;
	if (!epoll_ctl(h->epfd, pause ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, h->listen_fd, &ev))
		h->listening = !pause;
}

static void conn_close(struct http_server *h, struct http_conn *c)
{
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->req_len = c->out_len = c->out_off = 0;
	listen_pause(h, false);
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Head and body into c->out; a HEAD request gets the head alone. */
static int conn_answer(struct http_conn *c, struct http_reply *r, bool head_only)
{
	char head[256];
	int hl;

	hl = snprintf(head, sizeof(head),
		      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n\r\n",
		      r->status, status_text(r->status),
		      r->content_type ? r->content_type : "text/plain; charset=utf-8", r->len);
	c->out = malloc((size_t)hl + (head_only ? 0 : r->len));
	if (!c->out)
		return -ENOMEM;
	memcpy(c->out, head, (size_t)hl);
	if (!head_only && r->len)
		memcpy(c->out + hl, r->body, r->len);
	c->out_len = (size_t)hl + (head_only ? 0 : r->len);
	return 0;
}

static void reply_text(struct http_reply *r, int status, const char *text)
{
	r->status = status;
	r->content_type = "text/plain; charset=utf-8";
	r->body = strdup(text);
	r->len = r->body ? strlen(r->body) : 0;
}

/* The request line is all this server reads: "GET /path?query HTTP/1.x". */
static void conn_handle(struct http_server *h, struct http_conn *c)
{
	struct http_reply r = {0};
	char method[8], target[512];
	bool head_only = false;
	char *q;

	c->req[c->req_len] = '\0';
	if (sscanf(c->req, "%7s %511s HTTP/1.%*c", method, target) != 2 || target[0] != '/') {
		reply_text(&r, 400, "bad request\n");
	} else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		reply_text(&r, 405, "only GET and HEAD\n");
	} else {
		head_only = !strcmp(method, "HEAD");
		q = strchr(target, '?');
		if (q)
			*q = '\0';
		if (h->fn(h->ctx, target, &r)) {
			free(r.body);
			memset(&r, 0, sizeof(r));
			reply_text(&r, 500, "internal error, see weftd's log\n");
		}
	}
	if (conn_answer(c, &r, head_only))
		conn_close(h, c);
	free(r.body);
}

static void conn_write(struct http_server *h, struct http_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};

			epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	conn_close(h, c);
}

static void conn_read(struct http_server *h, struct http_conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len,
				 MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(h, c);
			return;
		}
		c->req_len += (size_t)n;
		c->req[c->req_len] = '\0';
		/* The whole head is in, or as much as this server will ever read. */
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") ||
		    c->req_len == sizeof(c->req) - 1)
			break;
	}
	conn_handle(h, c);
	if (c->fd >= 0)
		conn_write(h, c);
}

static void accept_all(struct http_server *h)
{
	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct http_conn *c = NULL;
		int fd;

		for (int i = 0; i < HTTP_MAX_CONNS && !c; i++)
			if (h->conns[i].fd < 0)
				c = &h->conns[i];
		/* Full: the rest wait in the backlog until a slot frees. */
		if (!c) {
			listen_pause(h, true);
			return;
		}
		fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		c->fd = fd;
		c->deadline_ns = now_ns() + (unsigned long long)HTTP_DEADLINE_MS * 1000000ULL;
		ev.data.ptr = c;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			c->fd = -1;
		}
	}
}

void http_run(struct http_server *h)
{
	struct epoll_event evs[HTTP_MAX_CONNS + 1];
	int n = epoll_wait(h->epfd, evs, HTTP_MAX_CONNS + 1, 0);

	for (int i = 0; i < n; i++) {
		struct http_conn *c = evs[i].data.ptr;

		if (evs[i].data.ptr == h) {
			accept_all(h);
		} else if (c->fd >= 0) {
			if (c->out)
				conn_write(h, c);
			else
				conn_read(h, c);
		}
	}
}

void http_expire(struct http_server *h)
{
	unsigned long long now = now_ns();

	for (int i = 0; i < HTTP_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0 && now > h->conns[i].deadline_ns)
			conn_close(h, &h->conns[i]);
}

void http_close(struct http_server *h)
{
	if (!h)
		return;
	for (int i = 0; i < HTTP_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0)
			conn_close(h, &h->conns[i]);
	close(h->epfd);
	close(h->listen_fd);
	free(h);
}
