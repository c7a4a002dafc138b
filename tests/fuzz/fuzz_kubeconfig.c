// SPDX-License-Identifier: Apache-2.0
/*
 * weftd --kubeconfig (daemon/k8s/kubeconfig.c, libyaml) and the base64 of its
 * inline certificates. A parsed kubeconfig always names a server that is
 * https://, and decoded base64 is at most 3/4 of its text.
 */
#include <string.h>

#include "daemon/k8s/kubeconfig.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8s_kubeconfig kc;
	char err[512], *text, *out;
	size_t len;

	memset(&kc, 0, sizeof(kc));
	if (!k8s_kubeconfig_parse((const char *)data, size, "/etc/weft", &kc, err, sizeof(err))) {
		FUZZ_ASSERT(kc.server && !strncmp(kc.server, "https://", 8),
			    "a kubeconfig taken without an https server");
		FUZZ_ASSERT(!(kc.ca.file && kc.ca.data), "both a CA file and CA data");
		k8s_kubeconfig_free(&kc);
	} else {
		FUZZ_ASSERT(err[0], "a kubeconfig refused without a reason");
	}
	text = fuzz_cstr(data, size);
	if (!k8s_base64_decode(text, &out, &len)) {
		FUZZ_ASSERT(len <= size / 4 * 3 + 3 && !out[len], "%zu bytes out of %zu", len,
			    size);
		free(out);
	}
	free(text);
	return 0;
}
