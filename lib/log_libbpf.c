// SPDX-License-Identifier: Apache-2.0
/* Kept apart from log.c so that binaries without libbpf (the CNI plugin) link. */
#include <bpf/libbpf.h>

#include "log.h"

/* libbpf's warnings (e.g. the verifier log on a failed load) are worth showing;
 * its info chatter is debug for us. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum weft_log_level ours = LOG_LEVEL_DEBUG;

	if (level == LIBBPF_WARN)
		ours = LOG_LEVEL_WARN;
	else if (level == LIBBPF_INFO)
		ours = LOG_LEVEL_DEBUG;
	weft_vlog(ours, fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
