/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Node-local IPv4 IPAM over --pod-cidr. One file per allocated address under
 * <state-dir>/ipam/ (name = the address, content = "containerID ifname\n"),
 * written atomically, so the store survives crashes and restarts without a
 * journal. Addresses are handed out round-robin after the last one given, so
 * an address freed by DEL is not reused at once (late packets, stale caches).
 */
#ifndef WEFTD_IPAM_H
#define WEFTD_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define IPAM_MIN_PREFIX 16 /* owners are kept in a flat array of 2^(32-prefix) */
#define IPAM_MAX_PREFIX                                                                            \
	30 /* /31 and /32 have no host addresses once the                                          \
	    * network and broadcast addresses are skipped */

struct ipam;

/* Parse "a.b.c.d/len" into a host-order network and prefix. 0 or -EINVAL. */
int ipam_parse_cidr(const char *cidr, uint32_t *net, int *prefix);

/* An address file's content, "containerID ifname\n" and nothing more, into
 * its owner key "containerID ifname" (@sz: IPAM_OWNER_MAX). 0 or -EINVAL
 * with the reason in @why (may be NULL). */
#define IPAM_OWNER_MAX 300
int ipam_record_parse(const char *text, char *key, size_t sz, char *why, size_t whysz);

/* Open (creating if needed) the store in @dir for @cidr and load it. */
int ipam_open(struct ipam **out, const char *dir, const char *cidr);
void ipam_close(struct ipam *ipam);

/* Idempotent: the same pair gets the same address. @addr is network order.
 * -ENOSPC when the range is full. */
int ipam_allocate(struct ipam *ipam, const char *cid, const char *ifname, uint32_t *addr);
/* Record that the pair holds @addr (network order), as an endpoint record
 * says: at start, when the address file was bad or lost. 0 when recorded (or
 * already so; a failed write is logged and the address is still held in
 * memory), -ERANGE outside the range, -EEXIST when another pair holds @addr
 * or the pair holds another address. */
int ipam_reserve(struct ipam *ipam, const char *cid, const char *ifname, uint32_t addr);
/* *released says whether the pair held an address. */
/* When the pair's address was recorded (its file's mtime); -ENOENT when the
 * pair has none. */
int ipam_recorded_at(struct ipam *ipam, const char *cid, const char *ifname, struct timespec *at);
int ipam_release(struct ipam *ipam, const char *cid, const char *ifname, bool *released);
/* The pair's address (network order), or -ENOENT. */
int ipam_lookup(struct ipam *ipam, const char *cid, const char *ifname, uint32_t *addr);
/* Owner "containerID ifname" of @addr (network order), NULL when free or out
 * of range. */
const char *ipam_owner(struct ipam *ipam, uint32_t addr);
int ipam_prefix(const struct ipam *ipam);
/* Every address of the range is held (ipam_allocate()'s -ENOSPC is then the
 * range's, not the disk's). */
bool ipam_exhausted(const struct ipam *ipam);
unsigned int ipam_count(const struct ipam *ipam);

/* Calls @fn for every allocation; @fn may release the one it is given. */
typedef void (*ipam_iter_fn)(const char *cid, const char *ifname, uint32_t addr, void *ctx);
void ipam_foreach(struct ipam *ipam, ipam_iter_fn fn, void *ctx);

#endif
