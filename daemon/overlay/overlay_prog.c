// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "daemon/datapath/maps.h"
#include "daemon/overlay/overlay_prog.h"

#define PIN_DIR "overlay"

static const struct {
	const char *prog;
	const char *link;
} progs[] = {
	{"weft_from_overlay", "from_overlay"},
	{"weft_to_overlay", "to_overlay"},
};

/* The ifindex a pinned tcx link is attached to; 0 once its device is gone. */
static int link_ifindex(int fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_link_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	return info.type == BPF_LINK_TYPE_TCX ? (int)info.tcx.ifindex : 0;
}

/* Swap @prog into the link pinned at @path when that link is on @ifindex.
 * 1 when done, 0 when there is no usable pin (it is removed), or -errno. */
static int update_pinned(const char *path, int ifindex, struct bpf_program *prog)
{
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = link_ifindex(fd);
	if (err == ifindex) {
		err = bpf_link_update(fd, bpf_program__fd(prog), NULL) < 0 ? -errno : 1;
	} else {
		/* Its device was deleted (the link is defunct) or it sits on
		 * some other device: neither is ours to keep. */
		bpf_link_detach(fd);
		err = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	}
	close(fd);
	return err;
}

static int attach_new(const char *path, int ifindex, struct bpf_program *prog)
{
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_tcx(prog, ifindex, NULL);
	if (!link)
		return -errno;
	err = bpf_link__pin(link, path);
	/* The pin keeps the attachment; destroy only closes our fd. With no
	 * pin, destroying detaches: nothing half-done stays behind. */
	bpf_link__destroy(link);
	return err;
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
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
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
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, progs[i].prog);

		snprintf(path, sizeof(path), "%s/" PIN_DIR "/%s", bpffs, progs[i].link);
		err = update_pinned(path, ifindex, prog);
		if (!err)
			err = attach_new(path, ifindex, prog);
		if (err < 0) {
			pr_warn("overlay: cannot attach %s to ifindex %d (%s): %s", progs[i].prog,
				ifindex, path, strerror(-err));
			return err;
		}
	}
	return 0;
}

int overlay_prog_running(const char *bpffs, int ifindex)
{
	char path[PATH_MAX];
	int fd, on;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		snprintf(path, sizeof(path), "%s/" PIN_DIR "/%s", bpffs, progs[i].link);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		on = link_ifindex(fd);
		close(fd);
		if (on < 0)
			return on;
		if (on != ifindex)
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
