/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-pod BPF object: read once from --bpf-dir and kept in memory, loaded
 * (and verified) once, and its programs attached to every endpoint's host
 * veth as cls_bpf filters (tc.h says why not tcx). What the programs know of
 * each pod (endpoint id, address, MACs) is its weft_veths entry, keyed by the
 * host veth's ifindex, so a new pod costs no verifier run. The filters stay
 * when weftd exits or crashes: no gap. The programs are also pinned under
 * <bpffs>/endpoints/<id>/: what weftd meant to run, which a restart checks
 * the filters against and a repair puts back.
 *
 * loader_object.c reads, hashes and checks the object; loader_install.c puts
 * one endpoint's programs on its veth and takes them off; loader_swap.c loads
 * the object and has the per-endpoint steps of a live upgrade (upgrade.c
 * runs them).
 */
#ifndef WEFTD_LOADER_H
#define WEFTD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "daemon/datapath/maps.h"
#include "steps.h"

#define PIN_FROM_POD "from_pod"
#define PIN_TO_POD   "to_pod"

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

/* Programs held by fd (from loader_programs or loader_running). */
enum { LOADER_FROM_POD, LOADER_TO_POD, LOADER_TO_POD_LOCAL, LOADER_NR_PROGS };
struct loader_progs {
	int fd[LOADER_NR_PROGS];      /* -1 when absent */
	uint32_t id[LOADER_NR_PROGS]; /* 0 when absent */
};

struct link_state {
	bool attached;	     /* both filters on the veth run the pinned programs */
	uint32_t prog_id[2]; /* what the filters run, from_pod, to_pod; 0 when none */
};

/* Reads <bpf_dir>/weft_pod.bpf.o and checks it has what weftd needs. */
int loader_open(struct loader **out, const char *bpf_dir, const char *bpffs);
void loader_close(struct loader *l);
const char *loader_object_path(const struct loader *l);
const char *loader_hash(const struct loader *l);
/* The map layouts the object declares (weft_map_layout). */
const struct maps_layout *loader_layout(const struct loader *l);

/* Load and verify the object, unless done: the node's one copy of the
 * programs. Its maps are the pinned ones of the object's layouts, created and
 * pinned when missing. 0 or -errno, with @e saying why (the verifier's last
 * lines among it). */
int loader_load(struct loader *l, struct weft_api_error *e);
/* A restart: take as the node's programs those endpoint @id's filters on
 * @ifindex and its slot run, when they are this object's kind (every
 * program by name, reading this layout's weft_veths), instead of a second
 * load. The caller knows they are this object (datapath.json's hash). 0, or
 * -errno (-ESTALE: they are not) and nothing taken. */
int loader_adopt(struct loader *l, uint32_t id, int ifindex);
/* The node's programs (loader_load first), dup'd into @out for the caller. */
int loader_programs(struct loader *l, struct loader_progs *out, struct weft_api_error *e);

/* weft_veths entry + pins + filters + slot for one endpoint; undoes itself
 * on failure and fills @e with the failed step. */
int loader_attach(struct loader *l, const struct loader_params *p, struct weft_api_error *e);
/*
 * Live upgrade, in steps the caller sequences over all endpoints:
 * loader_programs() of the new object loads and verifies it without touching
 * anything that runs; loader_running() holds the programs an endpoint's
 * filters run now on @ifindex, to roll back to; loader_swap() puts programs
 * in: the endpoint's weft_veths entry (of @layout's map, when it has one),
 * its weft_policy_progs slot (of @layout's prog array), then both filters (a
 * replace in place), then the pins.
 */
void loader_progs_init(struct loader_progs *p);
void loader_progs_close(struct loader_progs *p);
int loader_running(struct loader *l, uint32_t id, int ifindex, const struct maps_layout *layout,
		   struct loader_progs *out);
int loader_swap(struct loader *l, const struct loader_params *p, const struct maps_layout *layout,
		const struct loader_progs *progs, struct weft_api_error *e);
/* The id of the weft_to_pod_local in endpoint @id's weft_policy_progs slot
 * (of @layout's prog array); 0 when empty. */
uint32_t loader_slot_prog_id(const struct loader *l, uint32_t id, const struct maps_layout *layout);
/* Remove endpoint @id's filters from @ifindex and its weft_veths entry (0:
 * its veth is unknown, only the pins go), and its pins; what is already gone
 * is fine. */
int loader_detach(struct loader *l, uint32_t id, int ifindex);
/* Put the pinned programs back where the filters on @ifindex lost or changed
 * them. Sets the bit of each hook it repaired in @repaired (1 << TC_INGRESS,
 * 1 << TC_EGRESS). 0, or -errno when a repair failed (-ENOENT: no pins). */
int loader_repair(struct loader *l, uint32_t id, int ifindex, unsigned int *repaired);
bool loader_pins_exist(struct loader *l, uint32_t id);
void loader_link_state(struct loader *l, uint32_t id, int ifindex, struct link_state *st);

#endif
