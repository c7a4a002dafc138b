// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
	/* A leftover of an earlier process with our pid, or anything planted
	 * there: gone, so the create below makes a fresh file and follows
	 * nothing. */
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
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
	struct stat st;
	int fd, err;

	/* O_NONBLOCK: a FIFO planted here must not hang the start. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EBADFD;
		goto close_fd;
	}
	err = read_fd_all(fd, STATE_MAX_FILE, out, lenp);
	if (err == -EMSGSIZE)
		err = -EFBIG;
close_fd:
	close(fd);
	return err;
}

bool state_read_bad(int err, char *why, size_t sz)
{
	switch (err) {
	case -ELOOP: snprintf(why, sz, "a symbolic link (not followed)"); return true;
	case -EBADFD: snprintf(why, sz, "not a regular file"); return true;
	case -EFBIG: snprintf(why, sz, "larger than %d bytes", STATE_MAX_FILE); return true;
	default: return false;
	}
}

static atomic_uint quarantined;

unsigned int state_quarantined(void)
{
	return atomic_load(&quarantined);
}

int state_quarantine(int dirfd, const char *dir, const char *name, const char *why)
{
	char dest[NAME_MAX + 1], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int err = 0, n;

	if (mkdirat(dirfd, STATE_QUARANTINE_DIR, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		goto failed;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* Never over an earlier one: each says what went wrong that time. */
	for (int i = 0; i < 1000; i++) {
		if (i)
			n = snprintf(dest, sizeof(dest), STATE_QUARANTINE_DIR "/%.200s.%s.%d", name,
				     stamp, i);
		else
			n = snprintf(dest, sizeof(dest), STATE_QUARANTINE_DIR "/%.200s.%s", name,
				     stamp);
		if (n >= (int)sizeof(dest)) {
			err = -ENAMETOOLONG;
			goto failed;
		}
		if (!renameat2(dirfd, name, dirfd, dest, RENAME_NOREPLACE)) {
			fsync(dirfd);
			atomic_fetch_add(&quarantined, 1);
			pr_warn("bad state file %s/%s: %s; moved to %s/%s", dir, name, why, dir,
				dest);
			return 0;
		}
		if (errno != EEXIST) {
			err = -errno;
			goto failed;
		}
	}
	err = -EEXIST;
failed:
	pr_warn("bad state file %s/%s: %s; cannot move it to %s/%s/: %s", dir, name, why, dir,
		STATE_QUARANTINE_DIR, strerror(-err));
	return err;
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
