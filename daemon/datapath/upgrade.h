/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live upgrade of every endpoint's programs, and the record of what runs.
 *
 * <state-dir>/datapath.json says which object (hash) and which map layouts
 * the running programs use; weftd reads it at start and, when the object in
 * --bpf-dir differs, upgrades before it serves. `weftctl upgrade` does the
 * same on demand, from --bpf-dir or another directory.
 *
 * An upgrade is all or nothing: every endpoint's programs are loaded and
 * verified first (in parallel), maps whose layout changed are created next to
 * the old ones and their entries migrated, then each endpoint's
 * weft_policy_progs slot and tcx links are swapped with bpf_link_update(). A
 * failed load swaps nothing; a failed swap puts the old programs back.
 */
#ifndef WEFTD_UPGRADE_H
#define WEFTD_UPGRADE_H

#include <jansson.h>

#include "api.h"
#include "daemon/weftd.h"

/* Read datapath.json into d->running_hash and d->maps' layout; a missing
 * file means layout 1 and an unknown hash. 0 or -errno. */
int upgrade_record_load(struct weftd *d);
/* A datapath.json's text: its object hash into @hash (@hashsz bytes) and its
 * layouts of 1..UINT32_MAX over @layout's. 0, or -EINVAL when it is no such
 * record (then @hash is not written; the reason in @why, which may be NULL). */
int upgrade_record_parse(const char *text, char *hash, size_t hashsz, struct maps_layout *layout,
			 char *why, size_t whysz);
/* Write d->running_hash and d->maps' layout to datapath.json (durably). */
int upgrade_record_write(struct weftd *d);

/* Upgrade every endpoint to the object in @bpf_dir (NULL: --bpf-dir). On
 * success d->loader is the new object's and *@report (if not NULL) the
 * upgrade's figures (docs/api.md); on failure nothing changed and @e says
 * which endpoint and why. */
int upgrade_run(struct weftd *d, const char *bpf_dir, json_t **report, struct weft_api_error *e);

/* At start, after the endpoints are loaded: upgrade when the object on disk
 * is not what runs. A failure is kept in d->datapath_error (ADDs refuse). */
void upgrade_at_start(struct weftd *d);

#endif
