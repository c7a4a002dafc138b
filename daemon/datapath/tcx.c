// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon/datapath/tcx.h"

static int tcx_attach(int prog_fd, int ifindex, enum bpf_attach_type type)
{
	int fd = bpf_link_create(prog_fd, ifindex, type, NULL);

	return fd < 0 ? -errno : fd;
}

static int tcx_pin(int link_fd, const char *path)
{
	return bpf_obj_pin(link_fd, path) < 0 ? -errno : 0;
}

int tcx_attach_pin(int prog_fd, int ifindex, enum bpf_attach_type type, const char *path)
{
	int fd, err;

	fd = tcx_attach(prog_fd, ifindex, type);
	if (fd < 0)
		return fd;
	err = tcx_pin(fd, path);
	/* With the pin, closing only drops our reference; without it, closing
	 * detaches: nothing half-done stays behind. */
	close(fd);
	return err;
}

int tcx_update(int link_fd, int prog_fd)
{
	return bpf_link_update(link_fd, prog_fd, NULL) < 0 ? -errno : 0;
}

int tcx_info(int link_fd, struct tcx_link *out)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_link_get_info_by_fd(link_fd, &info, &len) < 0)
		return -errno;
	out->prog_id = info.prog_id;
	/* A link whose device went away reports ifindex 0. */
	out->ifindex = info.type == BPF_LINK_TYPE_TCX ? (int)info.tcx.ifindex : 0;
	return 0;
}

int tcx_pinned_info(const char *path, struct tcx_link *out)
{
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = tcx_info(fd, out);
	close(fd);
	return err;
}

int tcx_detach_pin(const char *path)
{
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A link whose device is gone is already detached (defunct). */
	if (bpf_link_detach(fd) < 0 && errno != ENOLINK && errno != ENOENT)
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
