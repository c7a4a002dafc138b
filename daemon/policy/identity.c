// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/datapath.h"
#include "daemon/policy/identity.h"
#include "hash.h"

struct ident {
	uint32_t id;
	unsigned int refs;
	size_t key_len;
	char key[]; /* ns \0 k1 \0 v1 \0 k2 \0 v2 \0 ... */
};

struct identities {
	void *by_key; /* tsearch trees of struct ident */
	void *by_id;
	unsigned int count;
};

#define POD_RANGE ((uint32_t)WEFT_IDENTITY_MAX - WEFT_IDENTITY_FIRST_POD)

static int cmp_key(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;

	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return memcmp(x->key, y->key, x->key_len);
}

static int cmp_id(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int identities_new(struct identities **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void free_node(void *p)
{
	free(p);
}

static void noop(void *p)
{
	(void)p;
}

void identities_free(struct identities *ids)
{
	if (!ids)
		return;
	tdestroy(ids->by_id, noop);
	tdestroy(ids->by_key, free_node);
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
	struct ident *e = make_key(ns, labels), **found;
	struct ident probe;

	if (!e)
		return 0;
	found = tfind(e, &ids->by_key, cmp_key);
	if (found) {
		free(e);
		(*found)->refs++;
		return (*found)->id;
	}
	/* Every number in the range can only be taken by a live set, and there
	 * are far fewer of those than numbers: the probe ends. */
	probe.id =
		WEFT_IDENTITY_FIRST_POD + fnv1a32(FNV1A32_OFFSET, e->key, e->key_len) % POD_RANGE;
	while (tfind(&probe, &ids->by_id, cmp_id))
		probe.id = WEFT_IDENTITY_FIRST_POD +
			   (probe.id - WEFT_IDENTITY_FIRST_POD + 1) % POD_RANGE;
	e->id = probe.id;
	e->refs = 1;
	if (!tsearch(e, &ids->by_key, cmp_key)) {
		free(e);
		return 0;
	}
	if (!tsearch(e, &ids->by_id, cmp_id)) {
		tdelete(e, &ids->by_key, cmp_key);
		free(e);
		return 0;
	}
	ids->count++;
	return e->id;
}

uint32_t identity_lookup(struct identities *ids, const char *ns, const struct cl_labels *labels)
{
	struct ident *e = make_key(ns, labels), **found;
	uint32_t id = 0;

	if (!e)
		return 0;
	found = tfind(e, &ids->by_key, cmp_key);
	if (found)
		id = (*found)->id;
	free(e);
	return id;
}

void identity_put(struct identities *ids, uint32_t id)
{
	struct ident probe = {.id = id}, **found, *e;

	found = tfind(&probe, &ids->by_id, cmp_id);
	if (!found)
		return;
	e = *found;
	if (--e->refs)
		return;
	tdelete(e, &ids->by_id, cmp_id);
	tdelete(e, &ids->by_key, cmp_key);
	free(e);
	ids->count--;
}

unsigned int identities_count(const struct identities *ids)
{
	return ids->count;
}
