// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/datapath.h"
#include "daemon/policy/identity.h"
#include "hash.h"
#include "hash_tab.h"

struct ident {
	uint32_t id;
	unsigned int refs;
	size_t key_len;
	char key[]; /* ns \0 k1 \0 v1 \0 k2 \0 v2 \0 ... */
};

struct identities {
	struct hash_tab by_key; /* struct ident, by its label set */
	struct hash_tab by_id;
	unsigned int count;
};

#define POD_RANGE ((uint32_t)WEFT_IDENTITY_MAX - WEFT_IDENTITY_FIRST_POD)

/* A label set as the caller has it: looked up without serialising it. */
struct key_ref {
	const char *ns;
	const struct cl_labels *labels;
};

/* The hash of the serialised key (make_key()), computed from its parts. */
static uint64_t ref_hash(const struct key_ref *r)
{
	uint64_t h = fnv1a64(FNV1A64_OFFSET, r->ns, strlen(r->ns) + 1);

	for (size_t i = 0; i < r->labels->n; i++) {
		h = fnv1a64(h, r->labels->v[i].key, strlen(r->labels->v[i].key) + 1);
		h = fnv1a64(h, r->labels->v[i].value, strlen(r->labels->v[i].value) + 1);
	}
	return hash_mix64(h);
}

/* Step over one NUL-terminated part of a serialised key equal to @want. */
static bool part_eq(const char **p, const char *end, const char *want)
{
	size_t n = strlen(want) + 1;

	if ((size_t)(end - *p) < n || memcmp(*p, want, n))
		return false;
	*p += n;
	return true;
}

static bool key_eq(const void *obj, const void *ref)
{
	const struct ident *e = obj;
	const struct key_ref *r = ref;
	const char *p = e->key, *end = e->key + e->key_len;

	if (!part_eq(&p, end, r->ns))
		return false;
	for (size_t i = 0; i < r->labels->n; i++) {
		if (!part_eq(&p, end, r->labels->v[i].key) ||
		    !part_eq(&p, end, r->labels->v[i].value))
			return false;
	}
	return p == end;
}

static uint64_t id_hash(uint32_t id)
{
	return hash_mix64(id);
}

static bool id_eq(const void *obj, const void *id)
{
	return ((const struct ident *)obj)->id == *(const uint32_t *)id;
}

static struct ident *find_key(const struct identities *ids, const struct key_ref *r)
{
	return hash_tab_find(&ids->by_key, ref_hash(r), key_eq, r);
}

static struct ident *find_id(const struct identities *ids, uint32_t id)
{
	return hash_tab_find(&ids->by_id, id_hash(id), id_eq, &id);
}

int identities_new(struct identities **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void identities_free(struct identities *ids)
{
	struct ident *e;
	size_t i = 0;

	if (!ids)
		return;
	while ((e = hash_tab_next(&ids->by_key, &i)))
		free(e);
	hash_tab_clear(&ids->by_key);
	hash_tab_clear(&ids->by_id);
	free(ids);
}

/* The labels are sorted by key (struct cl_labels), so equal sets serialise
 * to equal bytes. NULL when out of memory. */
static struct ident *make_key(const char *ns, const struct cl_labels *labels)
{
	size_t len = strlen(ns) + 1, off;
	struct ident *e;

	for (size_t i = 0; i < labels->n; i++)
		len += strlen(labels->v[i].key) + 1 + strlen(labels->v[i].value) + 1;
	e = calloc(1, sizeof(*e) + len);
	if (!e)
		return NULL;
	e->key_len = len;
	off = strlen(ns) + 1;
	memcpy(e->key, ns, off);
	for (size_t i = 0; i < labels->n; i++) {
		size_t k = strlen(labels->v[i].key) + 1, v = strlen(labels->v[i].value) + 1;

		memcpy(e->key + off, labels->v[i].key, k);
		memcpy(e->key + off + k, labels->v[i].value, v);
		off += k + v;
	}
	return e;
}

uint32_t identity_get(struct identities *ids, const char *ns, const struct cl_labels *labels)
{
	struct key_ref ref = {ns, labels};
	struct ident *e = find_key(ids, &ref);
	uint64_t hash;
	uint32_t id;

	if (e) {
		e->refs++;
		return e->id;
	}
	e = make_key(ns, labels);
	if (!e)
		return 0;
	/* Every number in the range can only be taken by a live set, and there
	 * are far fewer of those than numbers: the probe ends. */
	id = WEFT_IDENTITY_FIRST_POD + fnv1a32(FNV1A32_OFFSET, e->key, e->key_len) % POD_RANGE;
	while (find_id(ids, id))
		id = WEFT_IDENTITY_FIRST_POD + (id - WEFT_IDENTITY_FIRST_POD + 1) % POD_RANGE;
	e->id = id;
	e->refs = 1;
	hash = ref_hash(&ref);
	if (hash_tab_add(&ids->by_key, hash, e)) {
		free(e);
		return 0;
	}
	if (hash_tab_add(&ids->by_id, id_hash(id), e)) {
		hash_tab_remove(&ids->by_key, hash, e);
		free(e);
		return 0;
	}
	ids->count++;
	return e->id;
}

uint32_t identity_lookup(struct identities *ids, const char *ns, const struct cl_labels *labels)
{
	struct key_ref ref = {ns, labels};
	const struct ident *e = find_key(ids, &ref);

	return e ? e->id : 0;
}

void identity_put(struct identities *ids, uint32_t id)
{
	struct ident *e = find_id(ids, id);

	if (!e || --e->refs)
		return;
	hash_tab_remove(&ids->by_id, id_hash(id), e);
	hash_tab_remove(&ids->by_key, hash_mix64(fnv1a64(FNV1A64_OFFSET, e->key, e->key_len)), e);
	free(e);
	ids->count--;
}

unsigned int identities_count(const struct identities *ids)
{
	return ids->count;
}
