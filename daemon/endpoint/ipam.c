// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/endpoint/ipam.h"
#include "addr.h"
#include "log.h"
#include "daemon/endpoint/state.h"
#include "daemon/api/validate.h"
#include "json_why.h"

/* Round-robin position: a hint, lost harmlessly in a crash. */
#define IPAM_LAST_FILE "last_reserved"

struct ipam {
	int dirfd;
	char dir[PATH_MAX]; /* for the logs */
	uint32_t net;	    /* host order */
	int prefix;
	uint32_t size; /* addresses in the range, network and broadcast included */
	uint32_t last; /* offset of the last address handed out */
	unsigned int count;
	char **owner; /* [offset] = "containerID ifname" or NULL */
};

int ipam_parse_cidr(const char *cidr, uint32_t *net, int *prefix)
{
	struct weft_prefix p;

	/* Host bits set ("10.244.1.7/24") is almost surely a typo: refused too. */
	if (weft_prefix_parse(cidr, &p) || p.addr.family != AF_INET)
		return -EINVAL;
	*net = ntohl(weft_addr_ipv4(&p.addr));
	*prefix = p.len;
	return 0;
}

/* @host_addr's file name, its text form. */
static void addr_name(uint32_t host_addr, char *buf, size_t sz)
{
	struct weft_addr a = weft_addr_from_ipv4(htonl(host_addr));

	weft_addr_format(&a, buf, sz);
}

/* The host-order IPv4 address @s names, or -EINVAL. */
static int addr_parse4(const char *s, uint32_t *host_addr)
{
	struct weft_addr a;

	if (weft_addr_parse(s, &a) || a.family != AF_INET)
		return -EINVAL;
	*host_addr = ntohl(weft_addr_ipv4(&a));
	return 0;
}

static void owner_key(char *buf, size_t sz, const char *cid, const char *ifname)
{
	snprintf(buf, sz, "%s %s", cid, ifname);
}

/* Offset of the pair's address, or -ENOENT. A linear scan: a node range is at
 * most IPAM_MIN_PREFIX wide and calls are rare next to the BPF load. */
static long find_owner(struct ipam *ipam, const char *key)
{
	for (uint32_t i = 1; i + 1 < ipam->size; i++) {
		if (ipam->owner[i] && !strcmp(ipam->owner[i], key))
			return (long)i;
	}
	return -ENOENT;
}

int ipam_record_parse(const char *text, char *key, size_t sz, char *why, size_t whysz)
{
	char cid[256], ifname[16];
	size_t len = strlen(text);
	int n = 0;

	if (!len)
		return json_why_set(why, whysz, "empty");
	if (text[len - 1] != '\n')
		return json_why_set(why, whysz, "truncated: no newline at the end");
	/* Exactly "containerID ifname\n", nothing more. */
	if (sscanf(text, "%255s %15s%n", cid, ifname, &n) != 2 || strcmp(text + n, "\n"))
		return json_why_set(why, whysz, "not \"containerID ifname\" on one line");
	if (!valid_container_id(cid))
		return json_why_set(why, whysz, "containerID '%.64s' is not valid", cid);
	if (!valid_ifname(ifname))
		return json_why_set(why, whysz, "ifname '%s' is not valid", ifname);
	owner_key(key, sz, cid, ifname);
	return 0;
}

/* One address file: "containerID ifname\n". A file that cannot be an
 * allocation is moved aside; endpoint records re-reserve their addresses
 * after the load (ipam_reserve()), so no address in use is handed out again. */
static int load_one(struct ipam *ipam, const char *name)
{
	char *buf = NULL, key[IPAM_OWNER_MAX], why[STATE_WHY_MAX], other[INET_ADDRSTRLEN];
	uint32_t addr, off;
	long dup;
	int err;

	if (addr_parse4(name, &addr)) {
		snprintf(why, sizeof(why), "the name is not an IPv4 address");
		goto bad;
	}
	off = addr - ipam->net;
	if (addr < ipam->net || off == 0 || off >= ipam->size - 1) {
		snprintf(why, sizeof(why), "outside the usable range of the pod CIDR");
		goto bad;
	}
	err = state_read(ipam->dirfd, name, &buf, NULL);
	if (state_read_bad(err, why, sizeof(why)))
		goto bad;
	if (err) {
		pr_warn("ipam: cannot read %s/%s: %s", ipam->dir, name, strerror(-err));
		return err;
	}
	if (ipam_record_parse(buf, key, sizeof(key), why, sizeof(why)))
		goto bad;
	dup = find_owner(ipam, key);
	if (dup >= 0) {
		addr_name(ipam->net + (uint32_t)dup, other, sizeof(other));
		snprintf(why, sizeof(why), "%s already holds %s", key, other);
		goto bad;
	}
	ipam->owner[off] = strdup(key);
	free(buf);
	if (!ipam->owner[off])
		return -ENOMEM;
	ipam->count++;
	return 0;
bad:
	free(buf);
	state_quarantine(ipam->dirfd, ipam->dir, name, why);
	return 0;
}

