/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes as the network hands them over, in two shapes: a whole response body
 * (a list page), and a watch stream, which the API server writes as one JSON
 * object per line. Chunks cut lines anywhere (mid-object, mid-UTF-8), and a
 * connection can end in the middle of one: only complete lines are handed on,
 * and what is left when a stream ends is a cut event, never half an object.
 */
#ifndef WEFTD_K8S_LINES_H
#define WEFTD_K8S_LINES_H

#include <stddef.h>

struct k8s_buf {
	char *p; /* NUL-terminated once anything was appended */
	size_t len, cap;
	size_t max; /* appending past it is -EMSGSIZE */
};

/* Append @n bytes (keeping a NUL after them). 0, -EMSGSIZE past b->max, -ENOMEM. */
int k8s_buf_append(struct k8s_buf *b, const void *data, size_t n);
/* Forget the content, keep the memory for the next response. */
void k8s_buf_reset(struct k8s_buf *b);
void k8s_buf_free(struct k8s_buf *b);

struct k8s_lines {
	struct k8s_buf buf;
	size_t scanned; /* bytes of buf already known to hold no newline */
};

/* @max_line: the longest line accepted (an object of that size is refused). */
void k8s_lines_init(struct k8s_lines *l, size_t max_line);

typedef int (*k8s_line_fn)(void *ctx, char *line, size_t len);

/*
 * Feed @n bytes of a stream. Every complete line (without its newline, NUL-
 * terminated in place; blank lines skipped) goes to @fn, in order. The first
 * non-zero return of @fn stops the feed and is returned; the lines after it
 * stay buffered. -EMSGSIZE when a line outgrows the limit, -ENOMEM.
 */
int k8s_lines_feed(struct k8s_lines *l, const char *data, size_t n, k8s_line_fn fn, void *ctx);
/* Bytes of an incomplete line held: non-zero when a stream ends cut. */
size_t k8s_lines_pending(const struct k8s_lines *l);
/* Drop everything buffered: a new connection starts on a line boundary. */
void k8s_lines_reset(struct k8s_lines *l);
void k8s_lines_free(struct k8s_lines *l);

#endif
