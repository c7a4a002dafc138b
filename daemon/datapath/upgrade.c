// SPDX-License-Identifier: Apache-2.0
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/endpoint/endpoint.h"
#include "daemon/datapath/loader.h"
#include "log.h"
#include "daemon/datapath/maps.h"
#include "daemon/datapath/migrate.h"
#include "daemon/overlay/overlay.h"
#include "daemon/overlay/overlay_prog.h"
#include "daemon/endpoint/state.h"
#include "daemon/datapath/upgrade.h"
#include "json_why.h"

#define RECORD_FILE    "datapath.json"
#define RECORD_VERSION 1

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int upgrade_record_parse(const char *text, char *hash, size_t hashsz, struct maps_layout *layout,
			 char *why, size_t whysz)
{
	json_t *obj, *h, *layouts = NULL, *v;
	int err;

	obj = json_why_load(text, strlen(text), why, whysz);
	if (!obj)
		return -EINVAL;
	/* Every version wrote objectHash (possibly ""); layouts came later. */
	err = json_why_field(obj, "objectHash", JSON_STRING, &h, why, whysz);
	if (!err && json_object_get(obj, "layouts"))
		err = json_why_field(obj, "layouts", JSON_OBJECT, &layouts, why, whysz);
	if (err)
		goto put_obj;
	snprintf(hash, hashsz, "%s", json_string_value(h));
	for (int i = 0; layouts && i < WEFT_MAP_NR; i++) {
		v = json_object_get(layouts, maps_defs[i].name);
		/* A version the loader could have read: 1..UINT32_MAX (2^32 would
		 * wrap to 0, no layout at all). */
		if (json_is_integer(v) && json_integer_value(v) > 0 &&
		    json_integer_value(v) <= UINT32_MAX)
			layout->v[i] = (uint32_t)json_integer_value(v);
	}
put_obj:
	json_decref(obj);
	return err;
}

int upgrade_record_load(struct weftd *d)
{
	char why[STATE_WHY_MAX], *text = NULL;
	struct maps_layout layout;
	int fd, err;

	fd = state_open_dir(d->cfg.state_dir);
	if (fd < 0)
		return fd;
	err = state_read(fd, RECORD_FILE, &text, NULL);
	if (err == -ENOENT)
		goto close_fd;
	if (state_read_bad(err, why, sizeof(why)))
		goto bad;
	if (err) {
		pr_warn("cannot read %s/%s: %s", d->cfg.state_dir, RECORD_FILE, strerror(-err));
		goto close_fd;
	}
	layout = d->maps.layout;
	err = upgrade_record_parse(text, d->running_hash, sizeof(d->running_hash), &layout, why,
				   sizeof(why));
	if (err)
		goto bad;
	maps_set_layout(&d->maps, &layout);
	goto close_fd;
bad:
	/* As if there were none: the start-up upgrade loads the programs
	 * anew and writes a fresh record. */
	err = 0;
	d->running_hash[0] = '\0';
	state_quarantine(fd, d->cfg.state_dir, RECORD_FILE, why);
	pr_warn("%s/%s: treating the running programs as unknown", d->cfg.state_dir, RECORD_FILE);
close_fd:
	free(text);
	close(fd);
	return err == -ENOENT ? 0 : err;
}

int upgrade_record_write(struct weftd *d)
{
	json_t *obj, *layouts = json_object();
	char *text;
	int fd, err;

	for (int i = 0; layouts && i < WEFT_MAP_NR; i++)
		json_object_set_new(layouts, maps_defs[i].name, json_integer(d->maps.layout.v[i]));
	obj = json_pack("{s:i, s:s, s:o}", "version", RECORD_VERSION, "objectHash", d->running_hash,
			"layouts", layouts);
	if (!obj)
		return -ENOMEM;
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!text)
		return -ENOMEM;
	fd = state_open_dir(d->cfg.state_dir);
	if (fd < 0) {
		free(text);
		return fd;
	}
	err = state_write_atomic(fd, RECORD_FILE, text, strlen(text), true);
	close(fd);
	free(text);
	return err;
}

/* --- the whole upgrade --------------------------------------------------------- */

