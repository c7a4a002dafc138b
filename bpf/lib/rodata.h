/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Declares the .rodata variables of a WEFT_RODATA_* table (bpf/datapath.h):
 * WEFT_RODATA_OBJECT(WEFT_RODATA_DECLARE) (bpf/lib/maps.h) gives every object
 * the variables weftd reads before it loads one, under the names and sizes
 * weftd expects.
 *
 * const volatile: .rodata is frozen at load, so the verifier reads them as
 * known scalars and prunes the branches they decide. Initialised explicitly
 * so clang places them in .rodata and not in .bss.
 */
#ifndef WEFT_BPF_RODATA_H
#define WEFT_BPF_RODATA_H

#include "common.h"

#define WEFT_RODATA_DECLARE(name, type, dims, init) const volatile type name dims = init;

#endif