static int load_dir(struct ipam *ipam)
{
	struct dirent *de;
	DIR *dir;
	int err = 0;

	dir = state_dir_stream(ipam->dirfd);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (state_is_tmp(de->d_name)) {
			/* A write that never reached its rename: nothing owns it. */
			pr_info("ipam: removing leftover %s/%s", ipam->dir, de->d_name);
			unlinkat(ipam->dirfd, de->d_name, 0);
			continue;
		}
		if (de->d_name[0] == '.' || !strcmp(de->d_name, STATE_QUARANTINE_DIR))
			continue;
		if (!strcmp(de->d_name, IPAM_LAST_FILE))
			continue;
		err = load_one(ipam, de->d_name);
		if (err)
			break;
	}
	closedir(dir);
	return err;
}

/* Only a hint, but a bad one is still moved aside and said so. */
static void load_last(struct ipam *ipam)
{
	char *buf = NULL, why[STATE_WHY_MAX];
	uint32_t addr;
	size_t len;
	int err;

	err = state_read(ipam->dirfd, IPAM_LAST_FILE, &buf, &len);
	if (state_read_bad(err, why, sizeof(why)))
		goto bad;
	if (err)
		return;
	if (!len || buf[len - 1] != '\n') {
		snprintf(why, sizeof(why), len ? "truncated: no newline at the end" : "empty");
		goto bad;
	}
	buf[len - 1] = '\0';
	if (addr_parse4(buf, &addr) || addr <= ipam->net || addr - ipam->net >= ipam->size - 1) {
		snprintf(why, sizeof(why), "'%.40s' is not an address of the pod CIDR", buf);
		goto bad;
	}
	ipam->last = addr - ipam->net;
	free(buf);
	return;
bad:
	free(buf);
	state_quarantine(ipam->dirfd, ipam->dir, IPAM_LAST_FILE, why);
}

int ipam_open(struct ipam **out, const char *dir, const char *cidr)
{
	struct ipam *ipam;
	int err;

	ipam = calloc(1, sizeof(*ipam));
	if (!ipam)
		return -ENOMEM;
	ipam->dirfd = -1;
	err = ipam_parse_cidr(cidr, &ipam->net, &ipam->prefix);
	if (err) {
		pr_warn("ipam: pod CIDR '%s' is not an IPv4 network a.b.c.d/len", cidr);
		goto free_ipam;
	}
	if (ipam->prefix < IPAM_MIN_PREFIX || ipam->prefix > IPAM_MAX_PREFIX) {
		pr_warn("ipam: pod CIDR %s: prefix length must be %d-%d", cidr, IPAM_MIN_PREFIX,
			IPAM_MAX_PREFIX);
		err = -EINVAL;
		goto free_ipam;
	}
	ipam->size = 1u << (32 - ipam->prefix);
	ipam->owner = calloc(ipam->size, sizeof(*ipam->owner));
	if (!ipam->owner) {
		err = -ENOMEM;
		goto free_ipam;
	}
	err = state_mkdir_p(dir, 0700);
	if (err) {
		pr_warn("ipam: cannot create %s: %s", dir, strerror(-err));
		goto free_ipam;
	}
	snprintf(ipam->dir, sizeof(ipam->dir), "%s", dir);
	ipam->dirfd = state_open_dir(dir);
	if (ipam->dirfd < 0) {
		err = ipam->dirfd;
		pr_warn("ipam: cannot open %s: %s", dir, strerror(-err));
		goto free_ipam;
	}
	err = load_dir(ipam);
	if (err)
		goto free_ipam;
	load_last(ipam);
	pr_debug("ipam: %s loaded, %u allocated", cidr, ipam->count);
	*out = ipam;
	return 0;
free_ipam:
	ipam_close(ipam);
	return err;
}

void ipam_close(struct ipam *ipam)
{
	if (!ipam)
		return;
	if (ipam->owner) {
		for (uint32_t i = 0; i < ipam->size; i++)
			free(ipam->owner[i]);
		free(ipam->owner);
	}
	if (ipam->dirfd >= 0)
		close(ipam->dirfd);
	free(ipam);
}

int ipam_lookup(struct ipam *ipam, const char *cid, const char *ifname, uint32_t *addr)
{
	char key[300];
	long off;

	owner_key(key, sizeof(key), cid, ifname);
	off = find_owner(ipam, key);
	if (off < 0)
		return (int)off;
	*addr = htonl(ipam->net + (uint32_t)off);
	return 0;
}

