/* SPDX-License-Identifier: Apache-2.0 */
/* weftctl's flags and its one way to ask weftd, shared by its commands. */
#ifndef WEFTCTL_CTL_H
#define WEFTCTL_CTL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

enum { OUTPUT_TABLE, OUTPUT_JSON };

#define CTL_TIMEOUT_MS 10000

/* The flags, filled from main.c's ctl_flags[]. */
struct ctl {
	char socket[108];	/* sizeof(sockaddr_un.sun_path) */
	char bpf_dir[PATH_MAX]; /* upgrade --bpf-dir; "": weftd's own */
	int output;		/* OUTPUT_* */
	const char *arg;	/* the command's argument, for those that take one */
	bool brief;		/* status without the map walk (ready) */
	/* flows */
	int last;      /* the newest N (0: all weftd keeps) */
	bool follow;   /* then poll for new ones until interrupted */
	char pod[512]; /* namespace/name */
	char ns[256];
	int verdict; /* FLOWS_VERDICT_* */
	char reason[64];
	int port; /* flows: 0 any; explain: the destination port */
	/* explain */
	char from[512], to[512]; /* namespace/name or an IPv4 address */
	char proto[8];		 /* tcp, udp, icmp */
};

enum { FLOWS_VERDICT_ANY, FLOWS_VERDICT_FORWARDED, FLOWS_VERDICT_DROPPED };

/* Send @req (op @op, consumed) to weftd: 0 and *@reply, or 1 after saying
 * why on stderr. */
int ctl_request(const struct ctl *ctl, const char *op, json_t *req, int timeout_ms, json_t **reply);

#endif
