/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-pod BPF object: read once from --bpf-dir and kept in memory, then
 * opened, specialised (.rodata), loaded and attached once per endpoint. The
 * tcx links are pinned under <bpffs>/endpoints/<id>/, and the pins are what
 * keeps the programs attached: weftd can exit or crash without a gap.
 *
 * loader_object.c reads, hashes and checks the object; loader_install.c puts
 * one endpoint's programs on its veth and takes them off; loader_swap.c has
 * the per-endpoint steps of a live upgrade (upgrade.c runs them).
 */
#ifndef WEFTD_LOADER_H
#define WEFTD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "daemon/datapath/maps.h"
#include "steps.h"

#define LINK_FROM_POD "from_pod"
#define LINK_TO_POD   "to_pod"

struct loader;

struct loader_params {
	uint32_t id;
	int ifindex;	   /* host-side veth */
	uint32_t pod_ipv4; /* network order, 0 when the pod has none */
	uint8_t pod_mac[6];
	uint8_t host_mac[6];
	struct steps *steps; /* marks load, attach or swap, slot; may be NULL */
};

/* Hex FNV-1a 64 of the object file: what `status` calls its version. */
#define LOADER_HASH_LEN 16

/* One endpoint's programs, held by fd (from loader_load or loader_running). */
enum { LOADER_FROM_POD, LOADER_TO_POD, LOADER_TO_POD_LOCAL, LOADER_NR_PROGS };
struct loader_progs {
	int fd[LOADER_NR_PROGS];      /* -1 when absent */
	uint32_t id[LOADER_NR_PROGS]; /* 0 when absent */
};

struct link_state {
	bool attached;	     /* both links pinned, tcx, on the expected ifindex */
	uint32_t prog_id[2]; /* from_pod, to_pod; 0 when unknown */
};

/* Reads <bpf_dir>/weft_pod.bpf.o and checks it has what weftd needs. */
int loader_open(struct loader **out, const char *bpf_dir, const char *bpffs);
void loader_close(struct loader *l);
const char *loader_object_path(const struct loader *l);
const char *loader_hash(const struct loader *l);
/* The map layouts the object declares (weft_map_layout). */
const struct maps_layout *loader_layout(const struct loader *l);
/* Size of the verifier log buffer loader_load() wants from a thread. */
size_t loader_log_size(void);

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
/*
 * Live upgrade, in three steps the caller sequences over all endpoints:
 * loader_load() loads and verifies one endpoint's programs without touching
 * anything that runs (thread-safe with a log buffer per thread; NULL uses the
 * loader's own); loader_running() holds the programs an endpoint runs now, to
 * roll back to; loader_swap() puts programs in: the weft_policy_progs slot (of
 * @layout's prog array), then both links with bpf_link_update().
 */
void loader_progs_init(struct loader_progs *p);
void loader_progs_close(struct loader_progs *p);
int loader_load(struct loader *l, const struct loader_params *p, char *log,
		struct loader_progs *out, struct weft_api_error *e);
int loader_running(struct loader *l, uint32_t id, const struct maps_layout *layout,
		   struct loader_progs *out);
int loader_swap(struct loader *l, uint32_t id, const struct maps_layout *layout,
		const struct loader_progs *progs, struct weft_api_error *e);
/* Detach and unpin endpoint @id's links; what is already gone is fine. */
int loader_detach(struct loader *l, uint32_t id);
bool loader_pins_exist(struct loader *l, uint32_t id);
void loader_link_state(struct loader *l, uint32_t id, int ifindex, struct link_state *st);

#endif