struct upgrade {
	struct weftd *d;
	struct loader *nl;
	struct maps_layout from, to;
	bool changed[WEFT_MAP_NR];
	bool created[WEFT_MAP_NR]; /* new pins this upgrade made (undone on failure) */
	struct endpoint **eps;
	unsigned int n, skipped;
	struct loader_progs newp;	/* the new object's programs, for every endpoint */
	struct loader_progs *oldp;	/* what each endpoint runs now, to roll back to */
	struct bpf_object *overlay_obj; /* the new overlay programs, with an overlay */
	json_t *migrated;
};

static void pin_of(struct upgrade *u, int map, uint32_t v, char *buf, size_t sz)
{
	maps_pin_path_v(u->d->cfg.bpffs, map, v, buf, sz);
}

/*
 * Load and verify the new object once, without touching what runs: its load
 * creates the pins of the maps whose layout changes and of maps the running
 * build does not have at all (a map new in this build), which a failed
 * upgrade removes again. With no endpoint there is nothing to load for: the
 * next ADD loads it, and a start with no pod is not refused over an object
 * only an ADD should find wanting.
 */
static int load_new(struct upgrade *u, struct weft_api_error *e)
{
	struct weft_api_error why = {0};
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < WEFT_MAP_NR; i++) {
		u->changed[i] = u->from.v[i] != u->to.v[i];
		pin_of(u, i, u->to.v[i], path, sizeof(path));
		u->created[i] = u->n && access(path, F_OK) != 0;
	}
	if (!u->n)
		return 0;
	err = loader_programs(u->nl, &u->newp, &why);
	if (err)
		api_err_set(e, why.err ? why.err : -err, why.details,
			    "upgrade refused, nothing swapped: %s", why.msg);
	return err;
}

static void unpin_created(struct upgrade *u)
{
	char path[PATH_MAX];

	for (int i = 0; i < WEFT_MAP_NR; i++) {
		if (!u->created[i])
			continue;
		pin_of(u, i, u->to.v[i], path, sizeof(path));
		unlink(path);
	}
}

static int collect(struct upgrade *u)
{
	struct link_state st;

	u->eps = calloc(u->d->nr_endpoints + 1, sizeof(*u->eps));
	u->oldp = calloc(u->d->nr_endpoints + 1, sizeof(*u->oldp));
	if (!u->eps || !u->oldp)
		return -ENOMEM;
	for (struct endpoint *ep = u->d->endpoints; ep; ep = ep->next) {
		loader_link_state(u->d->loader, ep->id, ep->host_ifindex, &st);
		if (!st.attached) {
			/* Its veth is gone (a DEL weftd has not seen yet): nothing
			 * runs there to upgrade, the pending DEL removes it. */
			pr_info("upgrade: endpoint %u (%s/%s) is not attached, skipped", ep->id,
				ep->cid, ep->ifname);
			u->skipped++;
			continue;
		}
		loader_progs_init(&u->oldp[u->n]);
		u->eps[u->n++] = ep;
	}
	return 0;
}

static int migrate_maps(struct upgrade *u, struct weft_api_error *e)
{
	char from[PATH_MAX], to[PATH_MAX], why[512];
	unsigned int copied;
	int err;

	for (int i = 0; i < WEFT_MAP_NR; i++) {
		if (!u->changed[i])
			continue;
		pin_of(u, i, u->from.v[i], from, sizeof(from));
		pin_of(u, i, u->to.v[i], to, sizeof(to));
		if (access(from, F_OK))
			continue; /* never created: nothing to carry over */
		err = migrate_map(from, to, &copied, why, sizeof(why));
		if (err) {
			api_err_set(e, -err, why, "migrate %s from layout %u to %u",
				    maps_defs[i].name, u->from.v[i], u->to.v[i]);
			return err;
		}
		json_array_append_new(u->migrated,
				      json_pack("{s:s, s:i, s:i, s:i}", "map", maps_defs[i].name,
						"from", u->from.v[i], "to", u->to.v[i], "entries",
						copied));
	}
	return 0;
}

/* Put the old programs back on endpoints 0..@last (@last may be half swapped). */
static void swap_back(struct upgrade *u, unsigned int last)
{
	struct weft_api_error e2;
	struct loader_params lp;

	for (unsigned int j = 0; j <= last && j < u->n; j++) {
		memset(&e2, 0, sizeof(e2));
		endpoint_loader_params(u->eps[j], &lp);
		if (loader_swap(u->nl, &lp, &u->from, &u->oldp[j], &e2))
			pr_warn("upgrade: endpoint %u: cannot put the old programs back: %s: %s",
				u->eps[j]->id, e2.msg, e2.details);
	}
}

