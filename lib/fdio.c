// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fdio.h"

int fd_buf_room(char **buf, size_t *cap, size_t used, size_t max)
{
	char *tmp;

	if (used + 1 < *cap)
		return 0;
	if (*cap > max)
		return -EMSGSIZE;
	tmp = realloc(*buf, *cap * 2);
	if (!tmp)
		return -ENOMEM;
	*buf = tmp;
	*cap *= 2;
	return 0;
}

int read_fd_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	int err;

	if (!buf)
		return -ENOMEM;
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
