/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weft_overlay.bpf.o on the node's VXLAN device: weft_from_overlay (tcx
 * ingress) and weft_to_overlay (tcx egress), one load per node, sharing the
 * per-pod programs' maps by pin path. The links are pinned at
 * <bpffs>/overlay/{from_overlay,to_overlay} so they outlive weftd, like the
 * endpoints' links.
 */
#ifndef WEFTD_OVERLAY_PROG_H
#define WEFTD_OVERLAY_PROG_H

#define WEFTD_OVERLAY_OBJECT "weft_overlay.bpf.o"

struct bpf_object;
struct maps_layout;

/* Open and load <bpf_dir>/weft_overlay.bpf.o against the shared maps of
 * @layout; NULL with errno set (logged). The caller closes the object. */
struct bpf_object *overlay_prog_load(const char *bpf_dir, const char *bpffs,
				     const struct maps_layout *layout);
/* Put a loaded object's programs on @ifindex (as overlay_prog_attach). */
int overlay_prog_install(struct bpf_object *obj, const char *bpffs, int ifindex);

struct tcx_link;
/* What the pinned weft_from_overlay link is on and runs; -ENOENT without
 * one. */
int overlay_prog_ingress(const char *bpffs, struct tcx_link *info);
/* 1 when both pinned overlay links are attached to @ifindex (programs run
 * there), 0 when either is missing or elsewhere, or -errno. */
int overlay_prog_running(const char *bpffs, int ifindex);

/*
 * Load <bpf_dir>/weft_overlay.bpf.o and put its programs on @ifindex. A pinned
 * link still on @ifindex (weftd restarted, device kept) gets the new program
 * with bpf_link_update(): no moment without one. A pinned link on a device
 * that is gone is replaced by a new attachment. 0 or -errno (logged).
 */
int overlay_prog_attach(const char *bpf_dir, const char *bpffs, const struct maps_layout *layout,
			int ifindex);

#endif
