/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps shared by every program, declared from WEFT_SHARED_MAPS
 * (bpf/datapath.h says what each holds and why), and weft_map_layout, the
 * object's record of their layouts for weftd.
 */
#ifndef WEFT_BPF_MAPS_H
#define WEFT_BPF_MAPS_H

#include "common.h"
#include "rodata.h"

/* The template of every endpoint's policy map (weft_policy_maps' inner
 * maps): libbpf needs one to create the outer map. Sizes, not __type():
 * clang emits only a forward declaration for a struct that nothing but this
 * unused template refers to, and libbpf cannot size that. */
struct weft_policy_map {
	__uint(type, WEFT_POLICY_MAP_TYPE);
	__uint(key_size, sizeof(struct weft_policy_key));
	__uint(value_size, sizeof(struct weft_policy_value));
	__uint(max_entries, WEFT_POLICY_MAP_MIN_ENTRIES);
	__uint(map_flags, WEFT_POLICY_MAP_FLAGS);
};

/* The last column of WEFT_SHARED_MAPS: a map of maps names its inner map's
 * template (libbpf accepts its value size of 4 next to __array). */
#define WEFT_NO_INNER
#define WEFT_INNER(template) __array(values, struct template);

#define WEFT_MAP_DECLARE(id, name, type_, key_, value_, entries, flags, layout, inner)             \
	struct {                                                                                   \
		__uint(type, type_);                                                               \
		__type(key, key_);                                                                 \
		__type(value, value_);                                                             \
		__uint(max_entries, entries);                                                      \
		__uint(map_flags, flags);                                                          \
		inner                                                                              \
	} name SEC(".maps");

WEFT_SHARED_MAPS(WEFT_MAP_DECLARE)

WEFT_RODATA_OBJECT(WEFT_RODATA_DECLARE)

#endif
