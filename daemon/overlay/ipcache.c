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

/* One entry: 0 when it is in sync (and freed if neither wanted nor
 * installed), else the write's error. */
static int sync_entry(struct ipcache *ic, struct ipc_entry *e)
{
	int err = 0;

	if (e->wanted && (!e->installed || memcmp(&e->want, &e->have, sizeof(e->have)))) {
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
