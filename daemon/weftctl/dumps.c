// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "dumps.h"
#include "policy.h"
#include "table.h"

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key)) ?: "";
}

static long long num(json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

/* ["replied", "rst"] -> "replied,rst"; "-" when empty. */
static void join(json_t *arr, char *buf, size_t sz)
{
	size_t i, off = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach (arr, i, v)
		off += (size_t)snprintf(buf + off, off < sz ? sz - off : 0, "%s%s", i ? "," : "",
					json_string_value(v) ?: "");
	if (!buf[0])
		snprintf(buf, sz, "-");
}

/* "10.244.1.5:80 (x/a)" */
static void endpoint_text(json_t *row, const char *addr, const char *port, const char *pod,
			  char *buf, size_t sz)
{
	const char *p = str(row, pod);

	snprintf(buf, sz, "%s:%lld%s%s%s", str(row, addr), num(row, port), *p ? " (" : "", p,
		 *p ? ")" : "");
}

static int ct_fill(struct table *t, json_t *r)
{
	char src[600], dst[600], flags[64], exp[32], pk[48], by[48];
	json_t *p = json_object_get(r, "packets"), *b = json_object_get(r, "bytes");

	endpoint_text(r, "src", "sport", "srcPod", src, sizeof(src));
	endpoint_text(r, "dst", "dport", "dstPod", dst, sizeof(dst));
	join(json_object_get(r, "flags"), flags, sizeof(flags));
	snprintf(exp, sizeof(exp), "%.0fs", json_number_value(json_object_get(r, "expiresIn")));
	snprintf(pk, sizeof(pk), "%lld/%lld", num(p, "forward"), num(p, "reverse"));
	snprintf(by, sizeof(by), "%lld/%lld", num(b, "forward"), num(b, "reverse"));
	const char *row[] = {str(r, "protocol"), src, dst, str(r, "state"), exp, pk, by, flags};
	return table_add(t, row);
}

int dumps_print_ct(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"PROTO",   "SOURCE",		"DESTINATION",	 "STATE",
					  "EXPIRES", "PACKETS FWD/REV", "BYTES FWD/REV", "FLAGS"};
	json_t *rows = json_object_get(reply, "entries");

	(void)ctl;
	if (num(reply, "total") > (long long)json_array_size(rows))
		printf("%zu of %lld flows shown\n", json_array_size(rows), num(reply, "total"));
	return table_print_rows(8, hdr, rows, ct_fill);
}

static int ipcache_fill(struct table *t, json_t *r)
{
	char id[24], peer[512], flags[64];

	snprintf(id, sizeof(id), "%lld", num(r, "identity"));
	peer_text(json_object_get(r, "peer"), peer, sizeof(peer));
	join(json_object_get(r, "flags"), flags, sizeof(flags));
	const char *row[] = {str(r, "prefix"), id, peer, *str(r, "tunnel") ? str(r, "tunnel") : "-",
			     flags};
	return table_add(t, row);
}

int dumps_print_ipcache(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"PREFIX", "IDENTITY", "PEER", "TUNNEL", "FLAGS"};

	(void)ctl;
	return table_print_rows(5, hdr, json_object_get(reply, "entries"), ipcache_fill);
}

static int identity_fill(struct table *t, json_t *r)
{
	char id[24], peer[512];

	snprintf(id, sizeof(id), "%lld", num(r, "identity"));
	peer_text(r, peer, sizeof(peer));
	const char *row[] = {id, str(r, "kind"), peer};
	return table_add(t, row);
}

int dumps_print_identities(const struct ctl *ctl, json_t *reply)
{
	static const char *const hdr[] = {"IDENTITY", "KIND", "WHAT"};

	(void)ctl;
	return table_print_rows(3, hdr, json_object_get(reply, "identities"), identity_fill);
}
