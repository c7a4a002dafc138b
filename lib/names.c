// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <string.h>

#include "names.h"

bool weft_valid_name(const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > max || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

bool weft_valid_ifname(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > WEFT_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	}
	return true;
}
