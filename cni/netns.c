// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

int netns_open(const char *path, int *fd)
{
	int f, type, ret;

	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	/* A plain file would make setns() fail much later, after side effects. */
	type = ioctl(f, NS_GET_NSTYPE);
	if (type < 0) {
		ret = -errno;
		goto close_f;
	}
	if (type != CLONE_NEWNET) {
		ret = -EINVAL;
		goto close_f;
	}
	*fd = f;
	return 0;
close_f:
	close(f);
	return ret == -ENOTTY ? -EINVAL : ret;
}

int netns_open_current(int *fd)
{
	int f = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (f < 0)
		return -errno;
	*fd = f;
	return 0;
}

int netns_same(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return -errno;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int netns_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		return -errno;
	return 0;
}

int netns_run(int nsfd, int (*fn)(void *arg), void *arg)
{
	int home = -1, ret, back;

	ret = netns_open_current(&home);
	if (ret)
		return ret;
	ret = netns_enter(nsfd);
	if (ret)
		goto close_home;
	ret = fn(arg);
	back = netns_enter(home);
	if (back) {
		pr_warn("cannot return to the node namespace: %s", strerror(-back));
		ret = back;
	}
close_home:
	close(home);
	return ret;
}
