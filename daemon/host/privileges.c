// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "array.h"
#include "daemon/host/privileges.h"
#include "log.h"

/*
 * What weftd does with each (the kernel checks, not guesses: every bats
 * suite runs weftd so confined):
 *  NET_ADMIN  links (weft_vxlan), addresses, routes, tc programs (the
 *             pods' cls_bpf filters, the overlay's tcx links), the SNAT table (nft, spawned: it inherits
 *             the bounding set below as root), net.ipv4.ip_forward
 *  BPF        programs, maps, BTF, pins
 *  PERFMON    the verifier's full analysis (pointer arithmetic a program
 *             without it would have rewritten with Spectre-v1 masking)
 *  SYS_ADMIN  mounting the bpffs when there is none, BPF_MAP_GET_FD_BY_ID
 *             and BPF_PROG_GET_FD_BY_ID (policy inner maps, live upgrade),
 *             which the kernel grants to nothing less
 * Not kept: DAC_OVERRIDE and FOWNER (weftd's files are root's own, uid 0 is
 * enough), NET_RAW, NET_BIND_SERVICE (a --metrics-addr port below 1024
 * fails: choose another), SYS_RESOURCE (BPF memory is charged to the cgroup),
 * SYS_PTRACE (weftd never enters a pod's namespace: the plugin does), SETPCAP
 * once the bounding set is narrowed.
 */
static const cap_value_t kept[] = {CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN};
static const char *const kept_names[] = {"CAP_NET_ADMIN", "CAP_BPF", "CAP_PERFMON",
					 "CAP_SYS_ADMIN"};

uint64_t privileges_kept_mask(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		m |= 1ULL << kept[i];
	return m;
}

static bool is_kept(cap_value_t c)
{
	return privileges_kept_mask() & (1ULL << c);
}

/* The bounding set: every capability not kept goes. Needs SETPCAP while
 * there is anything to drop; a container whose bounding set is already the
 * kept list (the DaemonSet) has nothing to drop and no SETPCAP. */
static int narrow_bounding(void)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (is_kept(c) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c)) {
			int err = -errno;

			pr_warn("privileges: cannot drop capability %d from the bounding set "
				"(dropping needs CAP_SETPCAP): %s",
				c, strerror(-err));
			return err;
		}
	}
	return 0;
}

int privileges_drop(void)
{
	cap_t caps;
	cap_flag_value_t have;
	int err;

	caps = cap_get_proc();
	if (!caps)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
		if (cap_get_flag(caps, kept[i], CAP_PERMITTED, &have) || have != CAP_SET) {
			pr_warn("privileges: weftd needs %s, which it was not given", kept_names[i]);
			err = -EPERM;
			goto free_caps;
		}
	}
	err = narrow_bounding();
	if (err)
		goto free_caps;
	if (cap_clear(caps) || cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(kept), kept, CAP_SET) ||
	    cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(kept), kept, CAP_SET) || cap_set_proc(caps)) {
		err = -errno;
		pr_warn("privileges: cannot set the capabilities: %s", strerror(-err));
		goto free_caps;
	}
	/* Nothing inheritable was set above; no ambient one may stay either. */
	if (cap_reset_ambient() || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		pr_warn("privileges: cannot clear the ambient set or set no-new-privs: %s",
			strerror(-err));
		goto free_caps;
	}
	pr_debug("privileges: kept NET_ADMIN, BPF, PERFMON, SYS_ADMIN; bounding set the same; "
		 "no-new-privs");
free_caps:
	cap_free(caps);
	return err;
}
