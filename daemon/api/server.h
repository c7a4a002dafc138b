/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The unix-socket server: one epoll loop, non-blocking sockets, one request
 * and one reply per connection (docs/api.md). A slow or hostile client can
 * only waste its own connection: reads and writes never block, and every
 * connection has a deadline.
 */
#ifndef WEFTD_SERVER_H
#define WEFTD_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct server;

/* Turns one request (without its newline) into a reply (owned by the server). */
typedef json_t *(*server_handler_fn)(void *ctx, const char *buf, size_t len);

/* Periodic work run from the loop between requests. */
typedef void (*server_tick_fn)(void *ctx);

/* True when a process answers on @path: checked before weftd touches anything. */
bool server_in_use(const char *path);
/* Bind @path (mode 0600). -EADDRINUSE when another process serves it; a stale
 * socket file is replaced. */
int server_open(struct server **out, const char *path, server_handler_fn fn, void *ctx);
/* Call @fn about every @interval_ms from server_run(). */
void server_set_tick(struct server *s, server_tick_fn fn, void *ctx, int interval_ms);
/* Call @fn from server_run() whenever @fd is readable (the cluster source's
 * fd, the flow events' ring buffer, the metrics server's). 0, -ENOSPC past SERVER_MAX_WATCHES, or -errno. */
#define SERVER_MAX_WATCHES 8
int server_watch_fd(struct server *s, int fd, void (*fn)(void *ctx), void *ctx);
/* Serve until @sigfd (a signalfd) is readable. 0 or -errno. */
int server_run(struct server *s, int sigfd);
/* Close every connection and the socket, and remove the socket file. */
void server_close(struct server *s);

#endif
