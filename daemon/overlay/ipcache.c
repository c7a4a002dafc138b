// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/overlay/ipcache.h"
#include "hash.h"
#include "hash_tab.h"
#include "log.h"

struct ipc_entry {
	struct weft_ipcache_key key;
	struct weft_ipcache_value want, have;
	bool wanted, installed, pending;
};

struct ipcache {
	struct ipcache_ops ops;
	struct hash_tab entries; /* struct ipc_entry, by key bytes */
	struct ipc_entry **pending;
	unsigned int nr_pending, cap_pending;
	/* The batch's keys and values, kept between flushes up to
	 * BATCH_KEEP entries (a page of the initial sync); a relist's larger
	 * one is freed after it. */
	struct weft_ipcache_key *batch_keys;
	struct weft_ipcache_value *batch_vals;
	unsigned int cap_batch;
	unsigned int count;
};

static uint64_t key_hash(const struct weft_ipcache_key *key)
{
	return hash_mix64(fnv1a64(FNV1A64_OFFSET, key, sizeof(*key)));
}

static bool key_eq(const void *obj, const void *key)
{
	return !memcmp(&((const struct ipc_entry *)obj)->key, key, sizeof(struct weft_ipcache_key));
}

int ipcache_new(const struct ipcache_ops *ops, struct ipcache **out)
{
	struct ipcache *ic = calloc(1, sizeof(*ic));

	if (!ic)
		return -ENOMEM;
	ic->ops = *ops;
	*out = ic;
	return 0;
}

void ipcache_free(struct ipcache *ic)
{
	struct ipc_entry *e;
	size_t i = 0;

	if (!ic)
		return;
	while ((e = hash_tab_next(&ic->entries, &i)))
		free(e);
	hash_tab_clear(&ic->entries);
	free(ic->pending);
	free(ic->batch_keys);
	free(ic->batch_vals);
	free(ic);
}

void ipcache_key(const struct weft_prefix *prefix, struct weft_ipcache_key *key)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = WEFT_IPCACHE_PREFIX_BASE + prefix->len;
	key->family = prefix->addr.family == AF_INET6 ? WEFT_FAMILY_IPV6 : WEFT_FAMILY_IPV4;
	memcpy(key->addr, prefix->addr.addr, weft_addr_bits(&prefix->addr) / 8);
}

static struct ipc_entry *find_key(const struct ipcache *ic, const struct weft_ipcache_key *key)
{
	return hash_tab_find(&ic->entries, key_hash(key), key_eq, key);
}

static struct ipc_entry *lookup(const struct ipcache *ic, const struct weft_prefix *prefix)
{
	struct weft_ipcache_key key;

	ipcache_key(prefix, &key);
	return find_key(ic, &key);
}

static int mark_pending(struct ipcache *ic, struct ipc_entry *e)
{
	struct ipc_entry **v;

	if (e->pending)
		return 0;
	if (ic->nr_pending == ic->cap_pending) {
		unsigned int cap = ic->cap_pending ? ic->cap_pending * 2 : 16;

		v = realloc(ic->pending, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ic->pending = v;
		ic->cap_pending = cap;
	}
	ic->pending[ic->nr_pending++] = e;
	e->pending = true;
	return 0;
}

int ipcache_set(struct ipcache *ic, const struct weft_prefix *prefix,
		const struct weft_ipcache_value *val)
{
	struct ipc_entry *e = lookup(ic, prefix);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		ipcache_key(prefix, &e->key);
		if (hash_tab_add(&ic->entries, key_hash(&e->key), e)) {
			free(e);
			return -ENOMEM;
		}
	}
	if (!e->wanted)
		ic->count++;
	e->want = *val;
	e->wanted = true;
	return mark_pending(ic, e);
}

int ipcache_unset(struct ipcache *ic, const struct weft_prefix *prefix)
{
	struct ipc_entry *e = lookup(ic, prefix);

	if (!e || !e->wanted)
		return 0;
	e->wanted = false;
	ic->count--;
	return mark_pending(ic, e);
}

int ipcache_adopt(struct ipcache *ic, const struct weft_ipcache_key *key,
		  const struct weft_ipcache_value *val)
{
	struct ipc_entry *e = find_key(ic, key);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->key = *key;
		if (hash_tab_add(&ic->entries, key_hash(key), e)) {
			free(e);
			return -ENOMEM;
		}
	}
	e->have = *val;
	e->installed = true;
	return 0;
}

