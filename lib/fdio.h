/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_FDIO_H
#define WEFT_FDIO_H

#include <stddef.h>

/*
 * Read @fd to EOF into a fresh NUL-terminated buffer (*out, the caller frees;
 * *len without the NUL). More than @max bytes -> -EMSGSIZE. 0 or -errno.
 */
int read_fd_all(int fd, size_t max, char **out, size_t *len);
/*
 * Room in the growing buffer *@buf (capacity *@cap, @used bytes used) for one
 * more byte and a NUL: the capacity doubles when full, and a NULL buffer with
 * capacity 0 gets its first. -EMSGSIZE once the capacity is past @max, -ENOMEM
 * (*@buf kept: the caller frees it), else 0.
 */
int fd_buf_room(char **buf, size_t *cap, size_t used, size_t max);
/* Write all @len bytes to the blocking @fd, across short writes and EINTR.
 * 0 or -errno. */
int write_fd_all(int fd, const void *buf, size_t len);

#endif
