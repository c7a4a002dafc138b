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
#include "daemon/datapath/conntrack.h"
#include "daemon/datapath/loader.h"
#include "log.h"
#include "daemon/host/netdev.h"
#include "pending.h"
#include "daemon/endpoint/reconcile.h"
#include "daemon/policy/engine.h"
#include "daemon/endpoint/state.h"

/*
 * The flows from or to @n addresses of an endpoint that went. The policy
 * engine removes them with an endpoint it knows (policy_endpoint_del), but
 * at start it is not open yet, and it never knew an unowned weft_endpoints
 * entry: without this, a pod deleted while weftd was down (a pending DEL, a
 * dead veth) or lost half-made left its flows to the next pod given its
 * address, replies passing without a policy check.
 */
static void purge_flows(struct weftd *d, const struct weft_ip_key *ips, int n)
{
	struct ct_gc_stats st;
	int fd, err;

	if (n <= 0)
		return;
	fd = maps_fd(&d->maps, WEFT_MAP_CONNTRACK);
	if (fd < 0)
		return; /* not pinned yet: no flow either */
	err = ct_purge_addrs(fd, ips, n, &st);
	if (err)
		pr_warn("reconcile: cannot remove the conntrack entries of a removed endpoint: %s",
			strerror(-err));
	else if (st.removed)
		pr_info("reconcile: %u conntrack entries of a removed endpoint removed",
			st.removed);
}

/* endpoint_del, and the endpoint's flows when the policy engine is not open
 * (with it, endpoint_del removes them). */
static int del_with_flows(struct weftd *d, const char *cid, const char *ifname, bool *deleted,
			  struct weft_api_error *e)
{
	struct endpoint *ep = endpoint_find(d, cid, ifname);
	struct weft_ip_key ips[EP_MAX_IPS];
	int n = ep ? ep->nr_ips : 0, err;

	if (n > EP_MAX_IPS)
		n = EP_MAX_IPS;
	if (n)
		memcpy(ips, ep->ips, (size_t)n * sizeof(ips[0]));
	err = endpoint_del(d, cid, ifname, deleted, NULL, e);
	if (!err && !d->policy)
		purge_flows(d, ips, n);
	return err;
}

