/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Set a `.rodata` constant of an opened (not yet loaded) BPF object by the
 * variable's name, found through the object's BTF. weftd does this instead of
 * using skeleton offsets compiled into it, so that a newer object on disk can
 * be loaded by a running weftd during a live upgrade.
 */
#ifndef WEFTD_RODATA_H
#define WEFTD_RODATA_H

#include <stddef.h>

struct bpf_object;

/* 0, or -ENOENT (no such variable; the caller names it), -EINVAL (size
 * mismatch) or -ERANGE (offset outside the section's data). */
int rodata_set(struct bpf_object *obj, const char *name, const void *val, size_t size);
/* Read it back (e.g. the object's own weft_map_layout); same errors. */
int rodata_get(struct bpf_object *obj, const char *name, void *val, size_t size);

#endif
