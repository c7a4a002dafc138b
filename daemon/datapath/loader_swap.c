// SPDX-License-Identifier: Apache-2.0
/*
 * The node's programs and the steps of a live upgrade: load and verify the
 * object once (loader_programs, also what every install takes its programs
 * from), hold the programs an endpoint runs now for a rollback
 * (loader_running), and swap programs in, endpoint by endpoint
 * (loader_swap; upgrade.c sequences it over all of them).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "daemon/datapath/loader_int.h"
#include "daemon/datapath/maps.h"
#include "daemon/datapath/tc.h"

/* The last lines of a failed load's verifier log: usually the reason. */
static void log_tail(const char *log, char *buf, size_t sz)
{
	size_t len = strlen(log);
	const char *p;
	int lines = 0;

	while (len && log[len - 1] == '\n')
		len--;
	p = log + len;
	while (p > log && lines < 3) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	snprintf(buf, sz, "%.*s", (int)(log + len - p), p);
	for (char *c = buf; *c; c++) {
		if (*c == '\n')
			*c = ';';
	}
}

static int set_map_pins(struct loader *l, struct bpf_object *obj, struct weft_api_error *e)
{
	const char *name = NULL;
	int err;

	err = maps_set_pins(obj, l->bpffs, &l->layout, &name);
	if (err == -ENOENT)
		api_err_set(e, ENOENT, WEFTD_POD_OBJECT, "find map %s", name);
	else if (err)
		api_err_set(e, -err, name, "set pin path of %s: %s", name, strerror(-err));
	return err;
}

/* Open and load the object, its maps those pinned under the bpffs root
 * (created and pinned when missing); the caller closes it. */
static struct bpf_object *load_object(struct loader *l, struct weft_api_error *e)
{
	struct bpf_object *obj;
	char tail[400];
	int err;

	l->log[0] = '\0';
	obj = loader_open_object(l, l->log);
	if (!obj) {
		err = -errno;
		api_err_set(e, -err, l->path, "open %s: %s", WEFTD_POD_OBJECT, strerror(-err));
		errno = -err;
		return NULL;
	}
	err = set_map_pins(l, obj, e);
	if (err)
		goto close_obj;
	err = bpf_object__load(obj);
	if (err) {
		log_tail(l->log, tail, sizeof(tail));
		api_err_set(e, -err, tail, "load %s: %s", WEFTD_POD_OBJECT, strerror(-err));
		goto close_obj;
	}
	return obj;
close_obj:
	bpf_object__close(obj);
	errno = -err;
	return NULL;
}

void loader_progs_init(struct loader_progs *p)
{
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		p->fd[i] = -1;
		p->id[i] = 0;
	}
}

void loader_progs_close(struct loader_progs *p)
{
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		if (p->fd[i] >= 0)
			close(p->fd[i]);
		p->fd[i] = -1;
	}
}

int loader_prog_id(int fd, uint32_t *id)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	*id = info.id;
	return 0;
}

/* One load of the object: its programs, by fd and id, into l->node. */
static int load_node(struct loader *l, struct weft_api_error *e)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	int i, err = 0;

	obj = load_object(l, e);
	if (!obj)
		return -errno;
	for (i = 0; i < LOADER_NR_PROGS; i++) {
		prog = bpf_object__find_program_by_name(obj, loader_prog_names[i]);
		l->node.fd[i] = prog ? dup(bpf_program__fd(prog)) : -1;
		if (l->node.fd[i] < 0) {
			err = prog ? -errno : -ENOENT;
			api_err_set(e, -err, WEFTD_POD_OBJECT, "keep program %s: %s",
				    loader_prog_names[i], strerror(-err));
			goto close_progs;
		}
		err = loader_prog_id(l->node.fd[i], &l->node.id[i]);
		if (err) {
			api_err_set(e, -err, NULL, "program id of %s: %s", loader_prog_names[i],
				    strerror(-err));
			goto close_progs;
		}
	}
	/* Our dups keep the programs, and through them the maps, loaded. */
	bpf_object__close(obj);
	pr_debug("%s loaded: programs %u/%u/%u serve every endpoint", l->path,
		 l->node.id[LOADER_FROM_POD], l->node.id[LOADER_TO_POD],
		 l->node.id[LOADER_TO_POD_LOCAL]);
	return 0;
close_progs:
	loader_progs_close(&l->node);
	bpf_object__close(obj);
	return err;
}

int loader_load(struct loader *l, struct weft_api_error *e)
{
	return l->node.fd[0] >= 0 ? 0 : load_node(l, e);
}

/* Whether program @fd is named @name (the kernel keeps 15 characters) and
 * uses the map with id @map_id. */
static bool prog_is(int fd, const char *name, uint32_t map_id)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info), ids[64];

	if (bpf_prog_get_info_by_fd(fd, &info, &len) ||
	    strncmp(info.name, name, sizeof(info.name) - 1))
		return false;
	if (info.nr_map_ids > sizeof(ids) / sizeof(ids[0]))
		return false;
	len = sizeof(info);
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_prog_get_info_by_fd(fd, &info, &len))
		return false;
	for (__u32 i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i] == map_id)
			return true;
	}
	return false;
}