static void del_logged(struct weftd *d, const char *ep_cid, const char *ep_ifname, const char *why)
{
	struct weft_api_error e = {0};
	/* Copies: the names may be the endpoint's own, which endpoint_del frees. */
	char cid[sizeof(((struct endpoint *)0)->cid)];
	char ifname[sizeof(((struct endpoint *)0)->ifname)];
	bool deleted;

	snprintf(cid, sizeof(cid), "%s", ep_cid);
	snprintf(ifname, sizeof(ifname), "%s", ep_ifname);
	if (del_with_flows(d, cid, ifname, &deleted, &e))
		pr_warn("reconcile: %s/%s (%s): %s%s%s", cid, ifname, why, e.msg,
			e.details[0] ? ": " : "", e.details);
	else
		pr_info("reconcile: %s/%s removed (%s)", cid, ifname, why);
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/*
 * 0 when the record is done with (finished, or about an older endpoint).
 * @recorded: when the plugin wrote it. A runtime retries an ADD after the DEL
 * of a failed one, so the pair may be back by the time weftd reads this.
 */
static int finish_pending(struct weftd *d, const struct pending_del *p,
			  const struct timespec *recorded)
{
	struct weft_api_error e = {0};
	struct endpoint *ep = endpoint_find(d, p->cid, p->ifname);
	struct timespec allocated;
	uint8_t mac[6];
	bool deleted;
	int ifindex, err;

	/* The pair was added again after this DEL: that newer endpoint stays.
	 * A record without an ifindex (its veth was already gone) is older than
	 * any endpoint whose veth is alive now. */
	if (ep && (!p->host_ifindex || ep->host_ifindex != p->host_ifindex) &&
	    !netdev_lookup(d->nd, ep->host_ifname, &ifindex, mac) && ifindex == ep->host_ifindex) {
		pr_info("reconcile: pending DEL of %s/%s is older than its endpoint %u, dropped",
			p->cid, p->ifname, ep->id);
		return 0;
	}
	/* Or its ADD is on its way (an address given since, no endpoint yet):
	 * that address is the new ADD's, not this DEL's to release. */
	if (!ep && !ipam_recorded_at(d->ipam, p->cid, p->ifname, &allocated) &&
	    later(&allocated, recorded)) {
		pr_info("reconcile: pending DEL of %s/%s is older than the pair's new address, "
			"dropped",
			p->cid, p->ifname);
		return 0;
	}
	err = del_with_flows(d, p->cid, p->ifname, &deleted, &e);
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
	char dir[PATH_MAX], why[STATE_WHY_MAX], *text;
	struct pending_del p;
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int dfd, err;

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
		text = NULL;
		err = state_read(dfd, de->d_name, &text, NULL);
		if (err == -ENOENT)
			continue;
		if (!state_read_bad(err, why, sizeof(why)) && err)
			snprintf(why, sizeof(why), "cannot read it: %s", strerror(-err));
		else if (!err)
			err = pending_parse(text, &p, why, sizeof(why));
		if (err) {
			/* Read every tick: one that cannot be used must not stay. */
			if (state_quarantine(dfd, dir, de->d_name, why))
				unlinkat(dfd, de->d_name, 0);
		} else if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			continue; /* gone meanwhile */
		} else if (!finish_pending(d, &p, &st.st_mtim)) {
			unlinkat(dfd, de->d_name, 0);
		}
		free(text);
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
		/* No endpoint, no veth known: only the pins go (an ADD that
		 * failed this way deleted its veth, filters and all). */
		if (loader_detach(d->loader, (uint32_t)id, 0))
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
	if (!err)
		purge_flows(d, key, 1);
}

/* Whether the map of id @map_id holds no entry. */
static bool map_empty(uint32_t map_id)
{
	struct weft_policy_key key;
	bool empty;
	int fd;

	fd = bpf_map_get_fd_by_id(map_id);
	if (fd < 0)
		return false;
	empty = bpf_map_get_next_key(fd, NULL, &key) < 0 && errno == ENOENT;
	close(fd);
	return empty;
}

/*
 * A policy map at an id no endpoint has that stays: one the spares' pool
 * holds (daemon/policy/spares.h), or an empty one, a spare the pool adopts
 * (at start, once the policy engine is open: they are kept for it, as many
 * as it takes). Removing a spare would cost a grace period each.
 */
static bool keep_spare(struct weftd *d, enum weft_map which, uint32_t id, uint32_t map_id)
{
	if (which != WEFT_MAP_POLICY_MAPS)
		return false;
	if (policy_spare_holds(d->policy, id))
		return true;
	if (!map_empty(map_id))
		return false;
	if (d->policy) {
		policy_spares_adopt(d->policy, &id, 1);
		return true;
	}
	if (d->nr_spares_found >= SPARES_MAX)
		return false;
	d->spares_found[d->nr_spares_found++] = id;
	return true;
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
		if (bpf_map_lookup_elem(fd, &id, &held_id) < 0 || by_id(d, id) ||
		    keep_spare(d, which, id, held_id))
			continue;
		if (bpf_map_delete_elem(fd, &id) < 0)
			pr_warn("reconcile: cannot clear %s[%u]", name, id);
		else
			pr_info("reconcile: cleared %s[%u] (no endpoint)", name, id);
	}
	close(fd);
}

/* weft_veths entries no endpoint owns: an ADD killed between the entry and
 * its endpoint record, a veth whose DEL weftd never saw, or an entry whose
 * ifindex is no longer its endpoint's. The walk fetches the next key before
 * it deletes. */
