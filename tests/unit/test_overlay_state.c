// SPDX-License-Identifier: Apache-2.0
/*
 * The overlay's pure bookkeeping: identity allocation (deterministic numbers,
 * shared by equal label sets, reference counted, collisions probed) and the
 * ipcache diff (only differences reach the map, no remove-then-add window,
 * failed writes retried, entries of a previous weftd adopted and pruned). The
 * map is a recorder here; tests/bats/55-overlay.bats runs the real one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/cluster/cluster.h"
#include "daemon/policy/identity.h"
#include "daemon/overlay/ipcache.h"
#include "testing.h"

static struct cl_labels labels(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct cl_labels l = {0};

	if (k1 && cl_labels_add(&l, k1, v1))
		abort();
	if (k2 && cl_labels_add(&l, k2, v2))
		abort();
	return l;
}

static void test_identity(void)
{
	struct cl_labels web = labels("app", "web", "tier", "front");
	/* The same set added in the other order: cl_labels sorts it. */
	struct cl_labels web2 = labels("tier", "front", "app", "web");
	struct cl_labels db = labels("app", "db", NULL, NULL);
	struct cl_labels none = {0};
	struct identities *ids, *again;
	uint32_t a, b, c, d, e;

	CHECK_INT(identities_new(&ids), 0, "identity: new table");
	a = identity_get(ids, "default", &web);
	b = identity_get(ids, "default", &web2);
	c = identity_get(ids, "default", &db);
	d = identity_get(ids, "prod", &web);
	e = identity_get(ids, "default", &none);
	CHECK(a >= WEFT_IDENTITY_FIRST_POD && a < WEFT_IDENTITY_MAX,
	      "identity: pod identities from %d up (got %u)", WEFT_IDENTITY_FIRST_POD, a);
	CHECK_INT(b, a, "identity: equal label sets share one, whatever the order");
	CHECK(c != a && d != a && e != a && d != c && e != c && e != d,
	      "identity: other labels, other namespace, no labels: all distinct");
	CHECK_INT(identities_count(ids), 4, "identity: 4 in use");
	CHECK_INT(identity_lookup(ids, "default", &db), c, "identity: lookup takes no reference");

	/* Same numbers in a fresh table, asked in another order: deterministic. */
	CHECK_INT(identities_new(&again), 0, "identity: second table");
	CHECK_INT(identity_get(again, "default", &none), e, "identity: deterministic (no labels)");
	CHECK_INT(identity_get(again, "prod", &web), d, "identity: deterministic (prod/web)");
	CHECK_INT(identity_get(again, "default", &web), a, "identity: deterministic (web)");
	identities_free(again);

	/* References: web has two, so one put keeps it. */
	identity_put(ids, a);
	CHECK_INT(identity_lookup(ids, "default", &web), a, "identity: kept while referenced");
	identity_put(ids, a);
	CHECK_INT(identity_lookup(ids, "default", &web), 0, "identity: freed with the last");
	CHECK_INT(identities_count(ids), 3, "identity: 3 in use");
	identity_put(ids, 12345); /* unknown: ignored */
	CHECK_INT(identities_count(ids), 3, "identity: unknown put ignored");
	identities_free(ids);

	cl_labels_clear(&web);
	cl_labels_clear(&web2);
	cl_labels_clear(&db);
}

/* Many distinct sets in one table: every number unique and in range, even
 * if some hash to the same slot (probing). */
static void test_identity_many(void)
{
	struct identities *ids;
	uint32_t *seen;
	char v[16];
	int n = 5000, dup = 0, out = 0;

	seen = calloc(n, sizeof(*seen));
	if (!seen || identities_new(&ids))
		abort();
	for (int i = 0; i < n; i++) {
		struct cl_labels l = {0};

		snprintf(v, sizeof(v), "p%d", i);
		cl_labels_add(&l, "app", v);
		seen[i] = identity_get(ids, "default", &l);
		cl_labels_clear(&l);
		if (seen[i] < WEFT_IDENTITY_FIRST_POD || seen[i] >= WEFT_IDENTITY_MAX)
			out++;
		for (int j = 0; j < i; j++)
			dup += seen[j] == seen[i];
	}
	CHECK(dup == 0 && out == 0, "identity: %d sets, %d duplicates, %d out of range", n, dup,
	      out);
	CHECK_INT(identities_count(ids), n, "identity: %d in use", n);
	identities_free(ids);
	free(seen);
}