int ipcache_prune(struct ipcache *ic)
{
	struct ipc_entry *e;
	size_t i = 0;
	int err = 0;

	while (!err && (e = hash_tab_next(&ic->entries, &i))) {
		if (e->installed && !e->wanted)
			err = mark_pending(ic, e);
	}
	return err;
}

const struct weft_ipcache_value *ipcache_get(const struct ipcache *ic,
					     const struct weft_prefix *prefix)
{
	struct ipc_entry *e = lookup(ic, prefix);

	return e && e->wanted ? &e->want : NULL;
}

#define BATCH_KEEP 4096

static bool needs_update(const struct ipc_entry *e)
{
	return e->wanted && (!e->installed || memcmp(&e->want, &e->have, sizeof(e->have)));
}

static int batch_room(struct ipcache *ic, unsigned int n)
{
	struct weft_ipcache_key *keys;
	struct weft_ipcache_value *vals;

	if (n <= ic->cap_batch)
		return 0;
	keys = realloc(ic->batch_keys, n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	ic->batch_keys = keys;
	vals = realloc(ic->batch_vals, n * sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	ic->batch_vals = vals;
	ic->cap_batch = n;
	return 0;
}

/* The pending updates in one update_batch call. Entries it wrote are in sync
 * after it; any it did not (an error, or no room for the arrays) are left to
 * sync_entry(), one by one, with their errors. */
static void write_batch(struct ipcache *ic)
{
	unsigned int n = 0, written;

	for (unsigned int i = 0; i < ic->nr_pending; i++)
		n += needs_update(ic->pending[i]);
	if (n < 2 || batch_room(ic, n))
		return;
	n = 0;
	for (unsigned int i = 0; i < ic->nr_pending; i++) {
		const struct ipc_entry *e = ic->pending[i];

		if (!needs_update(e))
			continue;
		ic->batch_keys[n] = e->key;
		ic->batch_vals[n++] = e->want;
	}
	written = n;
	if (ic->ops.update_batch(ic->ops.ctx, ic->batch_keys, ic->batch_vals, &written))
		written = written >= n ? 0 : written; /* not even started */
	for (unsigned int i = 0, done = 0; i < ic->nr_pending && done < written; i++) {
		struct ipc_entry *e = ic->pending[i];

		if (!needs_update(e))
			continue;
		e->have = e->want;
		e->installed = true;
		done++;
	}
	if (ic->cap_batch > BATCH_KEEP) {
		free(ic->batch_keys);
		free(ic->batch_vals);
		ic->batch_keys = NULL;
		ic->batch_vals = NULL;
		ic->cap_batch = 0;
	}
}

/* One entry: 0 when it is in sync (and freed if neither wanted nor
 * installed), else the write's error. */
static int sync_entry(struct ipcache *ic, struct ipc_entry *e)
{
	int err = 0;

	if (needs_update(e)) {
		err = ic->ops.update(ic->ops.ctx, &e->key, &e->want);
		if (!err) {
			e->have = e->want;
			e->installed = true;
		}
	} else if (!e->wanted && e->installed) {
		err = ic->ops.delete(ic->ops.ctx, &e->key);
		if (!err || err == -ENOENT) {
			e->installed = false;
			err = 0;
		}
	}
	if (!err && !e->wanted && !e->installed) {
		hash_tab_remove(&ic->entries, key_hash(&e->key), e);
		free(e);
	}
	return err;
}

int ipcache_flush(struct ipcache *ic)
{
	unsigned int kept = 0;
	int first = 0, err;

	if (ic->ops.update_batch)
		write_batch(ic);
	for (unsigned int i = 0; i < ic->nr_pending; i++) {
		struct ipc_entry *e = ic->pending[i];

		e->pending = false;
		err = sync_entry(ic, e);
		if (err) {
			e->pending = true;
			ic->pending[kept++] = e;
			if (!first)
				first = err;
		}
	}
	ic->nr_pending = kept;
	return first;
}

unsigned int ipcache_count(const struct ipcache *ic)
{
	return ic->count;
}

unsigned int ipcache_pending(const struct ipcache *ic)
{
	return ic->nr_pending;
}
