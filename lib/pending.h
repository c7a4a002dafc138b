/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DELs that weftd has not seen: when weftd is unreachable, the plugin deletes
 * the pod's veth itself and leaves a record here for weftd to finish the rest
 * (its endpoint, pins, map entries, IP). weftd reads the directory at start
 * and on every tick.
 *
 * The directory is <dir of weftd's socket>/pending-del: both sides know the
 * socket, it is root's (weftd makes the socket's directory 0755 and this one
 * 0700; the plugin runs as root like the runtime that calls it), and it sits
 * on /run, so it does not outlive a reboot, which takes the veths with it.
 */
#ifndef WEFT_PENDING_H
#define WEFT_PENDING_H

#include <stddef.h>

#define PENDING_DIR_NAME "pending-del"

struct pending_del {
	char cid[256];
	char ifname[16];
	char host_ifname[16];
	int host_ifindex; /* 0 when the veth was already gone */
};

/* <dirname(@socket)>/pending-del into @buf. 0 or -ENAMETOOLONG. */
int pending_dir(const char *socket, char *buf, size_t sz);
/* Create the directory (0700) if needed and write @p atomically as
 * <host_ifname>.json. 0 or -errno. */
int pending_write(const char *socket, const struct pending_del *p);
/* Parse a record's text. 0 or -EINVAL with the reason in @why (may be
 * NULL). */
int pending_parse(const char *text, struct pending_del *p, char *why, size_t sz);

#endif
