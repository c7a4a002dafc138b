/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcx links, the way weft holds the overlay's programs on weft_vxlan: created
 * with BPF_LINK_CREATE, pinned on bpffs so the programs stay attached while
 * weftd is down, and given a new program in place with bpf_link_update().
 * (Pods' programs are cls_bpf filters instead: tc.h says why.)
 *
 * Why update rather than attach again: an attach swaps the device's entry
 * array and waits for an RCU grace period under rtnl (tcx_entry_sync), 8-37 ms;
 * an update replaces the program in place (bpf_mprog_replace, no grace
 * period), and each packet runs either the old or the new program.
 */
#ifndef WEFTD_TCX_H
#define WEFTD_TCX_H

#include <linux/bpf.h>
#include <stdint.h>

/* A new link of @prog_fd on @ifindex's @type hook (BPF_TCX_INGRESS or
 * BPF_TCX_EGRESS), pinned at @path; the pin holds the attachment. Nothing
 * stays attached on failure. 0 or -errno. */
int tcx_attach_pin(int prog_fd, int ifindex, enum bpf_attach_type type, const char *path);
/* Put @prog_fd into the link @link_fd, in place. 0 or -errno. */
int tcx_update(int link_fd, int prog_fd);

struct tcx_link {
	int ifindex;	  /* 0 when its device is gone (a defunct link) or not tcx */
	uint32_t prog_id; /* the program it runs */
};

/* What the link @link_fd is on and runs. 0 or -errno. */
int tcx_info(int link_fd, struct tcx_link *info);
/* The same for the link pinned at @path; -ENOENT when there is no pin. */
int tcx_pinned_info(const char *path, struct tcx_link *info);
/* Detach the link pinned at @path and remove the pin. A missing pin and a
 * link whose device is gone (already detached) are fine. 0 or -errno. */
int tcx_detach_pin(const char *path);

#endif
