/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's copy of weft_ipcache: what each prefix should map to, what the map
 * holds now, and the prefixes whose two differ. Callers change the wanted
 * state with ipcache_set()/ipcache_unset() for every prefix one cluster event
 * touches, then ipcache_flush() writes only the differences:
 *
 *   unset then set again (a node UPDATE redoing its entries) -> one update,
 *     or nothing when the value is the same: no window without the entry;
 *   set then unset before a flush                          -> nothing.
 *
 * The writes go through @ops, the BPF map in weftd (overlay.c) and a recorder
 * in the unit tests. A failed write stays pending and is retried by the next
 * flush. With @ops.update_batch, a flush writes its updates in one call (the
 * initial sync's pages: 500 pods, one syscall); whatever that call did not
 * write goes one by one.
 */
#ifndef WEFTD_IPCACHE_H
#define WEFTD_IPCACHE_H

#include <stdbool.h>

#include "bpf/datapath.h"
#include "daemon/cluster/cluster.h"

struct ipcache_ops {
	int (*update)(void *ctx, const struct weft_ipcache_key *key,
		      const struct weft_ipcache_value *val);
	int (*delete)(void *ctx, const struct weft_ipcache_key *key);
	/* May be NULL. Writes @keys[i] = @vals[i] in order; *@count in: how
	 * many, out: how many were written. 0 or the error that stopped it. */
	int (*update_batch)(void *ctx, const struct weft_ipcache_key *keys,
			    const struct weft_ipcache_value *vals, unsigned int *count);
	void *ctx;
};

struct ipcache;

int ipcache_new(const struct ipcache_ops *ops, struct ipcache **out);
/* Frees weftd's copy only; the map keeps its entries. */
void ipcache_free(struct ipcache *ic);

/* @prefix as a map key (host bits are already zero in a weft_prefix). */
void ipcache_key(const struct weft_prefix *prefix, struct weft_ipcache_key *key);

/* 0 or -ENOMEM. */
int ipcache_set(struct ipcache *ic, const struct weft_prefix *prefix,
		const struct weft_ipcache_value *val);
/* Missing is fine. 0 or -ENOMEM. */
int ipcache_unset(struct ipcache *ic, const struct weft_prefix *prefix);
/* An entry found in the map at start-up: installed with @val, not wanted
 * until a set says so. 0 or -ENOMEM. */
int ipcache_adopt(struct ipcache *ic, const struct weft_ipcache_key *key,
		  const struct weft_ipcache_value *val);
/* Queue the removal of every adopted entry no set has claimed since (for the
 * next flush). 0 or -ENOMEM. */
int ipcache_prune(struct ipcache *ic);
/* The wanted value of @prefix (exact prefix, not longest match), or NULL. */
const struct weft_ipcache_value *ipcache_get(const struct ipcache *ic,
					     const struct weft_prefix *prefix);
/* Write every pending difference. 0, or the first write error (the others
 * are still tried; failed ones stay pending). */
int ipcache_flush(struct ipcache *ic);
/* Prefixes wanted, and writes still pending. */
unsigned int ipcache_count(const struct ipcache *ic);
unsigned int ipcache_pending(const struct ipcache *ic);

#endif
