// SPDX-License-Identifier: Apache-2.0
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "array.h"
#include "log.h"
#include "daemon/datapath/rodata.h"

#define RODATA_DEF(name_, type, dims, init)                                                        \
	{.name = #name_,                                                                           \
	 .size = sizeof(type dims),                                                                \
	 .offset = offsetof(struct rodata_object, name_)},

const struct rodata_def rodata_defs[] = {WEFT_RODATA_OBJECT(RODATA_DEF)};
const size_t rodata_nr = ARRAY_SIZE(rodata_defs);

/* The bytes of .rodata variable @name in @obj's initial image: 0 with *@ptr
 * and *@size, or -ENOENT / -ERANGE. */
static int rodata_find(struct bpf_object *obj, const char *name, void **ptr, size_t *size)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var;
	struct bpf_map *map;
	struct btf *btf;
	size_t data_sz;
	void *data;
	int id;

	btf = bpf_object__btf(obj);
	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	map = bpf_object__find_map_by_name(obj, ".rodata");
	if (!map)
		return -ENOENT;
	data = bpf_map__initial_value(map, &data_sz);
	if (!data)
		return -ENOENT;
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (!var || !btf_is_var(var) ||
		    strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		if ((size_t)vs->offset + vs->size > data_sz)
			return -ERANGE;
		*ptr = (char *)data + vs->offset;
		*size = vs->size;
		return 0;
	}
	return -ENOENT;
}

/* Copy the variable's @size bytes into @val; its size must match. */
static int rodata_read(struct bpf_object *obj, const char *name, void *val, size_t size)
{
	size_t have;
	void *p;
	int err;

	err = rodata_find(obj, name, &p, &have);
	if (err)
		return err;
	if (have != size) {
		pr_warn("rodata: %s has %zu bytes in the object, weftd reads %zu", name, have,
			size);
		return -EINVAL;
	}
	memcpy(val, p, size);
	return 0;
}

int rodata_get_object(struct bpf_object *obj, struct rodata_object *v, const char **failed)
{
	int err;

	for (size_t i = 0; i < rodata_nr; i++) {
		*failed = rodata_defs[i].name;
		err = rodata_read(obj, rodata_defs[i].name, (char *)v + rodata_defs[i].offset,
				  rodata_defs[i].size);
		if (err)
			return err;
	}
	return 0;
}
