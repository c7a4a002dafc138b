// SPDX-License-Identifier: Apache-2.0
/*
 * The plugin's environment (cni/env.c): CNI_ARGS ("K=V;K=V", with the
 * K8S_POD_* keys) and the names the environment carries (CNI_COMMAND,
 * CNI_CONTAINERID, CNI_IFNAME), each as one NUL-separated field of the
 * input. What cni_args_parse() keeps must be NUL-terminated within its field.
 */
#include <string.h>

#include "cni/env.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_error err = {0};
	struct cni_k8s k8s;
	const uint8_t *rec;
	size_t off = 0, len;
	char *s;
	int field = 0;

	while (fuzz_next_record(data, size, &off, '\0', &rec, &len)) {
		s = fuzz_cstr(rec, len);
		switch (field++ % 3) {
		case 0:
			if (!cni_args_parse(s, &k8s, &err))
				FUZZ_ASSERT(strnlen(k8s.namespace, sizeof(k8s.namespace)) <
							    sizeof(k8s.namespace) &&
						    strnlen(k8s.name, sizeof(k8s.name)) <
							    sizeof(k8s.name) &&
						    strnlen(k8s.uid, sizeof(k8s.uid)) <
							    sizeof(k8s.uid),
					    "a K8S_POD_* value is not terminated");
			break;
		case 1:
			(void)cni_cmd_parse(s);
			if (!cni_valid_container_id(s))
				FUZZ_ASSERT(*s && strlen(s) <= 255, "container id \"%s\" passed",
					    s);
			break;
		default:
			if (!cni_valid_ifname(s))
				FUZZ_ASSERT(*s && strlen(s) <= 15 && !strchr(s, '/'),
					    "ifname \"%s\" passed", s);
			break;
		}
		free(s);
	}
	return 0;
}
