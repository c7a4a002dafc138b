// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "version.h"

const char *const cni_supported_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
const int cni_supported_versions_count = ARRAY_SIZE(cni_supported_versions);

int cni_version_supported(const char *v)
{
	if (!v)
		return 0;
	for (int i = 0; i < cni_supported_versions_count; i++)
		if (!strcmp(v, cni_supported_versions[i]))
			return 1;
	return 0;
}

static void version_parts(const char *v, long parts[3])
{
	char *end;

	for (int i = 0; i < 3; i++) {
		parts[i] = 0;
		if (!v || !*v)
			continue;
		parts[i] = strtol(v, &end, 10);
		v = *end == '.' ? end + 1 : NULL;
	}
}

int cni_version_cmp(const char *a, const char *b)
{
	long pa[3], pb[3];

	version_parts(a, pa);
	version_parts(b, pb);
	for (int i = 0; i < 3; i++)
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	return 0;
}

void cni_versions_list(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < cni_supported_versions_count && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					cni_supported_versions[i]);
}

json_t *cni_version_json(const char *requested)
{
	json_t *list = json_array();
	json_t *j;

	for (int i = 0; list && i < cni_supported_versions_count; i++)
		json_array_append_new(list, json_string(cni_supported_versions[i]));
	j = json_pack("{s:s, s:o}", "cniVersion",
		      requested && *requested ? requested : CNI_VERSION_LATEST, "supportedVersions",
		      list);
	return j;
}
