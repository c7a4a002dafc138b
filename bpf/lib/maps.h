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

#define WEFT_MAP_DECLARE(id, name, type_, key_, value_, entries, flags, layout)                    \
	struct {                                                                                   \
		__uint(type, type_);                                                               \
		__type(key, key_);                                                                 \
		__type(value, value_);                                                             \
		__uint(max_entries, entries);                                                      \
		__uint(map_flags, flags);                                                          \
	} name SEC(".maps");

WEFT_SHARED_MAPS(WEFT_MAP_DECLARE)

WEFT_RODATA_OBJECT(WEFT_RODATA_DECLARE)

#endif
