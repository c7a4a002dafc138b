// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/endpoint/endpoint.h"
#include "addr.h"
#include "fdio.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/datapath/loader.h"
#include "log.h"
#include "daemon/host/netdev.h"
#include "pending.h"
#include "daemon/endpoint/reconcile.h"
#include "daemon/endpoint/state.h"

static void del_logged(struct weftd *d, const char *ep_cid, const char *ep_ifname, const char *why)
{
	struct weft_api_error e = {0};
	/* Copies: the names may be the endpoint's own, which endpoint_del frees. */
	char cid[sizeof(((struct endpoint *)0)->cid)];
	char ifname[sizeof(((struct endpoint *)0)->ifname)];
	bool deleted;

	snprintf(cid, sizeof(cid), "%s", ep_cid);
	snprintf(ifname, sizeof(ifname), "%s", ep_ifname);
	if (endpoint_del(d, cid, ifname, &deleted, &e))
		pr_warn("reconcile: %s/%s (%s): %s%s%s", cid, ifname, why, e.msg,
			e.details[0] ? ": " : "", e.details);
	else
		pr_info("reconcile: %s/%s removed (%s)", cid, ifname, why);
}

/* 0 when the record is done with (finished, or about an older endpoint). */
static int finish_pending(struct weftd *d, const struct pending_del *p)
{
	struct weft_api_error e = {0};
	struct endpoint *ep = endpoint_find(d, p->cid, p->ifname);
	uint8_t mac[6];
	bool deleted;
	int ifindex, err;

	/* The pair was added again after this DEL: that newer endpoint stays. */
	if (ep && p->host_ifindex && ep->host_ifindex != p->host_ifindex &&
	    !netdev_lookup(d->nd, ep->host_ifname, &ifindex, mac) && ifindex == ep->host_ifindex) {
		pr_info("reconcile: pending DEL of %s/%s is older than its endpoint %u, dropped",
			p->cid, p->ifname, ep->id);
		return 0;
	}
	err = endpoint_del(d, p->cid, p->ifname, &deleted, &e);
	if (err) {
		pr_warn("reconcile: pending DEL of %s/%s: %s%s%s (kept, retried)", p->cid,
			p->ifname, e.msg, e.details[0] ? ": " : "", e.details);
		return err;
	}
	pr_info("reconcile: pending DEL of %s/%s finished", p->cid, p->ifname);
	return 0;
}

void reconcile_pending(struct weftd *d)
{
	struct pending_del p;
	struct dirent *de;
	char dir[PATH_MAX], *text;
	DIR *dp;
	int dfd, fd;

	if (pending_dir(d->cfg.socket_path, dir, sizeof(dir)))
		return;
	dp = opendir(dir);
	if (!dp)
		return; /* nothing was ever recorded */
	dfd = dirfd(dp);
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		text = NULL;
		if (read_fd_all(fd, 4096, &text, NULL) || pending_parse(text, &p)) {
			pr_warn("reconcile: malformed pending DEL %s/%s, removed", dir, de->d_name);
			unlinkat(dfd, de->d_name, 0);
		} else if (!finish_pending(d, &p)) {
			unlinkat(dfd, de->d_name, 0);
		}
		free(text);
		close(fd);
	}
	closedir(dp);
}

/* Endpoints whose host veth is gone: their pod's network went with it. */
static void reconcile_dead(struct weftd *d)
{
	struct endpoint *ep, *next;
	uint8_t mac[6];
	int ifindex, err;

	for (ep = d->endpoints; ep; ep = next) {
		next = ep->next;
		err = netdev_lookup(d->nd, ep->host_ifname, &ifindex, mac);
		if (!err && ifindex == ep->host_ifindex)
			continue;
		if (err && err != -ENODEV) {
			pr_warn("reconcile: endpoint %u: look up %s: %s", ep->id, ep->host_ifname,
				strerror(-err));
			continue;
		}
		del_logged(d, ep->cid, ep->ifname, "its host veth is gone");
	}
}

static struct endpoint *by_id(struct weftd *d, uint32_t id)
{
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		if (ep->id == id)
			return ep;
	}
	return NULL;
}