int ipam_recorded_at(struct ipam *ipam, const char *cid, const char *ifname, struct timespec *at)
{
	char name[INET_ADDRSTRLEN];
	struct stat st;
	uint32_t addr;
	int err;

	err = ipam_lookup(ipam, cid, ifname, &addr);
	if (err)
		return err;
	addr_name(ntohl(addr), name, sizeof(name));
	if (fstatat(ipam->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*at = st.st_mtim;
	return 0;
}

int ipam_allocate(struct ipam *ipam, const char *cid, const char *ifname, uint32_t *addr)
{
	char key[300], name[INET_ADDRSTRLEN], line[300];
	uint32_t hosts = ipam->size - 2, off = 0;
	long found;
	int err, len;

	if (!valid_container_id(cid) || !valid_ifname(ifname))
		return -EINVAL;
	owner_key(key, sizeof(key), cid, ifname);
	found = find_owner(ipam, key);
	if (found >= 0) {
		*addr = htonl(ipam->net + (uint32_t)found);
		return 0;
	}
	/* Usable offsets are 1..size-2; start right after the last one given. */
	for (uint32_t i = 1; i <= hosts; i++) {
		uint32_t cand = (ipam->last + i - 1) % hosts + 1;

		if (!ipam->owner[cand]) {
			off = cand;
			break;
		}
	}
	if (!off)
		return -ENOSPC; /* ipam_exhausted() */
	ipam->owner[off] = strdup(key);
	if (!ipam->owner[off])
		return -ENOMEM;
	addr_name(ipam->net + off, name, sizeof(name));
	len = snprintf(line, sizeof(line), "%s\n", key);
	err = state_write_atomic(ipam->dirfd, name, line, (size_t)len, true);
	if (err) {
		pr_warn("ipam: cannot record %s for %s: %s", name, key, strerror(-err));
		free(ipam->owner[off]);
		ipam->owner[off] = NULL;
		return err;
	}
	ipam->count++;
	ipam->last = off;
	len = snprintf(line, sizeof(line), "%s\n", name);
	if (state_write_atomic(ipam->dirfd, IPAM_LAST_FILE, line, (size_t)len, false))
		pr_debug("ipam: cannot record the round-robin position (harmless)");
	pr_debug("ipam: %s -> %s", key, name);
	*addr = htonl(ipam->net + off);
	return 0;
}

int ipam_reserve(struct ipam *ipam, const char *cid, const char *ifname, uint32_t addr)
{
	char key[IPAM_OWNER_MAX], name[INET_ADDRSTRLEN], line[IPAM_OWNER_MAX + 1];
	uint32_t a = ntohl(addr), off;
	long held;
	int err, len;

	if (a <= ipam->net || a - ipam->net >= ipam->size - 1)
		return -ERANGE;
	off = a - ipam->net;
	owner_key(key, sizeof(key), cid, ifname);
	if (ipam->owner[off])
		return strcmp(ipam->owner[off], key) ? -EEXIST : 0;
	held = find_owner(ipam, key);
	if (held >= 0)
		return -EEXIST;
	ipam->owner[off] = strdup(key);
	if (!ipam->owner[off])
		return -ENOMEM;
	addr_name(a, name, sizeof(name));
	len = snprintf(line, sizeof(line), "%s\n", key);
	err = state_write_atomic(ipam->dirfd, name, line, (size_t)len, true);
	if (err) {
		/* Held in memory all the same: not handed out while weftd runs. */
		pr_warn("ipam: cannot record %s/%s for %s: %s (reserved until weftd stops)",
			ipam->dir, name, key, strerror(-err));
	}
	ipam->count++;
	return 0;
}

int ipam_release(struct ipam *ipam, const char *cid, const char *ifname, bool *released)
{
	char key[300], name[INET_ADDRSTRLEN];
	long off;
	int err;

	*released = false;
	owner_key(key, sizeof(key), cid, ifname);
	off = find_owner(ipam, key);
	if (off < 0)
		return 0;
	addr_name(ipam->net + (uint32_t)off, name, sizeof(name));
	err = state_remove(ipam->dirfd, name);
	if (err) {
		pr_warn("ipam: cannot remove %s of %s: %s", name, key, strerror(-err));
		return err;
	}
	free(ipam->owner[off]);
	ipam->owner[off] = NULL;
	ipam->count--;
	*released = true;
	pr_debug("ipam: released %s of %s", name, key);
	return 0;
}

const char *ipam_owner(struct ipam *ipam, uint32_t addr)
{
	uint32_t a = ntohl(addr);

	if (a < ipam->net || a - ipam->net >= ipam->size)
		return NULL;
	return ipam->owner[a - ipam->net];
}

int ipam_prefix(const struct ipam *ipam)
{
	return ipam->prefix;
}

bool ipam_exhausted(const struct ipam *ipam)
{
	return ipam->count >= ipam->size - 2;
}

unsigned int ipam_count(const struct ipam *ipam)
{
	return ipam->count;
}

void ipam_foreach(struct ipam *ipam, ipam_iter_fn fn, void *ctx)
{
	char cid[256], ifname[16];

	for (uint32_t i = 1; i + 1 < ipam->size; i++) {
		if (!ipam->owner[i])
			continue;
		if (sscanf(ipam->owner[i], "%255s %15s", cid, ifname) != 2)
			continue;
		fn(cid, ifname, htonl(ipam->net + i), ctx);
	}
}