static void reconcile_veths(struct weftd *d)
{
	const char *name = maps_defs[WEFT_MAP_VETHS].name;
	int fd = maps_fd(&d->maps, WEFT_MAP_VETHS);
	struct endpoint *ep;
	struct weft_veth v;
	__u32 key, next;
	bool more;

	if (fd < 0 || bpf_map_get_next_key(fd, NULL, &next) < 0)
		return;
	do {
		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		if (bpf_map_lookup_elem(fd, &key, &v) < 0)
			continue;
		ep = by_id(d, v.endpoint_id);
		if (ep && ep->host_ifindex == (int)key)
			continue;
		if (bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT)
			pr_warn("reconcile: cannot remove %s[%u] of endpoint %u: %s", name, key,
				v.endpoint_id, strerror(errno));
		else
			pr_info("reconcile: removed %s[%u] of unowned endpoint %u", name, key,
				v.endpoint_id);
	} while (more);
}

struct ipam_ctx {
	struct weftd *d;
	int dirfd;
	time_t now;
};

/* Whether the pair's endpoint record was moved aside (at this start or an
 * earlier one): its pod may well still use the address, so it stays held
 * until the pair's DEL releases it. */
static bool record_quarantined(struct weftd *d, const char *cid, const char *ifname)
{
	char prefix[300];
	struct dirent *de;
	bool found = false;
	size_t len;
	DIR *dp;
	int fd;

	fd = openat(d->ep_dirfd, STATE_QUARANTINE_DIR,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return false;
	}
	len = (size_t)snprintf(prefix, sizeof(prefix), "%s_%s.json.", cid, ifname);
	while (!found && (de = readdir(dp)))
		found = !strncmp(de->d_name, prefix, len);
	closedir(dp);
	return found;
}

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
	if (c->dirfd >= 0 && !fstatat(c->dirfd, ip, &st, AT_SYMLINK_NOFOLLOW) &&
	    c->now - st.st_mtime < RECONCILE_IPAM_GRACE_S)
		return;
	if (record_quarantined(c->d, cid, ifname)) {
		pr_warn("reconcile: %s of %s/%s kept: the pair's endpoint record was moved aside, "
			"so its pod may still use it (its DEL releases it)",
			ip, cid, ifname);
		return;
	}
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
	reconcile_veths(d);
}

/* The addresses endpoint records name, back into IPAM: its own file may have
 * been bad (moved aside) or lost, and an address a pod uses must never be
 * handed out again. */
static void reserve_endpoint_ips(struct weftd *d)
{
	char ip[WEFT_ADDR_STRLEN];
	const char *owner;
	int err;

	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		for (int i = 0; i < ep->nr_ips; i++) {
			struct weft_addr a = weft_addr_from_ipv4(ep->ips[i].addr[0]);

			if (ep->ips[i].family != WEFT_FAMILY_IPV4)
				continue;
			owner = ipam_owner(d->ipam, ep->ips[i].addr[0]);
			err = ipam_reserve(d->ipam, ep->cid, ep->ifname, ep->ips[i].addr[0]);
			if (err == -ERANGE || (!err && owner))
				continue; /* another IPAM's, or already recorded */
			weft_addr_format(&a, ip, sizeof(ip));
			if (err)
				pr_warn("reconcile: endpoint %u (%s/%s) uses %s, which IPAM holds "
					"for %s: left as it is",
					ep->id, ep->cid, ep->ifname, ip,
					owner ?: "another address of the pair");
			else
				pr_info("reconcile: %s reserved again for endpoint %u (%s/%s), "
					"from its record",
					ip, ep->id, ep->cid, ep->ifname);
		}
	}
}

void reconcile_at_start(struct weftd *d)
{
	struct ipam_ctx c = {.d = d, .now = time(NULL)};
	char path[PATH_MAX];

	reconcile_pending(d);
	reconcile_dead(d);
	reserve_endpoint_ips(d);
	reconcile_orphans(d);
	snprintf(path, sizeof(path), "%s/ipam", d->cfg.state_dir);
	c.dirfd = state_open_dir(path);
	ipam_foreach(d->ipam, ipam_entry, &c);
	if (c.dirfd >= 0)
		close(c.dirfd);
}