/* <bpffs>/endpoints/<id> without an endpoint: an ADD cut short by a crash. */
static void reconcile_pins(struct weftd *d)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned long id;
	char *end;
	DIR *dp;

	if (!d->loader)
		return;
	snprintf(path, sizeof(path), "%s/endpoints", d->cfg.bpffs);
	dp = opendir(path);
	if (!dp)
		return;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		id = strtoul(de->d_name, &end, 10);
		if (*end || !id || id >= WEFT_MAX_ENDPOINTS || by_id(d, (uint32_t)id))
			continue;
		if (loader_detach(d->loader, (uint32_t)id))
			pr_warn("reconcile: cannot remove the pins of unowned endpoint %lu", id);
		else
			pr_info("reconcile: removed the pins of unowned endpoint %lu", id);
	}
	closedir(dp);
}

static void map_entry(const struct weft_ip_key *key, uint32_t endpoint_id, void *ctx)
{
	struct weftd *d = ctx;
	int err;

	if (by_id(d, endpoint_id))
		return;
	err = maps_endpoint_delete(&d->maps, key, endpoint_id);
	if (err)
		pr_warn("reconcile: cannot remove a weft_endpoints entry of endpoint %u: %s",
			endpoint_id, strerror(-err));
	else
		pr_info("reconcile: removed a weft_endpoints entry of unowned endpoint %u",
			endpoint_id);
}

/* Slots of ids no endpoint has, in weft_policy_progs and weft_policy_maps:
 * one lookup per id, cheap next to a load. Both hold an id (program or
 * map) in a slot that is in use. */
static void reconcile_slots(struct weftd *d, enum weft_map which)
{
	const char *name = maps_defs[which].name;
	char path[PATH_MAX];
	__u32 held_id;
	int fd;

	maps_pin_path(&d->maps, which, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	for (uint32_t id = 1; id < WEFT_MAX_ENDPOINTS; id++) {
		if (bpf_map_lookup_elem(fd, &id, &held_id) < 0 || by_id(d, id))
			continue;
		if (bpf_map_delete_elem(fd, &id) < 0)
			pr_warn("reconcile: cannot clear %s[%u]", name, id);
		else
			pr_info("reconcile: cleared %s[%u] (no endpoint)", name, id);
	}
	close(fd);
}

struct ipam_ctx {
	struct weftd *d;
	int dirfd;
	time_t now;
};

static void ipam_entry(const char *cid, const char *ifname, uint32_t addr, void *arg)
{
	struct ipam_ctx *c = arg;
	struct weft_addr a = weft_addr_from_ipv4(addr);
	char ip[WEFT_ADDR_STRLEN];
	struct stat st;
	bool released;

	if (endpoint_find(c->d, cid, ifname))
		return;
	weft_addr_format(&a, ip, sizeof(ip));
	if (c->dirfd >= 0 && !fstatat(c->dirfd, ip, &st, 0) &&
	    c->now - st.st_mtime < RECONCILE_IPAM_GRACE_S)
		return;
	if (ipam_release(c->d->ipam, cid, ifname, &released))
		pr_warn("reconcile: cannot release %s of %s/%s", ip, cid, ifname);
	else
		pr_info("reconcile: released %s of %s/%s (no endpoint)", ip, cid, ifname);
}

void reconcile_orphans(struct weftd *d)
{
	int err;

	reconcile_pins(d);
	err = maps_endpoint_foreach(&d->maps, map_entry, d);
	if (err && err != -ENOENT)
		pr_warn("reconcile: cannot walk weft_endpoints: %s", strerror(-err));
	reconcile_slots(d, WEFT_MAP_POLICY_PROGS);
	reconcile_slots(d, WEFT_MAP_POLICY_MAPS);
}

void reconcile_at_start(struct weftd *d)
{
	struct ipam_ctx c = {.d = d, .now = time(NULL)};
	char path[PATH_MAX];

	reconcile_pending(d);
	reconcile_dead(d);
	reconcile_orphans(d);
	snprintf(path, sizeof(path), "%s/ipam", d->cfg.state_dir);
	c.dirfd = state_open_dir(path);
	ipam_foreach(d->ipam, ipam_entry, &c);
	if (c.dirfd >= 0)
		close(c.dirfd);
}
