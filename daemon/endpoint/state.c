// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "daemon/endpoint/state.h"

#define STATE_MAX_FILE (1024 * 1024)

int state_mkdir_p(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	int err;

	if (!len || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST) {
			err = -errno;
			return err;
		}
		*p = saved;
		if (!saved)
			break;
	}
	return 0;
}

int state_open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

bool state_is_tmp(const char *name)
{
	return !strncmp(name, STATE_TMP_PREFIX, strlen(STATE_TMP_PREFIX));
}

int state_write_atomic(int dirfd, const char *name, const void *data, size_t len, bool durable)
{
	char tmp[NAME_MAX + 1];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), STATE_TMP_PREFIX "%s.%d", name, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_fd_all(fd, data, len);
	if (err)
		goto unlink_tmp;
	if (durable && fsync(fd) < 0) {
		err = -errno;
		goto unlink_tmp;
	}
	if (close(fd) < 0) {
		err = -errno;
		fd = -1;
		goto unlink_tmp;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err = -errno;
		goto unlink_tmp;
	}
	/* The rename is only durable once the directory entry is. */
	if (durable && fsync(dirfd) < 0)
		return -errno;
	return 0;
unlink_tmp:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return err;
}

int state_remove(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) < 0) {
		if (errno == ENOENT)
			return 0;
		return -errno;
	}
	if (fsync(dirfd) < 0)
		return -errno;
	return 0;
}

int state_read(int dirfd, const char *name, char **out, size_t *lenp)
{
	int fd, err;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	err = read_fd_all(fd, STATE_MAX_FILE, out, lenp);
	close(fd);
	return err == -EMSGSIZE ? -EFBIG : err;
}

DIR *state_dir_stream(int dirfd)
{
	int fd = dup(dirfd), err;
	DIR *dir;

	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (!dir) {
		err = errno;
		close(fd);
		errno = err;
	}
	return dir;
}
