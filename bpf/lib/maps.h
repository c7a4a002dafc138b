/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps shared by every per-endpoint program. No pinning attribute: weftd
 * chooses pin paths under its own bpffs root (bpf_map__set_pin_path) and reuses
 * the same maps for every endpoint's copy of the object.
 */
#ifndef WEFT_BPF_MAPS_H
#define WEFT_BPF_MAPS_H

#include "common.h"

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

#endif
