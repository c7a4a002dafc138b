/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `.rodata` variables of the BPF objects, from the tables in
 * bpf/datapath.h (WEFT_RODATA_OBJECT), read in an opened (not yet loaded)
 * object by name through the object's BTF. weftd does this instead of using
 * skeleton offsets compiled into it, so that a newer object on disk can be
 * loaded by a running weftd during a live upgrade. (The pod programs have no
 * per-endpoint constants: they read their pod from weft_veths.)
 */
#ifndef WEFTD_RODATA_H
#define WEFTD_RODATA_H

#include <stddef.h>

#include "bpf/datapath.h"

#define RODATA_FIELD(name, type, dims, init) type name dims;
/* What every object declares for weftd to read before loading it. */
struct rodata_object {
	WEFT_RODATA_OBJECT(RODATA_FIELD)
};
#undef RODATA_FIELD

/* weftd's row of each variable: its size, and where it sits in struct
 * rodata_object. */
struct rodata_def {
	const char *name;
	size_t size;
	size_t offset;
};

extern const struct rodata_def rodata_defs[];
extern const size_t rodata_nr;

struct bpf_object;

/* Read the object's WEFT_RODATA_OBJECT variables into @v. 0, or -ENOENT (a
 * variable is missing), -EINVAL (its size differs, logged) or -ERANGE; on
 * error *@failed names the variable. */
int rodata_get_object(struct bpf_object *obj, struct rodata_object *v, const char **failed);

#endif
