/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Why a record file did not parse, in words an operator can act on:
 * "empty", "truncated: line 1: ...", "not JSON: line 3: ...",
 * "field 'ips' missing", "field 'id' is not an integer". Shared by weftd's
 * state files and the plugin's pending-DEL records.
 */
#ifndef WEFT_JSON_WHY_H
#define WEFT_JSON_WHY_H

#include <jansson.h>
#include <stddef.h>

#define JSON_WHY_MAX 200

/* json_loads() of @text (@len bytes) as an object. The object, or NULL with
 * the reason in @why (@why may be NULL). */
json_t *json_why_load(const char *text, size_t len, char *why, size_t sz);
/* @obj's member @key of @type (a JSON_* value; JSON_TRUE stands for any
 * boolean) into *@out. 0, or -EINVAL with "field '@key' missing" or
 * "field '@key' is not a <type>" in @why. */
int json_why_field(json_t *obj, const char *key, json_type type, json_t **out, char *why,
		   size_t sz);
/* printf into @why when it is not NULL; returns -EINVAL for "return why(...)". */
int json_why_set(char *why, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
