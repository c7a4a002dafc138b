// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/k8s/lines.h"

int k8s_buf_append(struct k8s_buf *b, const void *data, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->len + n > b->max)
		return -EMSGSIZE;
	if (b->len + n + 1 > b->cap) {
		/* Doubling: a multi-megabyte list page costs a few reallocs. */
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

void k8s_buf_reset(struct k8s_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void k8s_buf_free(struct k8s_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void k8s_lines_init(struct k8s_lines *l, size_t max_line)
{
	memset(l, 0, sizeof(*l));
	l->buf.max = max_line;
}

/* Hand on every complete line, then move what is left to the front. */
static int drain(struct k8s_lines *l, k8s_line_fn fn, void *ctx)
{
	struct k8s_buf *b = &l->buf;
	size_t start = 0;
	char *nl;
	int ret = 0;

	while ((nl = memchr(b->p + l->scanned, '\n', b->len - l->scanned))) {
		size_t end = (size_t)(nl - b->p);

		*nl = '\0';
		l->scanned = end + 1;
		if (end > start)
			ret = fn(ctx, b->p + start, end - start);
		start = end + 1;
		if (ret)
			break;
	}
	if (!ret)
		l->scanned = b->len;
	memmove(b->p, b->p + start, b->len - start);
	b->len -= start;
	l->scanned -= start;
	b->p[b->len] = '\0';
	return ret;
}

int k8s_lines_feed(struct k8s_lines *l, const char *data, size_t n, k8s_line_fn fn, void *ctx)
{
	size_t max = l->buf.max;
	int ret;

	/* The limit is on what stays buffered (an incomplete line): memory stays
	 * within one line plus one chunk. */
	l->buf.max = max + n;
	ret = k8s_buf_append(&l->buf, data, n);
	l->buf.max = max;
	if (ret)
		return ret;
	ret = drain(l, fn, ctx);
	if (!ret && l->buf.len > max)
		return -EMSGSIZE;
	return ret;
}

size_t k8s_lines_pending(const struct k8s_lines *l)
{
	return l->buf.len;
}

void k8s_lines_reset(struct k8s_lines *l)
{
	k8s_buf_reset(&l->buf);
	l->scanned = 0;
}

void k8s_lines_free(struct k8s_lines *l)
{
	k8s_buf_free(&l->buf);
	l->scanned = 0;
}
