// SPDX-License-Identifier: Apache-2.0
/* Network namespace handles: open and check a CNI_NETNS, step in and out. */
#ifndef WEFT_CNI_NETNS_H
#define WEFT_CNI_NETNS_H

/* Open @path read-only and make sure it is a network namespace. 0/-errno; *fd set. */
int netns_open(const char *path, int *fd);
/* The namespace this process is in now (to come back to). */
int netns_open_current(int *fd);
/* 1 when both descriptors name the same namespace, 0 when not, -errno on error. */
int netns_same(int a, int b);
/* setns(@fd, CLONE_NEWNET). 0/-errno. */
int netns_enter(int fd);
/* Run @fn(@arg) inside the namespace @nsfd and come back. Returns @fn's result,
 * or -errno when entering or leaving failed. */
int netns_run(int nsfd, int (*fn)(void *arg), void *arg);

#endif
