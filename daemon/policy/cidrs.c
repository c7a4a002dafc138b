// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/datapath.h"
#include "daemon/overlay/ipcache.h"
#include "daemon/policy/cidrs.h"
#include "log.h"

/*
 * A flat array: policies name few distinct prefixes (hundreds, not
 * millions), and the compiler walks them all for every ipBlock anyway.
 * An entry with no references stays until its removal is written.
 */
struct cidr {
	struct weft_prefix prefix;
	uint32_t id;
	unsigned int refs;
	bool in_map; /* what the map holds now */
};

struct cidrs {
	struct cidr *v;
	size_t n, cap;
	unsigned int live;
	uint32_t next_id; /* where the search for a free identity starts */
};

static int grow(struct cidrs *c)
{
	size_t cap = c->cap ? c->cap * 2 : 16;
	struct cidr *v;

	if (c->n < c->cap)
		return 0;
	v = realloc(c->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	c->cap = cap;
	return 0;
}

/* An entry for the prefix @key names, whatever its references. */
static bool find_any(const struct cidrs *c, const struct weft_ipcache_key *key)
{
	struct weft_ipcache_key k;

	for (size_t i = 0; i < c->n; i++) {
		ipcache_key(&c->v[i].prefix, &k);
		if (!memcmp(&k, key, sizeof(k)))
			return true;
	}
	return false;
}

/*
 * What a previous weftd wrote stays in the map with its identity and no
 * reference: a policy naming the prefix again gets the same number (so the
 * restart rewrites nothing), and the first flush removes the rest.
 */
int cidrs_adopt(struct cidrs *c, int map_fd)
{
	struct weft_ipcache_key key, next, *prev = NULL;
	struct weft_policy_cidr val;
	struct cidr *e;
	int err;

	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &val) || find_any(c, &key))
			continue;
		err = grow(c);
		if (err)
			return err;
		e = &c->v[c->n++];
		memset(e, 0, sizeof(*e));
		e->prefix.addr.family = key.family == WEFT_FAMILY_IPV6 ? AF_INET6 : AF_INET;
		memcpy(e->prefix.addr.addr, key.addr, sizeof(key.addr));
		e->prefix.len = (uint8_t)(key.prefixlen - WEFT_IPCACHE_PREFIX_BASE);
		e->id = val.identity;
		e->in_map = true;
	}
	return 0;
}

int cidrs_new(struct cidrs **out)
{
	struct cidrs *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->next_id = WEFT_IDENTITY_FIRST_CIDR;
	*out = c;
	return 0;
}

void cidrs_free(struct cidrs *c)
{
	if (!c)
		return;
	free(c->v);
	free(c);
}

static struct cidr *find(const struct cidrs *c, const struct weft_prefix *p)
{
	for (size_t i = 0; i < c->n; i++)
		if (weft_prefix_equal(&c->v[i].prefix, p))
			return &c->v[i];
	return NULL;
}

static bool id_used(const struct cidrs *c, uint32_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return true;
	return false;
}

/* Identities are handed out round-robin, so a number just freed (whose
 * removal may not be written yet) is the last to come back. */
static int alloc_id(struct cidrs *c, uint32_t *out)
{
	const uint32_t range = WEFT_IDENTITY_CIDR_MAX - WEFT_IDENTITY_FIRST_CIDR;

	if (c->n >= range)
		return -ENOSPC;
	while (id_used(c, c->next_id))
		c->next_id = WEFT_IDENTITY_FIRST_CIDR + (c->next_id + 1 - WEFT_IDENTITY_FIRST_CIDR) % range;
	*out = c->next_id;
	c->next_id = WEFT_IDENTITY_FIRST_CIDR + (c->next_id + 1 - WEFT_IDENTITY_FIRST_CIDR) % range;
	return 0;
}

int cidrs_ref(struct cidrs *c, const struct weft_prefix *p)
{
	struct cidr *e = find(c, p);
	int err;

	if (e) {
		if (!e->refs++)
			c->live++;
		return 0;
	}
	err = grow(c);
	if (err)
		return err;
	e = &c->v[c->n];
	memset(e, 0, sizeof(*e));
	err = alloc_id(c, &e->id);
	if (err)
		return err;
	e->prefix = *p;
	e->refs = 1;
	c->n++;
	c->live++;
	return 0;
}

void cidrs_unref(struct cidrs *c, const struct weft_prefix *p)
{
	struct cidr *e = find(c, p);

	if (e && e->refs && !--e->refs)
		c->live--;
}

uint32_t cidrs_identity(const struct cidrs *c, const struct weft_prefix *p)
{
	const struct cidr *e = find(c, p);

	return e && e->refs ? e->id : 0;
}

const struct weft_prefix *cidrs_prefix(const struct cidrs *c, uint32_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id && c->v[i].refs)
			return &c->v[i].prefix;
	return NULL;
}

int cidrs_for_each_within(const struct cidrs *c, const struct weft_prefix *p,
			  int (*fn)(void *ctx, const struct weft_prefix *q, uint32_t id), void *ctx)
{
	int err;

	for (size_t i = 0; i < c->n; i++) {
		if (!c->v[i].refs || !weft_prefix_within(&c->v[i].prefix, p))
			continue;
		err = fn(ctx, &c->v[i].prefix, c->v[i].id);
		if (err)
			return err;
	}
	return 0;
}

static int write_one(int map_fd, struct cidr *e)
{
	struct weft_policy_cidr val = {.identity = e->id};
	struct weft_ipcache_key key;
	char buf[WEFT_PREFIX_STRLEN];
	bool want = e->refs > 0;
	int err = 0;

	if (want == e->in_map)
		return 0;
	ipcache_key(&e->prefix, &key);
	err = want ? bpf_map_update_elem(map_fd, &key, &val, BPF_ANY)
		   : bpf_map_delete_elem(map_fd, &key);
	if (err == -ENOENT && !want)
		err = 0;
	if (err) {
		pr_warn("weft_policy_cidrs: cannot %s %s (identity %u): %s", want ? "add" : "remove",
			weft_prefix_format(&e->prefix, buf, sizeof(buf)), e->id, strerror(-err));
		return err;
	}
	e->in_map = want;
	return 0;
}

int cidrs_flush(struct cidrs *c, int map_fd)
{
	size_t i = 0;
	int first = 0, err;

	while (i < c->n) {
		struct cidr *e = &c->v[i];

		err = map_fd >= 0 ? write_one(map_fd, e) : 0;
		if (err && !first)
			first = err;
		if (!e->refs && !e->in_map) {
			c->v[i] = c->v[--c->n];
			continue;
		}
		i++;
	}
	return first;
}

unsigned int cidrs_count(const struct cidrs *c)
{
	return c->live;
}
