// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A test object the verifier must refuse. It has the real object's programs,
 * maps and .rodata variables (lib/maps.h: the object's own; there are no
 * per-endpoint ones), so weftd gets all the way to the kernel's load before
 * failing: the tests use it to fail an ADD half-way (after IPAM and the
 * veth) and to check that the verifier's reason reaches the user.
 */
#include "lib/common.h"
#include "lib/maps.h"

SEC("tcx/ingress")
int weft_from_pod(struct __sk_buff *skb)
{
	__u8 *data = ctx_data(skb);

	/* No bounds check against data_end: rejected, as intended. */
	return data[skb->ifindex & 0xff];
}

SEC("tcx/egress")
int weft_to_pod(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct weft_ip_key ip = {};

	/* Reference the shared maps so weftd finds them by name. */
	if (bpf_map_lookup_elem(&weft_metrics, &key) || bpf_map_lookup_elem(&weft_endpoints, &ip) ||
	    bpf_map_lookup_elem(&weft_veths, &key))
		return TC_ACT_OK;
	return TC_ACT_OK;
}

/* The real object's tail-call target, so a loader that looks it up by name
 * still gets as far as the verifier. */
SEC("tcx/ingress")
int weft_to_pod_local(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
