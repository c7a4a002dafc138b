// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "log.h"
#include "daemon/datapath/maps.h"
#include "daemon/datapath/tcx.h"
#include "daemon/overlay/overlay_prog.h"

#define PIN_DIR "overlay"

static const struct {
	const char *prog;
	const char *link;
} progs[] = {
	{"weft_from_overlay", "from_overlay"},
	{"weft_to_overlay", "to_overlay"},
};

/*
 * Put @prog on @ifindex through the link pinned at @path. A link still on
 * @ifindex (weftd restarted, device kept) gets it with bpf_link_update(): no
 * moment without a program. Otherwise a new link replaces the pin.
 */
static int install_one(const char *path, int ifindex, struct bpf_program *prog)
{
	struct tcx_link cur;
	bool ours;
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd >= 0) {
		ours = !tcx_info(fd, &cur) && cur.ifindex == ifindex;
		err = ours ? tcx_update(fd, bpf_program__fd(prog)) : 0;
		close(fd);
		if (ours)
			return err;
		/* Its device was deleted (the link is defunct) or it sits on
		 * some other device: neither is ours to keep. */
		err = tcx_detach_pin(path);
		if (err)
			return err;
	}
	return tcx_attach_pin(bpf_program__fd(prog), ifindex,
			      bpf_program__expected_attach_type(prog), path);
}

struct bpf_object *overlay_prog_load(const char *bpf_dir, const char *bpffs,
				     const struct maps_layout *layout)
{
	char obj_path[PATH_MAX];
	struct bpf_object *obj;
	const char *map = NULL;
	int err;

	snprintf(obj_path, sizeof(obj_path), "%s/%s", bpf_dir, WEFTD_OVERLAY_OBJECT);
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		err = -errno;
		pr_warn("overlay: cannot open %s: %s", obj_path, strerror(-err));
		errno = -err;
		return NULL;
	}
	err = maps_set_pins(obj, bpffs, layout, &map);
	if (err) {
		pr_warn("overlay: %s: map %s: %s", obj_path, map,
			err == -ENOENT ? "missing" : strerror(-err));
		goto close_obj;
	}
	err = bpf_object__load(obj);
	if (err) {
		pr_warn("overlay: cannot load %s: %s", obj_path, strerror(-err));
		goto close_obj;
	}
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		if (!bpf_object__find_program_by_name(obj, progs[i].prog)) {
			err = -ENOENT;
			pr_warn("overlay: %s has no program %s", obj_path, progs[i].prog);
			goto close_obj;
		}
	}
	return obj;
close_obj:
	bpf_object__close(obj);
	errno = -err;
	return NULL;
}

int overlay_prog_install(struct bpf_object *obj, const char *bpffs, int ifindex)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/" PIN_DIR, bpffs);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		pr_warn("overlay: cannot create %s: %s", path, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, progs[i].prog);

		snprintf(path, sizeof(path), "%s/" PIN_DIR "/%s", bpffs, progs[i].link);
		err = install_one(path, ifindex, prog);
		if (err) {
			pr_warn("overlay: cannot attach %s to ifindex %d (%s): %s", progs[i].prog,
				ifindex, path, strerror(-err));
			return err;
		}
	}
	return 0;
}

int overlay_prog_ingress(const char *bpffs, struct tcx_link *info)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" PIN_DIR "/%s", bpffs, progs[0].link);
	return tcx_pinned_info(path, info);
}

int overlay_prog_running(const char *bpffs, int ifindex)
{
	struct tcx_link cur;
	char path[PATH_MAX];
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		snprintf(path, sizeof(path), "%s/" PIN_DIR "/%s", bpffs, progs[i].link);
		err = tcx_pinned_info(path, &cur);
		if (err)
			return err == -ENOENT ? 0 : err;
		if (cur.ifindex != ifindex)
			return 0;
	}
	return 1;
}

int overlay_prog_attach(const char *bpf_dir, const char *bpffs, const struct maps_layout *layout,
			int ifindex)
{
	struct bpf_object *obj = overlay_prog_load(bpf_dir, bpffs, layout);
	int err;

	if (!obj)
		return -errno;
	err = overlay_prog_install(obj, bpffs, ifindex);
	/* The links hold the programs now. */
	bpf_object__close(obj);
	return err;
}
