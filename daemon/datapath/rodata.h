/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `.rodata` variables of the BPF objects, from the tables in
 * bpf/datapath.h (WEFT_RODATA_OBJECT, WEFT_RODATA_ENDPOINT), set or read in an
 * opened (not yet loaded) object by name through the object's BTF. weftd does
 * this instead of using skeleton offsets compiled into it, so that a newer
 * object on disk can be loaded by a running weftd during a live upgrade.
 */
#ifndef WEFTD_RODATA_H
#define WEFTD_RODATA_H

#include <stdbool.h>
#include <stddef.h>

#include "bpf/datapath.h"

#define RODATA_FIELD(name, type, dims, init) type name dims;
/* What every object declares for weftd to read before loading it. */
struct rodata_object {
	WEFT_RODATA_OBJECT(RODATA_FIELD)
};
/* One endpoint's constants in weft_pod.bpf.o. */
struct rodata_endpoint {
	WEFT_RODATA_ENDPOINT(RODATA_FIELD)
};
#undef RODATA_FIELD

/* weftd's row of each variable: its size, and where it sits in struct
 * rodata_endpoint (endpoint) or struct rodata_object (not). */
struct rodata_def {
	const char *name;
	size_t size;
	size_t offset;
	bool endpoint; /* weft_pod.bpf.o only; else in every object */
};

extern const struct rodata_def rodata_defs[];
extern const size_t rodata_nr;

struct bpf_object;

/* Read the object's WEFT_RODATA_OBJECT variables into @v. 0, or -ENOENT (a
 * variable is missing), -EINVAL (its size differs, logged) or -ERANGE; on
 * error *@failed names the variable. */
int rodata_get_object(struct bpf_object *obj, struct rodata_object *v, const char **failed);
/* Set the per-endpoint constants of weft_pod.bpf.o from @v; errors as above. */
int rodata_set_endpoint(struct bpf_object *obj, const struct rodata_endpoint *v,
			const char **failed);

#endif
