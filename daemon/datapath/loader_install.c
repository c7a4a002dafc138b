// SPDX-License-Identifier: Apache-2.0
/*
 * One endpoint's programs on its host veth: its weft_veths entry written,
 * the node's programs (loader_programs) pinned under <bpffs>/endpoints/<id>/,
 * put on the veth as tc filters, and its weft_policy_progs slot filled; and
 * the reverse. Also the check that the filters still run the pinned
 * programs, and the repair when they do not.
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
#include "daemon/datapath/tc.h"

int loader_map_open(const struct loader *l, const struct maps_layout *layout, enum weft_map which)
{
	char path[PATH_MAX];
	int fd;

	maps_pin_path_v(l->bpffs, which, layout->v[which], path, sizeof(path));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int loader_veth_put(const struct loader *l, const struct maps_layout *layout,
		    const struct loader_params *p, struct weft_api_error *e)
{
	const char *name = maps_defs[WEFT_MAP_VETHS].name;
	struct weft_veth v = {.endpoint_id = p->id, .pod_ipv4 = p->pod_ipv4};
	__u32 key = (__u32)p->ifindex;
	char why[160];
	int fd, err = 0;

	memcpy(v.pod_mac, p->pod_mac, sizeof(v.pod_mac));
	memcpy(v.host_mac, p->host_mac, sizeof(v.host_mac));
	fd = loader_map_open(l, layout, WEFT_MAP_VETHS);
	if (fd == -ENOENT && memcmp(layout, &l->layout, sizeof(*layout)))
		return 0;
	if (fd < 0 || bpf_map_update_elem(fd, &key, &v, BPF_ANY) < 0) {
		err = fd < 0 ? fd : -errno;
		api_err_set(e, -maps_update_errno(err), name,
			    "insert the %s entry of endpoint %u (ifindex %d): %s", name, p->id,
			    p->ifindex, maps_update_strerror(fd, name, err, why, sizeof(why)));
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/* Only while the entry is still @id's: an ifindex is not reused soon, but
 * never trust it. Missing is fine. */
static int veth_delete(struct loader *l, uint32_t id, int ifindex)
{
	__u32 key = (__u32)ifindex;
	struct weft_veth v;
	int fd, err = 0;

	fd = loader_map_open(l, &l->layout, WEFT_MAP_VETHS);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (!bpf_map_lookup_elem(fd, &key, &v) && v.endpoint_id == id &&
	    bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT)
		err = -errno;
	close(fd);
	return err;
}

