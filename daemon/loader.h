/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-pod BPF object: read once from --bpf-dir and kept in memory, then
 * opened, specialised (.rodata), loaded and attached once per endpoint. The
 * tcx links are pinned under <bpffs>/endpoints/<id>/, and the pins are what
 * keeps the programs attached: weftd can exit or crash without a gap.
 */
#ifndef WEFTD_LOADER_H
#define WEFTD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"

#define LINK_FROM_POD "from_pod"
#define LINK_TO_POD "to_pod"

struct loader;

struct loader_params {
	uint32_t id;
	int ifindex;	       /* host-side veth */
	uint32_t pod_ipv4;     /* network order, 0 when the pod has none */
	uint8_t pod_mac[6];
	uint8_t host_mac[6];
};

struct link_state {
	bool attached;	   /* both links pinned, tcx, on the expected ifindex */
	uint32_t prog_id[2]; /* from_pod, to_pod; 0 when unknown */
};

/* Reads <bpf_dir>/weft_pod.bpf.o and checks it has what weftd needs. */
int loader_open(struct loader **out, const char *bpf_dir, const char *bpffs);
void loader_close(struct loader *l);
const char *loader_object_path(const struct loader *l);

/* Load + attach + pin for one endpoint; undoes itself on failure and fills
 * @e with the failed step. */
int loader_attach(struct loader *l, const struct loader_params *p, struct weft_api_error *e);
/* Load + pin for one endpoint whose host veth came from the pool: the new
 * programs replace the placeholders in the pool's links @link_fds (from_pod,
 * to_pod) with bpf_link_update(). The caller keeps and closes @link_fds. */
int loader_attach_pooled(struct loader *l, const struct loader_params *p, const int link_fds[2],
			 struct weft_api_error *e);
/* One load with every .rodata constant zero, for the pool's veths: prog_fds
 * (from_pod, to_pod) are the caller's to close. */
int loader_placeholder(struct loader *l, int prog_fds[2]);
/* Detach and unpin endpoint @id's links; what is already gone is fine. */
int loader_detach(struct loader *l, uint32_t id);
bool loader_pins_exist(struct loader *l, uint32_t id);
void loader_link_state(struct loader *l, uint32_t id, int ifindex, struct link_state *st);

#endif
