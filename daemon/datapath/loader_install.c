// SPDX-License-Identifier: Apache-2.0
/*
 * One endpoint's programs on its host veth: loaded (loader_load), put into
 * tcx links (new ones, or the veth pool's with bpf_link_update), the links
 * pinned under <bpffs>/endpoints/<id>/, and its weft_policy_progs slot
 * filled; and the reverse. Also the pool's placeholder load.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "daemon/datapath/loader_int.h"
#include "daemon/datapath/maps.h"
#include "daemon/datapath/tcx.h"

int loader_slot_set(const struct loader *l, const struct maps_layout *layout, uint32_t id,
		    int prog_fd, struct weft_api_error *e)
{
	char path[PATH_MAX];
	int fd, err = 0;

	maps_pin_path_v(l->bpffs, WEFT_MAP_POLICY_PROGS, layout->v[WEFT_MAP_POLICY_PROGS], path,
			sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_update_elem(fd, &id, &prog_fd, BPF_ANY) < 0) {
		err = -errno;
		api_err_set(e, -err, path, "set the %s slot of endpoint %u: %s",
			    maps_defs[WEFT_MAP_POLICY_PROGS].name, id, strerror(-err));
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/* The caller has removed the endpoint's weft_endpoints entries first, so no
 * new tail call picks the slot up; one already running keeps its program. */
static int slot_clear(struct loader *l, uint32_t id)
{
	char path[PATH_MAX];
	int fd, err = 0;

	maps_pin_path_v(l->bpffs, WEFT_MAP_POLICY_PROGS, l->layout.v[WEFT_MAP_POLICY_PROGS], path,
			sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_map_delete_elem(fd, &id) < 0 && errno != ENOENT)
		err = -errno;
	close(fd);
	return err;
}

static int make_pin_dir(struct loader *l, uint32_t id, struct weft_api_error *e)
{
	char dir[PATH_MAX];
	int err;

	loader_pin_dir(l, id, dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		api_err_set(e, -err, dir, "create pin directory for endpoint %u: %s", id,
			    strerror(-err));
		return err;
	}
	return 0;
}

/*
 * Put link @i's program on the endpoint's host veth and pin the link: into
 * the pool's link @pool_fd when there is one (>= 0), else as a new tcx link.
 * The pin keeps the attachment; a new link's fd is only ours to close.
 */
static int put_link(struct loader *l, const struct loader_params *p, int i, int prog_fd,
		    int pool_fd, struct weft_api_error *e)
{
	const char *prog = loader_prog_names[loader_links[i].prog];
	char path[PATH_MAX];
	int fd = pool_fd, err;

	if (pool_fd >= 0) {
		err = tcx_update(pool_fd, prog_fd);
		if (err) {
			api_err_set(
				e, -err, NULL,
				"swap %s into the pooled tcx link on ifindex %d for endpoint %u: %s",
				prog, p->ifindex, p->id, strerror(-err));
			return err;
		}
	} else {
		fd = tcx_attach(prog_fd, p->ifindex, loader_links[i].type);
		if (fd < 0) {
			api_err_set(e, -fd, NULL,
				    "attach %s with tcx to ifindex %d for endpoint %u: %s", prog,
				    p->ifindex, p->id, strerror(-fd));
			return fd;
		}
	}
	loader_link_path(l, p->id, i, path, sizeof(path));
	err = tcx_pin(fd, path);
	if (err)
		api_err_set(e, -err, path, "pin %s link for endpoint %u: %s", prog, p->id,
			    strerror(-err));
	/* Unpinned, a new link detaches here: nothing half-done stays. */
	if (pool_fd < 0)
		close(fd);
	return err;
}

/*
 * Load the endpoint's programs and put them on its host veth: into the pool's
 * links @link_fds (from_pod, to_pod) with bpf_link_update() when given, else
 * as new tcx links; then pin the links and fill its weft_policy_progs slot.
 *
 * The slot is filled after the links are attached and before the
 * weft_endpoints entries exist (the caller adds them): no sender can look the
 * id up before the slot is filled, and an empty slot only means the slower
 * redirect through the host veth.
 */