static int swap_all(struct upgrade *u, struct weft_api_error *e)
{
	struct loader_params lp;
	unsigned int i;
	int err = 0;

	for (i = 0; i < u->n; i++) {
		endpoint_loader_params(u->eps[i], &lp);
		err = loader_swap(u->nl, &lp, &u->to, &u->newp, e);
		if (err)
			break;
	}
	if (err)
		swap_back(u, i);
	return err;
}

/*
 * The overlay's programs follow the endpoints', before the old maps go, so
 * the node runs one build. If they cannot (a bpf_link_update on a live link
 * refused), the endpoints go back. The overlay's two links are swapped one
 * after the other, so a failure on the second can leave the first on the new
 * build: logged, and put right by the next upgrade or weftd start.
 */
static int swap_overlay(struct upgrade *u, struct weft_api_error *e)
{
	int err;

	if (!u->d->overlay)
		return 0; /* at start: overlay_open attaches the new object */
	maps_set_layout(&u->d->maps, &u->to);
	err = overlay_upgrade(u->d->overlay, u->overlay_obj);
	if (!err)
		return 0;
	maps_set_layout(&u->d->maps, &u->from);
	if (overlay_upgrade_reopen(u->d->overlay))
		pr_warn("upgrade: the overlay cannot reopen the old maps");
	swap_back(u, u->n);
	api_err_set(e, -err, WEFTD_OVERLAY_OBJECT,
		    "upgrade rolled back: cannot swap the overlay programs on the VXLAN device: %s",
		    strerror(-err));
	return err;
}

static void commit(struct upgrade *u)
{
	struct weftd *d = u->d;
	char path[PATH_MAX];
	int err;

	maps_set_layout(&d->maps, &u->to);
	snprintf(d->running_hash, sizeof(d->running_hash), "%s", loader_hash(u->nl));
	err = upgrade_record_write(d);
	if (err)
		pr_warn("upgrade: cannot record the running object in %s: %s (the next start "
			"upgrades again)",
			d->cfg.state_dir, strerror(-err));
	/* No program uses the old maps now: unpinned, they go with their last
	 * reference (the old programs, released below). */
	for (int i = 0; i < WEFT_MAP_NR; i++) {
		if (!u->changed[i])
			continue;
		pin_of(u, i, u->from.v[i], path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT)
			pr_warn("upgrade: cannot remove the old map %s: %s", path, strerror(errno));
	}
	/* Not fsync'd one by one: a state file that lost its new hash only
	 * makes the next start upgrade again, which is harmless. */
	for (unsigned int i = 0; i < u->n; i++) {
		snprintf(u->eps[i]->obj_hash, sizeof(u->eps[i]->obj_hash), "%s", d->running_hash);
		err = endpoint_write_state(d, u->eps[i], false);
		if (err)
			pr_warn("upgrade: endpoint %u: cannot rewrite its state file: %s",
				u->eps[i]->id, strerror(-err));
	}
	fsync(d->ep_dirfd);
	loader_close(d->loader);
	d->loader = u->nl;
	u->nl = NULL;
	d->datapath_error[0] = '\0';
}

static void upgrade_free(struct upgrade *u)
{
	for (unsigned int i = 0; i < u->n; i++)
		loader_progs_close(&u->oldp[i]);
	loader_progs_close(&u->newp);
	free(u->eps);
	free(u->oldp);
	loader_close(u->nl);
	/* Its programs live on in the overlay's links when it was swapped in. */
	bpf_object__close(u->overlay_obj);
	json_decref(u->migrated);
}

