/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security identities for pods: one node-local number per distinct
 * (namespace, label set), shared by every pod with that set and released with
 * the last of them. The reserved identities (host, world, remote node) are
 * fixed in bpf/datapath.h.
 *
 * Deterministic: the number is a hash (FNV-1a, 32 bit) of the namespace and
 * the sorted labels, folded into [WEFT_IDENTITY_FIRST_POD, WEFT_IDENTITY_MAX).
 * So a label set gets the same number on every node and after every restart,
 * which keeps ipcache values stable across weftd restarts and makes them
 * readable side by side between nodes. Only when two sets hash to the same
 * number does the later one take the next free number (linear probing), and
 * that one depends on the order the sets were seen in.
 */
#ifndef WEFTD_IDENTITY_H
#define WEFTD_IDENTITY_H

#include <stdint.h>

#include "daemon/cluster/cluster.h"

struct identities;

int identities_new(struct identities **out);
void identities_free(struct identities *ids);

/* The identity of (@ns, @labels), allocated on first use; every get takes a
 * reference. 0 (never a valid pod identity) only when out of memory. */
uint32_t identity_get(struct identities *ids, const char *ns, const struct cl_labels *labels);
/* Drop one reference taken by identity_get(); the number is free again after
 * the last. Unknown numbers are ignored. */
void identity_put(struct identities *ids, uint32_t id);
/* The identity (@ns, @labels) holds now, without taking a reference; 0 when
 * none. */
uint32_t identity_lookup(struct identities *ids, const char *ns, const struct cl_labels *labels);
/* How many identities are in use (for weftctl status and tests). */
unsigned int identities_count(const struct identities *ids);

#endif
