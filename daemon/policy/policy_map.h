/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One endpoint's policy map: a hash created by weftd (WEFT_POLICY_MAP_* in
 * bpf/datapath.h) and reachable by the programs through weft_policy_maps at
 * the endpoint's id. The pinned outer map holds it, so it outlives weftd;
 * a restart finds it there again (policy_map_adopt) and rewrites only what
 * differs.
 *
 * Sized for what it holds: WEFT_POLICY_MAP_MIN_ENTRIES at first, 4x larger
 * whenever the wanted entries would not fit, built whole and swapped into
 * the outer slot in one update (a packet sees the old map or the new one),
 * up to WEFT_POLICY_MAP_MAX_ENTRIES. Below that, a change writes only the
 * entries that differ: additions and changes first, removals last, so a flow
 * that both the old and the new entries allow is never denied in between.
 */
#ifndef WEFTD_POLICY_MAP_H
#define WEFTD_POLICY_MAP_H

#include <stdbool.h>
#include <stdint.h>

struct policy_entries;

struct policy_map {
	int fd; /* -1: none yet */
	uint32_t max_entries;
	uint32_t map_id;	     /* the kernel's id, for weftctl and bpftool */
	struct policy_entries *cur; /* what the map holds */
};

/* An empty handle. 0 or -ENOMEM. */
int policy_map_init(struct policy_map *pm);
/* Take over the map in slot @ep_id of @outer_fd and read what it holds.
 * -ENOENT when the slot is empty. */
int policy_map_adopt(struct policy_map *pm, int outer_fd, uint32_t ep_id);
/*
 * Make the map hold exactly **@want (creating, growing or diffing as the
 * header says) and put it in the slot. *@want is swapped with what the map
 * held before (the caller may clear and reuse it). *@changed when anything
 * was written. -E2BIG when **@want has more than WEFT_POLICY_MAP_MAX_ENTRIES
 * (nothing written then), or -errno of a failed write (logged).
 */
int policy_map_apply(struct policy_map *pm, int outer_fd, uint32_t ep_id,
		     struct policy_entries **want, bool *changed);
/* Delete every entry (weftd's copy says which), leaving the map empty in
 * its slot: it then allows nothing. 0 or -errno (logged). */
int policy_map_empty(struct policy_map *pm, uint32_t ep_id);
/* Close weftd's handle; with @clear_slot also empty the outer slot (the
 * endpoint is gone: the kernel frees the map with its last reference). */
void policy_map_release(struct policy_map *pm, int outer_fd, uint32_t ep_id, bool clear_slot);
/* Read the map back from the kernel (not weftd's copy) into @out, for
 * `weftctl policy`: what the datapath really enforces. */
int policy_map_read(int fd, struct policy_entries *out);

#endif