/* --- ipcache -------------------------------------------------------------- */

struct recorder {
	int updates, deletes, batches;
	unsigned int batch_limit; /* a batch call writes this many, then fails */
	int fail;		  /* -errno to return from the next writes */
	struct weft_ipcache_key last_key;
	struct weft_ipcache_value last_val;
};

static int rec_update(void *ctx, const struct weft_ipcache_key *key,
		      const struct weft_ipcache_value *val)
{
	struct recorder *r = ctx;

	if (r->fail)
		return r->fail;
	r->updates++;
	r->last_key = *key;
	r->last_val = *val;
	return 0;
}

static int rec_delete(void *ctx, const struct weft_ipcache_key *key)
{
	struct recorder *r = ctx;

	if (r->fail)
		return r->fail;
	r->deletes++;
	r->last_key = *key;
	return 0;
}

static int rec_update_batch(void *ctx, const struct weft_ipcache_key *keys,
			    const struct weft_ipcache_value *vals, unsigned int *count)
{
	struct recorder *r = ctx;
	unsigned int want = *count, n = want < r->batch_limit ? want : r->batch_limit;

	r->batches++;
	for (unsigned int i = 0; i < n; i++)
		rec_update(r, &keys[i], &vals[i]);
	*count = n;
	return n < want ? -ENOSPC : 0;
}

static struct weft_prefix pfx(const char *s)
{
	struct weft_prefix p;

	if (weft_prefix_parse(s, &p))
		abort();
	return p;
}

static struct weft_ipcache_value tunnel(uint32_t identity, uint8_t last_octet)
{
	struct weft_ipcache_value v = {.identity = identity, .tunnel_family = WEFT_FAMILY_IPV4};
	uint8_t *a = (uint8_t *)v.tunnel_addr;

	a[0] = 192, a[1] = 0, a[2] = 2, a[3] = last_octet;
	return v;
}