static int install(struct loader *l, const struct loader_params *p, const int link_fds[2],
		   struct weft_api_error *e)
{
	struct loader_progs progs;
	int err;

	err = loader_load(l, p, NULL, &progs, e);
	if (err)
		return err;
	steps_mark(p->steps, "load");
	err = make_pin_dir(l, p->id, e);
	if (err)
		goto close_progs;
	for (int i = 0; i < LOADER_NR_LINKS && !err; i++)
		err = put_link(l, p, i, progs.fd[loader_links[i].prog], link_fds ? link_fds[i] : -1,
			       e);
	/* A pool's links are updated in place (no grace period); new ones are
	 * tcx attaches, each waiting for one: told apart in the timings. */
	steps_mark(p->steps, link_fds ? "swap" : "attach");
	if (!err)
		err = loader_slot_set(l, &l->layout, p->id, progs.fd[LOADER_TO_POD_LOCAL], e);
	/* On failure: new links are detached with their pins; a pool's links
	 * only lose their pins (the caller closes their fds, which detaches
	 * them). */
	if (err)
		loader_detach(l, p->id);
close_progs:
	/* The links and the slot hold the programs (and the maps) now. */
	loader_progs_close(&progs);
	return err;
}

int loader_attach(struct loader *l, const struct loader_params *p, struct weft_api_error *e)
{
	return install(l, p, NULL, e);
}

int loader_attach_pooled(struct loader *l, const struct loader_params *p, const int link_fds[2],
			 struct weft_api_error *e)
{
	return install(l, p, link_fds, e);
}

int loader_placeholder(struct loader *l, int prog_fds[2])
{
	struct weft_api_error e = {0};
	struct loader_params p = {0};
	struct loader_progs progs;
	int err;

	/* All constants zero: source MAC 0 never matches, so the placeholder
	 * drops whatever a pool veth's peer could send. */
	err = loader_load(l, &p, NULL, &progs, &e);
	if (err) {
		pr_warn("veth pool: placeholder programs: %s%s%s", e.msg, e.details[0] ? ": " : "",
			e.details);
		return err;
	}
	/* Our fds keep the programs (and through them the maps) loaded. */
	for (int i = 0; i < LOADER_NR_LINKS; i++) {
		prog_fds[i] = progs.fd[loader_links[i].prog];
		progs.fd[loader_links[i].prog] = -1;
	}
	loader_progs_close(&progs);
	return 0;
}

int loader_detach(struct loader *l, uint32_t id)
{
	char path[PATH_MAX];
	int err, ret = 0;

	ret = slot_clear(l, id);
	if (ret)
		pr_warn("endpoint %u: cannot clear its %s slot: %s", id,
			maps_defs[WEFT_MAP_POLICY_PROGS].name, strerror(-ret));
	for (int i = 0; i < LOADER_NR_LINKS; i++) {
		loader_link_path(l, id, i, path, sizeof(path));
		err = tcx_detach_pin(path);
		if (err) {
			pr_warn("endpoint %u: cannot detach %s: %s", id, path, strerror(-err));
			if (!ret)
				ret = err;
		}
	}
	if (ret)
		return ret;
	loader_pin_dir(l, id, path, sizeof(path));
	if (rmdir(path) < 0 && errno != ENOENT) {
		ret = -errno;
		pr_warn("endpoint %u: cannot remove %s: %s", id, path, strerror(-ret));
	}
	return ret;
}

bool loader_pins_exist(struct loader *l, uint32_t id)
{
	char path[PATH_MAX];

	loader_pin_dir(l, id, path, sizeof(path));
	return !access(path, F_OK);
}

void loader_link_state(struct loader *l, uint32_t id, int ifindex, struct link_state *st)
{
	struct tcx_link cur;
	char path[PATH_MAX];

	memset(st, 0, sizeof(*st));
	st->attached = true;
	for (int i = 0; i < LOADER_NR_LINKS; i++) {
		loader_link_path(l, id, i, path, sizeof(path));
		if (tcx_pinned_info(path, &cur)) {
			st->attached = false;
			continue;
		}
		st->prog_id[i] = cur.prog_id;
		/* 0 when the device went away, or not a tcx link. */
		if (cur.ifindex != ifindex)
			st->attached = false;
	}
}
