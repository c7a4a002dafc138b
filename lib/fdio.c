// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fdio.h"

/* The first capacity: most messages and files fit. */
#define FD_BUF_FIRST 4096

int fd_buf_room(char **buf, size_t *cap, size_t used, size_t max)
{
	size_t grown;
	char *tmp;

	if (used + 1 < *cap)
		return 0;
	if (*cap > max)
		return -EMSGSIZE;
	grown = *cap ? *cap * 2 : FD_BUF_FIRST;
	tmp = realloc(*buf, grown);
	if (!tmp)
		return -ENOMEM;
	*buf = tmp;
	*cap = grown;
	return 0;
}

int read_fd_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 0, used = 0;
	char *buf = NULL;
	int err;

	for (;;) {
		ssize_t n;

		err = fd_buf_room(&buf, &cap, used, max);
		if (err)
			goto free_buf;
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto free_buf;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;
free_buf:
	free(buf);
	return err;
}

int write_fd_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