static void test_ipcache(void)
{
	struct recorder r = {0};
	struct ipcache_ops ops = {.update = rec_update, .delete = rec_delete, .ctx = &r};
	struct weft_prefix cidr = pfx("10.244.2.0/24"), pod = pfx("10.244.2.7/32");
	struct weft_prefix other = pfx("10.244.9.0/24"), stale = pfx("10.244.5.0/24");
	struct weft_ipcache_value v1 = tunnel(0, 12), v2 = tunnel(0, 13), vp = tunnel(300, 12);
	struct weft_ipcache_key key;
	struct ipcache *ic;

	CHECK_INT(ipcache_new(&ops, &ic), 0, "ipcache: new");

	ipcache_key(&cidr, &key);
	CHECK(key.prefixlen == WEFT_IPCACHE_PREFIX_BASE + 24 && key.family == WEFT_FAMILY_IPV4 &&
		      ((uint8_t *)key.addr)[0] == 10 && ((uint8_t *)key.addr)[2] == 2 &&
		      key.addr[1] == 0 && key.addr[3] == 0 && !key.pad[0],
	      "ipcache: key = base + prefix length, family, address, zero padding");

	ipcache_set(ic, &cidr, &v1);
	ipcache_set(ic, &pod, &vp);
	CHECK_INT(r.updates, 0, "ipcache: nothing written before the flush");
	CHECK_INT(ipcache_flush(ic), 0, "ipcache: flush");
	CHECK(r.updates == 2 && r.deletes == 0, "ipcache: 2 new entries written (got %d, %d)",
	      r.updates, r.deletes);

	/* A node UPDATE redoing its entries unchanged: no write at all. */
	ipcache_unset(ic, &cidr);
	ipcache_set(ic, &cidr, &v1);
	ipcache_flush(ic);
	CHECK(r.updates == 2 && r.deletes == 0, "ipcache: unset + same set = no write");

	/* Its address changed: one update, never a delete first. */
	ipcache_unset(ic, &cidr);
	ipcache_set(ic, &cidr, &v2);
	ipcache_flush(ic);
	CHECK(r.updates == 3 && r.deletes == 0 && !memcmp(&r.last_val, &v2, sizeof(v2)),
	      "ipcache: unset + new value = one update, no delete");

	/* Set then unset before a flush: never reaches the map. */
	ipcache_set(ic, &other, &v1);
	ipcache_unset(ic, &other);
	ipcache_flush(ic);
	CHECK(r.updates == 3 && r.deletes == 0, "ipcache: set + unset = nothing");
	CHECK_INT(ipcache_count(ic), 2, "ipcache: 2 wanted");

	/* A failed write stays pending and is retried. */
	r.fail = -ENOSPC;
	ipcache_unset(ic, &pod);
	CHECK_INT(ipcache_flush(ic), -ENOSPC, "ipcache: write error reported");
	CHECK_INT(ipcache_pending(ic), 1, "ipcache: the failed delete stays pending");
	r.fail = 0;
	CHECK_INT(ipcache_flush(ic), 0, "ipcache: retried");
	CHECK(r.deletes == 1 && ipcache_pending(ic) == 0, "ipcache: delete done on the retry");
	CHECK(ipcache_get(ic, &pod) == NULL && ipcache_get(ic, &cidr) != NULL,
	      "ipcache: get sees wanted entries only");

	/* A previous weftd's entries: one the model has again (same value:
	 * no write), one it does not (deleted by the prune). */
	ipcache_key(&pod, &key);
	CHECK_INT(ipcache_adopt(ic, &key, &vp), 0, "ipcache: adopt the pod entry");
	ipcache_key(&stale, &key);
	CHECK_INT(ipcache_adopt(ic, &key, &v1), 0, "ipcache: adopt a stale range");
	ipcache_set(ic, &pod, &vp);
	ipcache_flush(ic);
	CHECK(r.updates == 3 && r.deletes == 1,
	      "ipcache: adopted entry equal to the model: no write");
	ipcache_prune(ic);
	ipcache_flush(ic);
	CHECK(r.updates == 3 && r.deletes == 2 &&
		      r.last_key.prefixlen == WEFT_IPCACHE_PREFIX_BASE + 24 &&
		      ((uint8_t *)r.last_key.addr)[2] == 5,
	      "ipcache: prune deletes only the entry the model no longer has");
	CHECK_INT(ipcache_count(ic), 2, "ipcache: 2 wanted after the prune");
	ipcache_free(ic);
}

/* Updates go in one batch call; what it did not write goes one by one. */
static void test_ipcache_batch(void)
{
	struct recorder r = {.batch_limit = 1000};
	struct ipcache_ops ops = {.update = rec_update,
				  .delete = rec_delete,
				  .update_batch = rec_update_batch,
				  .ctx = &r};
	struct weft_ipcache_value v = tunnel(300, 12);
	struct weft_prefix p;
	struct ipcache *ic;
	char s[32];

	CHECK_INT(ipcache_new(&ops, &ic), 0, "ipcache batch: new");
	for (int i = 0; i < 10; i++) {
		snprintf(s, sizeof(s), "10.244.3.%d/32", i);
		p = pfx(s);
		ipcache_set(ic, &p, &v);
	}
	CHECK_INT(ipcache_flush(ic), 0, "ipcache batch: flush");
	CHECK(r.batches == 1 && r.updates == 10 && !ipcache_pending(ic),
	      "ipcache batch: 10 updates in one call (got %d calls, %d updates)", r.batches,
	      r.updates);
	ipcache_flush(ic);
	CHECK(r.batches == 1 && r.updates == 10, "ipcache batch: written entries are in sync");

	/* A batch stopped after 3 of 10: the other 7 one by one. */
	r.batch_limit = 3;
	v = tunnel(301, 12);
	for (int i = 0; i < 10; i++) {
		snprintf(s, sizeof(s), "10.244.3.%d/32", i);
		p = pfx(s);
		ipcache_set(ic, &p, &v);
	}
	CHECK_INT(ipcache_flush(ic), 0, "ipcache batch: flush after a short batch");
	CHECK(r.batches == 2 && r.updates == 20 && !ipcache_pending(ic),
	      "ipcache batch: 3 in the batch, 7 alone (got %d calls, %d updates)", r.batches,
	      r.updates);
	ipcache_free(ic);
}

int main(void)
{
	test_identity();
	test_identity_many();
	test_ipcache();
	test_ipcache_batch();
	return test_done();
}
