/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps shared by every per-endpoint program. No pinning attribute: weftd
 * chooses pin paths under its own bpffs root (bpf_map__set_pin_path) and reuses
 * the same maps for every endpoint's copy of the object.
 */
#ifndef WEFT_BPF_MAPS_H
#define WEFT_BPF_MAPS_H

#include "common.h"

/*
 * The layout version of each shared map this object was built with, in the
 * order of weftd's enum maps_shared (endpoints, metrics, policy programs,
 * ipcache, overlay config).
 * weftd reads it from the object before loading it, to pick the pin names and
 * to know which maps an upgrade must migrate. Never read by the programs.
 */
const volatile __u32 weft_map_layout[5] = {WEFT_ENDPOINTS_LAYOUT, WEFT_METRICS_LAYOUT,
					   WEFT_POLICY_PROGS_LAYOUT, WEFT_IPCACHE_LAYOUT,
					   WEFT_OVERLAY_CONFIG_LAYOUT};

/* Local endpoints by pod address: where from-pod delivers without the host stack. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct weft_ip_key);
	__type(value, struct weft_endpoint_info);
	__uint(max_entries, WEFT_MAX_ENDPOINTS);
} weft_endpoints SEC(".maps");

/* Verdict counters, index = direction * WEFT_REASON_MAX + |reason|. Per-CPU so
 * the hot path never contends on a cache line; readers sum the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct weft_metrics_value);
	__uint(max_entries, WEFT_METRICS_ENTRIES);
} weft_metrics SEC(".maps");

/*
 * Each local endpoint's weft_to_pod_local program, at index = its endpoint id
 * (< WEFT_MAX_ENDPOINTS). weft_from_pod tail-calls the destination's program
 * so the destination's to-pod checks run before bpf_redirect_peer() skips its
 * host veth. An empty slot makes the tail call fall through to a plain
 * redirect to the host veth, whose weft_to_pod then runs as before.
 *
 * The kernel only lets programs of the same type and expected_attach_type
 * share a program array (the first program that uses it sets the owner), so
 * every program in here is SEC("tcx/ingress"), like weft_from_pod.
 *
 * The kernel empties a program array when its last user reference goes away
 * (the last fd closed and no pin), so weftd must keep it pinned.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, WEFT_MAX_ENDPOINTS);
} weft_policy_progs SEC(".maps");

/*
 * Remote pod ranges, node addresses and every known pod address, with the
 * identity and the node to tunnel to (struct weft_ipcache_value). Longest
 * prefix wins, so a pod's /32 overrides its node's range. LPM tries must be
 * created without preallocation.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct weft_ipcache_key);
	__type(value, struct weft_ipcache_value);
	__uint(max_entries, WEFT_IPCACHE_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} weft_ipcache SEC(".maps");

/* One entry (key 0): the node's overlay settings (struct weft_overlay_config). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct weft_overlay_config);
	__uint(max_entries, 1);
} weft_overlay_config SEC(".maps");

#endif