int loader_adopt(struct loader *l, uint32_t id, int ifindex)
{
	struct bpf_map_info minfo = {0};
	__u32 len = sizeof(minfo);
	struct loader_progs progs;
	int fd, err;

	if (l->node.fd[0] >= 0)
		return 0;
	fd = loader_map_open(l, &l->layout, WEFT_MAP_VETHS);
	if (fd < 0)
		return fd;
	err = bpf_map_get_info_by_fd(fd, &minfo, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	err = loader_running(l, id, ifindex, &l->layout, &progs);
	if (err)
		return err;
	/* All three, by name, reading this layout's weft_veths: the node's
	 * programs, not an older build's per-endpoint copy. */
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		if (progs.fd[i] < 0 || !prog_is(progs.fd[i], loader_prog_names[i], minfo.id)) {
			loader_progs_close(&progs);
			return -ESTALE;
		}
	}
	l->node = progs;
	pr_debug("%s: the programs endpoint %u runs (%u/%u/%u) serve every endpoint", l->path, id,
		 l->node.id[LOADER_FROM_POD], l->node.id[LOADER_TO_POD],
		 l->node.id[LOADER_TO_POD_LOCAL]);
	return 0;
}

int loader_programs(struct loader *l, struct loader_progs *out, struct weft_api_error *e)
{
	int err;

	loader_progs_init(out);
	err = loader_load(l, e);
	if (err)
		return err;
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		out->id[i] = l->node.id[i];
		out->fd[i] = dup(l->node.fd[i]);
		if (out->fd[i] < 0) {
			err = -errno;
			api_err_set(e, -err, NULL, "hold program %s: %s", loader_prog_names[i],
				    strerror(-err));
			loader_progs_close(out);
			return err;
		}
	}
	return 0;
}

uint32_t loader_slot_prog_id(const struct loader *l, uint32_t id, const struct maps_layout *layout)
{
	__u32 slot_id = 0;
	int fd;

	/* From user space a prog array hands out program ids. */
	fd = loader_map_open(l, layout, WEFT_MAP_POLICY_PROGS);
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &id, &slot_id) < 0)
		slot_id = 0;
	close(fd);
	return slot_id;
}

int loader_running(struct loader *l, uint32_t id, int ifindex, const struct maps_layout *layout,
		   struct loader_progs *out)
{
	int err;

	loader_progs_init(out);
	/* What the filters run, which is what packets meet. */
	for (int i = 0; i < LOADER_NR_HOOKS; i++) {
		err = tc_query(ifindex, loader_hooks[i].dir, &out->id[loader_hooks[i].prog]);
		if (err)
			goto close_progs;
	}
	out->id[LOADER_TO_POD_LOCAL] = loader_slot_prog_id(l, id, layout);
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		if (!out->id[i])
			continue;
		out->fd[i] = bpf_prog_get_fd_by_id(out->id[i]);
		if (out->fd[i] < 0) {
			err = -errno;
			goto close_progs;
		}
	}
	return 0;
close_progs:
	loader_progs_close(out);
	return err;
}

int loader_swap(struct loader *l, const struct loader_params *p, const struct maps_layout *layout,
		const struct loader_progs *progs, struct weft_api_error *e)
{
	uint32_t id = p->id;
	int ifindex = p->ifindex;
	char path[PATH_MAX];
	int err;

	/* First what the programs read about the pod: from a build before
	 * weft_veths the first swap, an update after. */
	err = loader_veth_put(l, layout, p, e);
	if (err)
		return err;
	/* The slot next: a sender's tail call then reaches the new
	 * weft_to_pod_local, which works with either version of the filters. */
	if (progs->fd[LOADER_TO_POD_LOCAL] >= 0) {
		err = loader_slot_set(l, layout, id, progs->fd[LOADER_TO_POD_LOCAL], e);
		if (err)
			return err;
	}
	for (int i = 0; i < LOADER_NR_HOOKS; i++) {
		const char *pin = loader_hooks[i].pin;
		int fd = progs->fd[loader_hooks[i].prog];

		/* Atomic for the packets: cls_bpf replaces the program of its
		 * filter in place, each packet runs the old or the new one. */
		err = tc_attach(ifindex, loader_hooks[i].dir, fd);
		if (err) {
			api_err_set(e, -err, NULL, "swap the %s program of endpoint %u: %s", pin,
				    id, strerror(-err));
			return err;
		}
		/* Then what weftd means to run, so a repair puts back this one. */
		loader_pin_path(l, id, i, path, sizeof(path));
		err = loader_pin_replace(fd, path);
		if (err) {
			api_err_set(e, -err, path, "pin the %s program of endpoint %u: %s", pin, id,
				    strerror(-err));
			return err;
		}
	}
	return 0;
}
