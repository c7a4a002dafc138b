// SPDX-License-Identifier: Apache-2.0
/* CNI spec versions: which ones we speak, how they compare, the VERSION reply. */
#ifndef WEFT_CNI_VERSION_H
#define WEFT_CNI_VERSION_H

#include <jansson.h>

#define CNI_VERSION_LATEST "1.1.0"

extern const char *const cni_supported_versions[];
extern const int cni_supported_versions_count;

/* 1 when @v is one we can emit, else 0. */
int cni_version_supported(const char *v);
/* strcmp-like on "major.minor.patch"; a part that does not parse counts as 0. */
int cni_version_cmp(const char *a, const char *b);
/* "0.3.0, 0.3.1, ..." into @buf. */
void cni_versions_list(char *buf, size_t len);
/* {"cniVersion": @requested or latest, "supportedVersions": [...]}; new reference. */
json_t *cni_version_json(const char *requested);

#endif