int loader_slot_set(const struct loader *l, const struct maps_layout *layout, uint32_t id,
		    int prog_fd, struct weft_api_error *e)
{
	const char *name = maps_defs[WEFT_MAP_POLICY_PROGS].name;
	int fd, err = 0;

	fd = loader_map_open(l, layout, WEFT_MAP_POLICY_PROGS);
	if (fd < 0 || bpf_map_update_elem(fd, &id, &prog_fd, BPF_ANY) < 0) {
		err = fd < 0 ? fd : -errno;
		api_err_set(e, -err, name, "set the %s slot of endpoint %u: %s", name, id,
			    strerror(-err));
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/* The caller has removed the endpoint's weft_endpoints entries first, so no
 * new tail call picks the slot up; one already running keeps its program. */
static int slot_clear(struct loader *l, uint32_t id)
{
	int fd, err = 0;

	fd = loader_map_open(l, &l->layout, WEFT_MAP_POLICY_PROGS);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
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

/* Pin @prog_fd at @path, replacing what is there in one step: pinned under
 * a temporary name, then renamed over the old pin (bpffs renames atomically),
 * so a crash leaves either pin, never none. No dot in it: bpffs refuses
 * names with dots (EPERM, "reserved for future use"). */
int loader_pin_replace(int prog_fd, const char *path)
{
	char tmp[PATH_MAX + 8];
	int err;

	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	if (bpf_obj_pin(prog_fd, tmp) < 0)
		return -errno;
	if (rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* Pin hook @i's program, then put it on the endpoint's host veth. */
static int put_hook(struct loader *l, const struct loader_params *p, int i, int prog_fd,
		    struct weft_api_error *e)
{
	const char *prog = loader_prog_names[loader_hooks[i].prog];
	enum tc_dir dir = loader_hooks[i].dir;
	char path[PATH_MAX];
	int err;

	loader_pin_path(l, p->id, i, path, sizeof(path));
	err = loader_pin_replace(prog_fd, path);
	if (err) {
		api_err_set(e, -err, path, "pin %s for endpoint %u: %s", prog, p->id,
			    strerror(-err));
		return err;
	}
	err = tc_attach(p->ifindex, dir, prog_fd);
	if (err)
		api_err_set(e, -err, NULL, "attach %s to tc %s of ifindex %d for endpoint %u: %s",
			    prog, tc_dir_name(dir), p->ifindex, p->id, strerror(-err));
	return err;
}

/*
 * Write the endpoint's weft_veths entry, then pin the node's programs for it
 * and put them on its host veth as tc filters; then fill its
 * weft_policy_progs slot.
 *
 * The entry comes first: a frame the filters see before it would be dropped
 * (WEFT_DROP_NO_ENDPOINT), though none comes, the veth being still down. The
 * slot is filled after the filters are attached and before the
 * weft_endpoints entries exist (the caller adds them): no sender can look the
 * id up before the slot is filled, and an empty slot only means the slower
 * redirect through the host veth.
 */
int loader_attach(struct loader *l, const struct loader_params *p, struct weft_api_error *e)
{
	struct loader_progs progs;
	int err;

	/* Only the first endpoint after a start or an upgrade waits for the
	 * verifier; the others take the loaded programs. */
	err = loader_programs(l, &progs, e);
	if (err)
		return err;
	steps_mark(p->steps, "load");
	err = loader_veth_put(l, &l->layout, p, e);
	if (err)
		goto close_progs;
	err = make_pin_dir(l, p->id, e);
	for (int i = 0; i < LOADER_NR_HOOKS && !err; i++)
		err = put_hook(l, p, i, progs.fd[loader_hooks[i].prog], e);
	steps_mark(p->steps, "attach");
	if (!err)
		err = loader_slot_set(l, &l->layout, p->id, progs.fd[LOADER_TO_POD_LOCAL], e);
	if (err)
		loader_detach(l, p->id, p->ifindex);
close_progs:
	/* The filters, the pins and the slot hold the programs (and the maps) now. */
	loader_progs_close(&progs);
	return err;
}

/* The id of the program pinned at @path: 0 when there is no pin. */
static uint32_t pinned_prog_id(const char *path)
{
	uint32_t id = 0;
	int fd;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (loader_prog_id(fd, &id))
		id = 0;
	close(fd);
	return id;
}

int loader_detach(struct loader *l, uint32_t id, int ifindex)
{
	char path[PATH_MAX];
	uint32_t running;
	int err, ret = 0;

	ret = slot_clear(l, id);
	if (ret)
		pr_warn("endpoint %u: cannot clear its %s slot: %s", id,
			maps_defs[WEFT_MAP_POLICY_PROGS].name, strerror(-ret));
	for (int i = 0; i < LOADER_NR_HOOKS; i++) {
		enum tc_dir dir = loader_hooks[i].dir;

		loader_pin_path(l, id, i, path, sizeof(path));
		/* Only weft's filter, and only while it runs this endpoint's
		 * program: an ifindex is not reused soon, but never trust it. */
		if (ifindex > 0 && !tc_query(ifindex, dir, &running) &&
		    running == pinned_prog_id(path)) {
			err = tc_detach(ifindex, dir);
			if (err) {
				pr_warn("endpoint %u: cannot remove its tc %s filter from ifindex "
					"%d: %s",
					id, tc_dir_name(dir), ifindex, strerror(-err));
				if (!ret)
					ret = err;
				continue;
			}
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			err = -errno;
			pr_warn("endpoint %u: cannot remove %s: %s", id, path, strerror(-err));
			if (!ret)
				ret = err;
		}
	}
	/* Last, once no filter runs the programs on the veth any more. */
	if (ifindex > 0) {
		err = veth_delete(l, id, ifindex);
		if (err) {
			pr_warn("endpoint %u: cannot remove its %s entry (ifindex %d): %s", id,
				maps_defs[WEFT_MAP_VETHS].name, ifindex, strerror(-err));
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
	char path[PATH_MAX];
	uint32_t running;

	memset(st, 0, sizeof(*st));
	st->attached = true;
	for (int i = 0; i < LOADER_NR_HOOKS; i++) {
		loader_pin_path(l, id, i, path, sizeof(path));
		if (tc_query(ifindex, loader_hooks[i].dir, &running)) {
			st->attached = false;
			continue;
		}
		st->prog_id[i] = running;
		if (!running || running != pinned_prog_id(path))
			st->attached = false;
	}
}

int loader_repair(struct loader *l, uint32_t id, int ifindex, unsigned int *repaired)
{
	char path[PATH_MAX];
	uint32_t running, pinned;
	int fd, err, ret = 0;

	*repaired = 0;
	for (int i = 0; i < LOADER_NR_HOOKS; i++) {
		enum tc_dir dir = loader_hooks[i].dir;

		loader_pin_path(l, id, i, path, sizeof(path));
		pinned = pinned_prog_id(path);
		if (!pinned) {
			ret = -ENOENT;
			continue;
		}
		err = tc_query(ifindex, dir, &running);
		/* Its veth is gone: a DEL is on its way, nothing to put back. */
		if (err == -ENODEV)
			return 0;
		if (!err && running == pinned)
			continue;
		/* Only now the program itself: most checks find it in place. */
		fd = bpf_obj_get(path);
		err = fd < 0 ? -errno : tc_attach(ifindex, dir, fd);
		if (fd >= 0)
			close(fd);
		if (err)
			ret = err;
		else
			*repaired |= 1u << dir;
	}
	return ret;
}
