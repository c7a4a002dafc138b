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

#include "fdio.h"
#include "json_why.h"
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
	char dir[PATH_MAX], name[64], tmp[96], *text;
	int dfd, fd = -1, err;
	json_t *obj;

	err = pending_dir(socket, dir, sizeof(dir));
	if (err)
		return err;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Root writes here: a symlink planted in its place is refused (ELOOP),
	 * and so is one at the record's own name (rename replaces the link,
	 * never its target). */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		struct stat st;

		/* O_DIRECTORY wins over O_NOFOLLOW's ELOOP: say what it is. */
		if (errno == ENOTDIR && !lstat(dir, &st) && S_ISLNK(st.st_mode))
			return -ELOOP;
		return -errno;
	}
	obj = json_pack("{s:s, s:s, s:s, s:i}", "containerID", p->cid, "ifname", p->ifname,
			"hostIfname", p->host_ifname, "hostIfindex", p->host_ifindex);
	text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text) {
		err = -ENOMEM;
		goto close_dir;
	}
	snprintf(name, sizeof(name), "%s.json", p->host_ifname);
	snprintf(tmp, sizeof(tmp), ".tmp.%s.%d", p->host_ifname, (int)getpid());
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto free_text;
	}
	err = write_fd_all(fd, text, strlen(text));
	if (err)
		goto unlink_tmp;
	/* weftd must find it after a crash of the node's runtime too. */
	if (fsync(fd) < 0 || close(fd) < 0) {
		err = -errno;
		fd = -1;
		goto unlink_tmp;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) < 0) {
		err = -errno;
		goto unlink_tmp;
	}
	goto free_text;
unlink_tmp:
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
free_text:
	free(text);
close_dir:
	close(dfd);
	return err;
}

int pending_parse(const char *text, struct pending_del *p, char *why, size_t sz)
{
	json_t *obj, *cid, *ifname, *host, *ifindex;
	int err = -EINVAL;

	memset(p, 0, sizeof(*p));
	obj = json_why_load(text, strlen(text), why, sz);
	if (!obj)
		return -EINVAL;
	if (json_why_field(obj, "containerID", JSON_STRING, &cid, why, sz) ||
	    json_why_field(obj, "ifname", JSON_STRING, &ifname, why, sz) ||
	    json_why_field(obj, "hostIfname", JSON_STRING, &host, why, sz) ||
	    json_why_field(obj, "hostIfindex", JSON_INTEGER, &ifindex, why, sz))
		goto put_obj;
	if (!json_string_length(cid) || json_string_length(cid) >= sizeof(p->cid))
		json_why_set(why, sz, "field 'containerID' is empty or too long");
	else if (!json_string_length(ifname) || json_string_length(ifname) >= sizeof(p->ifname))
		json_why_set(why, sz, "field 'ifname' is empty or too long");
	else if (!json_string_length(host) || json_string_length(host) >= sizeof(p->host_ifname))
		json_why_set(why, sz, "field 'hostIfname' is empty or too long");
	else if (json_integer_value(ifindex) < 0 || json_integer_value(ifindex) > INT32_MAX)
		json_why_set(why, sz, "field 'hostIfindex' is out of range");
	else
		err = 0;
	if (err)
		goto put_obj;
	strcpy(p->cid, json_string_value(cid));
	strcpy(p->ifname, json_string_value(ifname));
	strcpy(p->host_ifname, json_string_value(host));
	p->host_ifindex = (int)json_integer_value(ifindex);
put_obj:
	json_decref(obj);
	return err;
}
