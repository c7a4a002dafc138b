/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTP/1.1 server for /metrics, /healthz and /readyz: GET (and HEAD)
 * only, one request per connection, the answer whole in memory. It never
 * blocks weftd's loop: sockets are non-blocking, its own epoll set is one fd
 * the loop watches, and a connection that does not finish its request in
 * HTTP_DEADLINE_MS is closed. At most HTTP_MAX_CONNS at once; more wait in
 * the listen backlog.
 */
#ifndef WEFTD_METRICS_HTTP_H
#define WEFTD_METRICS_HTTP_H

#include <stddef.h>

#define HTTP_MAX_CONNS	 16
#define HTTP_DEADLINE_MS 5000
#define HTTP_MAX_REQUEST 8192

struct http_server;

struct http_reply {
	int status;		  /* 200, 404, 503, ... */
	const char *content_type; /* static */
	char *body;		  /* malloc'ed, taken by the server; may be NULL */
	size_t len;
};

/* Fill @r for GET @path (without the query). 0, or -errno for a 500. */
typedef int (*http_handler_fn)(void *ctx, const char *path, struct http_reply *r);

/* Listen on @addr, "IPV4:PORT" or "[IPV6]:PORT". 0 or -errno (logged). */
int http_open(struct http_server **out, const char *addr, http_handler_fn fn, void *ctx);
/* The fd to watch for readability; then call http_run(). */
int http_fd(const struct http_server *h);
/* Accept, read, answer and write whatever is ready, without blocking. */
void http_run(struct http_server *h);
/* Close the connections past their deadline (from the loop's tick). */
void http_expire(struct http_server *h);
void http_close(struct http_server *h);
/* @addr as http_open() takes it into @ss and @len: 0, or -EINVAL. */
int http_addr_parse(const char *addr, void *ss /* struct sockaddr_storage */, unsigned int *len);

#endif
