/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_FDIO_H
#define WEFT_FDIO_H

#include <stddef.h>

/*
 * Read @fd to EOF into a fresh NUL-terminated buffer (*out, the caller frees;
 * *len without the NUL). More than @max bytes -> -EMSGSIZE. 0 or -errno.
 */
int read_fd_all(int fd, size_t max, char **out, size_t *len);
/* Write all @len bytes to the blocking @fd, across short writes and EINTR.
 * 0 or -errno. */
int write_fd_all(int fd, const void *buf, size_t len);

#endif
