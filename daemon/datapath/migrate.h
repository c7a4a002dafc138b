/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Map migration for live upgrades: when a new build changes a shared map's
 * layout, its entries are copied from the old pinned map into the new one
 * before any program that uses the new map runs.
 *
 * The rule that makes one generic copy enough (bpf/datapath.h): keys keep
 * their layout, values only grow or shrink at the end. The common prefix is
 * copied and the rest zeroed; a per-CPU value is copied CPU by CPU. A key
 * change needs a converter written for it: without one the upgrade is refused
 * before anything is swapped.
 */
#ifndef WEFTD_MIGRATE_H
#define WEFTD_MIGRATE_H

#include <stddef.h>

/* Copy the map pinned at @from into the map pinned at @to. Program arrays are
 * not copied (their slots are refilled with the new programs). *@copied counts
 * the entries. 0, or -errno with @why filled. */
int migrate_map(const char *from, const char *to, unsigned int *copied, char *why, size_t whysz);

#endif
