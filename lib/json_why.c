// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_why.h"

int json_why_set(char *why, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (why && sz) {
		va_start(ap, fmt);
		vsnprintf(why, sz, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]))
			return false;
	return true;
}

/* The input ended inside a value: the writer stopped short (jansson's
 * words for it; an error at the last byte is not enough, "nonsense" is one). */
static bool cut_short(const json_error_t *e)
{
	return strstr(e->text, "near end of file") ||
	       !strncmp(e->text, "premature end of input", strlen("premature end of input"));
}

json_t *json_why_load(const char *text, size_t len, char *why, size_t sz)
{
	json_error_t jerr;
	json_t *obj;

	if (blank(text, len)) {
		json_why_set(why, sz, "empty");
		return NULL;
	}
	obj = json_loadb(text, len, 0, &jerr);
	if (!obj) {
		json_why_set(why, sz, "%s: line %d: %s",
			     cut_short(&jerr) ? "truncated" : "not JSON", jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_why_set(why, sz, "not a JSON object");
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static const char *type_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int json_why_field(json_t *obj, const char *key, json_type type, json_t **out, char *why, size_t sz)
{
	json_t *v = json_object_get(obj, key);
	bool ok;

	if (!v)
		return json_why_set(why, sz, "field '%s' missing", key);
	if (type == JSON_TRUE || type == JSON_FALSE)
		ok = json_is_boolean(v);
	else
		ok = json_typeof(v) == type;
	if (!ok)
		return json_why_set(why, sz, "field '%s' is not %s", key, type_name(type));
	*out = v;
	return 0;
}
