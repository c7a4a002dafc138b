// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "daemon/datapath/tc.h"
#include "daemon/datapath/tc_watch.h"

/* Devices one read reports at most before the rest is "check everything". */
#define TC_WATCH_BATCH 64

struct tc_watch {
	int fd;
	char buf[64 * 1024];
};

int tc_watch_open(struct tc_watch **out)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_TC};
	/* A burst of pod starts announces three changes each. */
	int rcvbuf = 4 * 1024 * 1024;
	struct tc_watch *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->fd < 0) {
		err = -errno;
		goto free_watch;
	}
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		pr_debug("tc watch: SO_RCVBUF %d: %s", rcvbuf, strerror(errno));
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto close_socket;
	}
	*out = w;
	return 0;
close_socket:
	close(w->fd);
free_watch:
	free(w);
	pr_warn("tc watch: cannot subscribe to tc changes: %s", strerror(-err));
	return err;
}

void tc_watch_close(struct tc_watch *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w);
}

int tc_watch_fd(const struct tc_watch *w)
{
	return w->fd;
}

/* Whether a change can have touched weft's filter on the device. */
static bool concerns_weft(const struct nlmsghdr *h)
{
	const struct tcmsg *t = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*t)) || t->tcm_ifindex <= 0)
		return false;
	switch (h->nlmsg_type) {
	case RTM_DELQDISC:
		/* Deleting clsact takes both hooks' filters with it. */
		return t->tcm_parent == TC_H_CLSACT;
	case RTM_DELTFILTER:
		/* A whole priority or chain flushed reports no handle. */
		return t->tcm_handle == WEFT_TC_HANDLE || !t->tcm_handle;
	case RTM_NEWTFILTER:
		/* weft's own attaches too: the check finds them in order. */
		return t->tcm_handle == WEFT_TC_HANDLE;
	default: return false;
	}
}

static bool seen(const int *list, int n, int ifindex)
{
	for (int i = 0; i < n; i++) {
		if (list[i] == ifindex)
			return true;
	}
	return false;
}

int tc_watch_read(struct tc_watch *w, void (*changed)(int ifindex, void *ctx), void *ctx)
{
	int devs[TC_WATCH_BATCH], n = 0;
	bool lost = false;
	ssize_t len;

	for (;;) {
		len = recv(w->fd, w->buf, sizeof(w->buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/* The kernel dropped changes for us: nothing tells which. */
			if (errno == ENOBUFS) {
				lost = true;
				continue;
			}
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)w->buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			const struct tcmsg *t = NLMSG_DATA(h);

			if (!concerns_weft(h) || seen(devs, n, t->tcm_ifindex))
				continue;
			if (n == TC_WATCH_BATCH)
				lost = true;
			else
				devs[n++] = t->tcm_ifindex;
		}
	}
	if (lost) {
		changed(0, ctx);
		return 0;
	}
	for (int i = 0; i < n; i++)
		changed(devs[i], ctx);
	return 0;
}
