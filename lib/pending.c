// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pending.h"

int pending_dir(const char *socket, char *buf, size_t sz)
{
	const char *slash = strrchr(socket, '/');
	int n;

	if (!slash)
		n = snprintf(buf, sz, "%s", PENDING_DIR_NAME);
	else if (slash == socket)
		n = snprintf(buf, sz, "/%s", PENDING_DIR_NAME);
	else
		n = snprintf(buf, sz, "%.*s/%s", (int)(slash - socket), socket, PENDING_DIR_NAME);
	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

int pending_write(const char *socket, const struct pending_del *p)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 64], *text;
	json_t *obj;
	size_t len, off = 0;
	ssize_t n;
	int fd, err;

	err = pending_dir(socket, dir, sizeof(dir));
	if (err)
		return err;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	obj = json_pack("{s:s, s:s, s:s, s:i}", "containerID", p->cid, "ifname", p->ifname,
			"hostIfname", p->host_ifname, "hostIfindex", p->host_ifindex);
	text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	snprintf(path, sizeof(path), "%s/%s.json", dir, p->host_ifname);
	snprintf(tmp, sizeof(tmp), "%s/.tmp.%s.%d", dir, p->host_ifname, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto free_text;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto unlink_tmp;
		}
		off += (size_t)n;
	}
	/* weftd must find it after a crash of the node's runtime too. */
	if (fsync(fd) < 0 || close(fd) < 0) {
		err = -errno;
		fd = -1;
		goto unlink_tmp;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err = -errno;
		goto unlink_tmp;
	}
	free(text);
	return 0;
unlink_tmp:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
free_text:
	free(text);
	return err;
}

int pending_parse(const char *text, struct pending_del *p)
{
	const char *cid, *ifname, *host;
	json_int_t ifindex;
	json_t *obj;
	int err = -EINVAL;

	memset(p, 0, sizeof(*p));
	obj = json_loads(text, 0, NULL);
	if (!obj)
		return -EINVAL;
	if (!json_unpack(obj, "{s:s, s:s, s:s, s:I}", "containerID", &cid, "ifname", &ifname,
			 "hostIfname", &host, "hostIfindex", &ifindex) &&
	    strlen(cid) < sizeof(p->cid) && strlen(ifname) < sizeof(p->ifname) &&
	    strlen(host) < sizeof(p->host_ifname) && ifindex >= 0 && ifindex <= INT32_MAX) {
		strcpy(p->cid, cid);
		strcpy(p->ifname, ifname);
		strcpy(p->host_ifname, host);
		p->host_ifindex = (int)ifindex;
		err = 0;
	}
	json_decref(obj);
	return err;
}
