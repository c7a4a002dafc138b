// SPDX-License-Identifier: Apache-2.0
/*
 * The policy entry set: linear probing over slots that hold the key and value
 * themselves, at most 3/4 full. There is no removal (a compile starts from a
 * clear set), so probing needs no tombstones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy/entries.h"
#include "hash.h"

#define MIN_SLOTS 64

struct entry_slot {
	struct weft_policy_key key;
	struct weft_policy_value value;
	uint32_t tag; /* 0: empty; else high bits of the key's hash, bit 0 set */
};

struct policy_entries {
	struct entry_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t len;
};

struct weft_policy_key policy_key(uint32_t peer, enum weft_policy_dir dir, uint8_t protocol,
				  uint16_t port, uint8_t prefixlen)
{
	uint16_t mask = prefixlen ? (uint16_t)(0xffffu << (16 - prefixlen)) : 0;

	return (struct weft_policy_key){
		.peer = peer,
		.direction = (uint8_t)dir,
		.protocol = protocol,
		.port_prefixlen = prefixlen,
		.port = htons(port & mask),
	};
}

struct weft_policy_key policy_meta_key(enum weft_policy_dir dir)
{
	return policy_key(WEFT_POLICY_META_PEER, dir, 0, 0, 0);
}

/* The key is 12 bytes: two words mixed into one 64-bit hash. */
static uint64_t key_hash(const struct weft_policy_key *k)
{
	uint64_t head;
	uint32_t tail;

	memcpy(&head, k, sizeof(head));
	memcpy(&tail, (const char *)k + sizeof(head), sizeof(tail));
	return hash_mix64(head ^ hash_mix64(tail + 1));
}

static uint32_t hash_tag(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;
}

/* The slot holding @k, or the empty slot where it would go. */
static struct entry_slot *find_slot(const struct policy_entries *e, const struct weft_policy_key *k,
				    uint64_t h)
{
	size_t mask = e->cap - 1, i = h & mask;
	uint32_t tag = hash_tag(h);

	for (;; i = (i + 1) & mask) {
		struct entry_slot *s = &e->slots[i];

		if (!s->tag || (s->tag == tag && !memcmp(&s->key, k, sizeof(*k))))
			return s;
	}
}

int policy_entries_new(struct policy_entries **out)
{
	struct policy_entries *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	*out = e;
	return 0;
}

void policy_entries_free(struct policy_entries *e)
{
	if (!e)
		return;
	free(e->slots);
	free(e);
}

void policy_entries_clear(struct policy_entries *e)
{
	if (e->len)
		memset(e->slots, 0, e->cap * sizeof(*e->slots));
	e->len = 0;
}

static int grow(struct policy_entries *e)
{
	size_t cap = e->cap ? e->cap * 2 : MIN_SLOTS;
	struct policy_entries old = *e;

	e->slots = calloc(cap, sizeof(*e->slots));
	if (!e->slots) {
		*e = old;
		return -ENOMEM;
	}
	e->cap = cap;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.slots[i].tag)
			*find_slot(e, &old.slots[i].key, key_hash(&old.slots[i].key)) =
				old.slots[i];
	}
	free(old.slots);
	return 0;
}

int policy_entries_add(struct policy_entries *e, const struct weft_policy_key *k,
		       const struct weft_policy_value *v)
{
	uint64_t h = key_hash(k);
	struct entry_slot *s;

	if (e->len + 1 > e->cap / 4 * 3) {
		int ret = grow(e);

		if (ret)
			return ret;
	}
	s = find_slot(e, k, h);
	if (s->tag) {
		if (v->rule < s->value.rule)
			s->value.rule = v->rule;
		s->value.shapes |= v->shapes;
		return 0;
	}
	*s = (struct entry_slot){.key = *k, .value = *v, .tag = hash_tag(h)};
	e->len++;
	return 0;
}

const struct weft_policy_value *policy_entries_get(const struct policy_entries *e,
						   const struct weft_policy_key *k)
{
	struct entry_slot *s;

	if (!e || !e->len)
		return NULL;
	s = find_slot(e, k, key_hash(k));
	return s->tag ? &s->value : NULL;
}

size_t policy_entries_count(const struct policy_entries *e)
{
	return e->len;
}

int policy_entries_for_each(const struct policy_entries *e, policy_entry_fn fn, void *ctx)
{
	for (size_t i = 0; i < e->cap; i++) {
		const struct entry_slot *s = &e->slots[i];
		int ret;

		if (!s->tag)
			continue;
		ret = fn(ctx, &s->key, &s->value);
		if (ret)
			return ret;
	}
	return 0;
}

/* @upsert on the entries of @cur (meta ones or not, by @meta) that @old lacks
 * or holds with another value. */
static int upsert_changed(const struct policy_entries *old, const struct policy_entries *cur,
			  bool meta, policy_entry_fn upsert, void *ctx)
{
	for (size_t i = 0; i < cur->cap; i++) {
		const struct entry_slot *s = &cur->slots[i];
		const struct weft_policy_value *was;
		int ret;

		if (!s->tag || policy_key_is_meta(&s->key) != meta)
			continue;
		was = policy_entries_get(old, &s->key);
		if (was && !memcmp(was, &s->value, sizeof(*was)))
			continue;
		ret = upsert(ctx, &s->key, &s->value);
		if (ret)
			return ret;
	}
	return 0;
}

int policy_entries_diff(const struct policy_entries *old, const struct policy_entries *cur,
			policy_entry_fn upsert,
			int (*remove)(void *ctx, const struct weft_policy_key *k), void *ctx)
{
	int ret;

	ret = upsert_changed(old, cur, false, upsert, ctx);
	if (!ret)
		ret = upsert_changed(old, cur, true, upsert, ctx);
	for (size_t i = 0; !ret && old && i < old->cap; i++) {
		const struct entry_slot *s = &old->slots[i];

		if (s->tag && !policy_entries_get(cur, &s->key))
			ret = remove(ctx, &s->key);
	}
	return ret;
}