int upgrade_run(struct weftd *d, const char *bpf_dir, json_t **report, struct weft_api_error *e)
{
	struct upgrade u = {.d = d};
	struct timespec t0;
	double load_ms = 0, swap_ms = 0;
	char previous[sizeof(d->running_hash)];
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!bpf_dir)
		bpf_dir = d->cfg.bpf_dir;
	snprintf(previous, sizeof(previous), "%s", d->running_hash);
	u.migrated = json_array();
	err = loader_open(&u.nl, bpf_dir, d->cfg.bpffs);
	if (err) {
		api_err_set(e, -err, "bpfDir", "%s/%s is not a usable weft BPF object: %s", bpf_dir,
			    WEFTD_POD_OBJECT, strerror(-err));
		goto free_upgrade;
	}
	u.from = d->maps.layout;
	u.to = *loader_layout(u.nl);
	pr_info("upgrade: %s (%s) over %s, %u endpoints", loader_object_path(u.nl),
		loader_hash(u.nl), previous[0] ? previous : "unknown", d->nr_endpoints);
	loader_progs_init(&u.newp);
	err = collect(&u);
	if (err) {
		api_err_set(e, -err, NULL, "out of memory");
		goto free_upgrade;
	}
	err = load_new(&u, e);
	load_ms = ms_since(&t0);
	if (err)
		goto unpin_new;
	for (unsigned int i = 0; i < u.n; i++) {
		err = loader_running(d->loader, u.eps[i]->id, u.eps[i]->host_ifindex, &u.from,
				     &u.oldp[i]);
		if (err) {
			api_err_set(
				e, -err, NULL,
				"upgrade refused, nothing swapped: endpoint %u (%s/%s): cannot hold "
				"its running programs for a rollback: %s",
				u.eps[i]->id, u.eps[i]->cid, u.eps[i]->ifname, strerror(-err));
			goto unpin_new;
		}
	}
	/* With a cluster the overlay's programs are part of the build, also at
	 * start, before the overlay is open (it then attaches this object):
	 * one that does not load refuses the whole upgrade, so a node never
	 * runs new endpoints next to an overlay that cannot follow. */
	if (d->overlay || d->cluster) {
		u.overlay_obj = overlay_prog_load(bpf_dir, d->cfg.bpffs, &u.to);
		if (!u.overlay_obj) {
			err = -errno;
			api_err_set(e, -err, WEFTD_OVERLAY_OBJECT,
				    "upgrade refused, nothing swapped: the overlay programs in %s "
				    "do not load: %s (weftd's log has the reason)",
				    bpf_dir, strerror(-err));
			goto unpin_new;
		}
	}
	err = migrate_maps(&u, e);
	if (err)
		goto unpin_new;
	err = swap_all(&u, e);
	if (!err)
		err = swap_overlay(&u, e);
	swap_ms = ms_since(&t0) - load_ms;
	if (err)
		goto unpin_new;
	commit(&u);
	pr_info("upgrade: %u endpoints now run %s (load %.1f ms, swap %.1f ms)", u.n,
		d->running_hash, load_ms, swap_ms);
	if (report)
		*report = json_pack("{s:s, s:s, s:I, s:I, s:O, s:f, s:f, s:f}", "objectHash",
				    d->running_hash, "previousHash", previous, "endpoints",
				    (json_int_t)u.n, "skipped", (json_int_t)u.skipped, "migrated",
				    u.migrated, "loadMs", load_ms, "swapMs", swap_ms, "totalMs",
				    ms_since(&t0));
	stats_record_upgrade(&d->stats, true, (uint64_t)(ms_since(&t0) * 1e6));
	upgrade_free(&u);
	return 0;

unpin_new:
	unpin_created(&u);
free_upgrade:
	pr_warn("upgrade: %s%s%s", e->msg, e->details[0] ? ": " : "", e->details);
	stats_record_upgrade(&d->stats, false, (uint64_t)(ms_since(&t0) * 1e6));
	upgrade_free(&u);
	return err;
}

static bool layout_equal(const struct maps_layout *a, const struct maps_layout *b)
{
	return !memcmp(a, b, sizeof(*a));
}

void upgrade_at_start(struct weftd *d)
{
	struct weft_api_error e = {0};
	int err;

	if (!strcmp(d->running_hash, loader_hash(d->loader)) &&
	    layout_equal(&d->maps.layout, loader_layout(d->loader)))
		return;
	if (!d->nr_endpoints && !d->running_hash[0] &&
	    layout_equal(&d->maps.layout, loader_layout(d->loader))) {
		/* A fresh node: nothing runs yet, just record the object. */
		snprintf(d->running_hash, sizeof(d->running_hash), "%s", loader_hash(d->loader));
		err = upgrade_record_write(d);
		if (err)
			pr_warn("cannot record the running object: %s", strerror(-err));
		return;
	}
	pr_info("the object in %s (%s) is not what runs (%s): upgrading", d->cfg.bpf_dir,
		loader_hash(d->loader), d->running_hash[0] ? d->running_hash : "unknown");
	err = upgrade_run(d, NULL, NULL, &e);
	if (err)
		snprintf(d->datapath_error, sizeof(d->datapath_error), "%s%s%s", e.msg,
			 e.details[0] ? ": " : "", e.details);
}
