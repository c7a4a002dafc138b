// SPDX-License-Identifier: Apache-2.0
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "daemon/datapath/tc.h"

/*
 * memset, not a compound literal: libbpf refuses options whose bytes past the
 * last field it knows are not zero (EINVAL), and a struct assignment leaves
 * the padding before the trailing `size_t :0` undefined (clang's ASan build
 * left garbage there).
 */
static void hook_init(struct bpf_tc_hook *hook, int ifindex, enum tc_dir dir)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = dir == TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

static void opts_init(struct bpf_tc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = WEFT_TC_HANDLE;
	opts->priority = WEFT_TC_PRIO;
}

const char *tc_dir_name(enum tc_dir dir)
{
	return dir == TC_INGRESS ? "ingress" : "egress";
}

int tc_attach(int ifindex, enum tc_dir dir, int prog_fd)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	hook_init(&hook, ifindex, dir);
	/* One clsact holds both hooks; the second call finds it there. */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	opts_init(&opts);
	opts.prog_fd = prog_fd;
	/* Replace: weft's filter is the only one at its handle and priority,
	 * and a program swapped in place loses no packet. */
	opts.flags = BPF_TC_F_REPLACE;
	return bpf_tc_attach(&hook, &opts);
}

int tc_query(int ifindex, enum tc_dir dir, uint32_t *prog_id)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	hook_init(&hook, ifindex, dir);
	opts_init(&opts);
	err = bpf_tc_query(&hook, &opts);
	/* No clsact on the device: the kernel says EINVAL. */
	if (err == -EINVAL)
		err = -ENOENT;
	if (!err)
		*prog_id = opts.prog_id;
	return err;
}

int tc_detach(int ifindex, enum tc_dir dir)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int err;

	hook_init(&hook, ifindex, dir);
	opts_init(&opts);
	err = bpf_tc_detach(&hook, &opts);
	if (err == -ENOENT || err == -ENODEV || err == -EINVAL)
		return 0;
	return err;
}
