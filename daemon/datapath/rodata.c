// SPDX-License-Identifier: Apache-2.0
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "array.h"
#include "log.h"
#include "daemon/datapath/rodata.h"

/* A row of the table: @owner is the struct that carries the variable for weftd. */
#define RODATA_DEF(owner, is_endpoint, name_, type, dims)                                          \
	{.name = #name_,                                                                           \
	 .size = sizeof(type dims),                                                                \
	 .offset = offsetof(struct owner, name_),                                                  \
	 .endpoint = is_endpoint},
#define RODATA_OBJECT_DEF(name, type, dims, init) RODATA_DEF(rodata_object, false, name, type, dims)
#define RODATA_ENDPOINT_DEF(name, type, dims, init)                                                \
	RODATA_DEF(rodata_endpoint, true, name, type, dims)

const struct rodata_def rodata_defs[] = {WEFT_RODATA_OBJECT(RODATA_OBJECT_DEF)
						 WEFT_RODATA_ENDPOINT(RODATA_ENDPOINT_DEF)};
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

/* Copy @size bytes to (@write) or from the variable, whose size must match. */
static int rodata_copy(struct bpf_object *obj, const char *name, void *val, size_t size, bool write)
{
	size_t have;
	void *p;
	int err;

	err = rodata_find(obj, name, &p, &have);
	if (err)
		return err;
	if (have != size) {
		pr_warn("rodata: %s has %zu bytes in the object, weftd %s %zu", name, have,
			write ? "writes" : "reads", size);
		return -EINVAL;
	}
	if (write)
		memcpy(p, val, size);
	else
		memcpy(val, p, size);
	return 0;
}

/* Copy every row of one scope between @obj and @v (a struct rodata_object or
 * rodata_endpoint). */
static int rodata_copy_all(struct bpf_object *obj, bool endpoint, void *v, bool write,
			   const char **failed)
{
	int err;

	for (size_t i = 0; i < rodata_nr; i++) {
		if (rodata_defs[i].endpoint != endpoint)
			continue;
		*failed = rodata_defs[i].name;
		err = rodata_copy(obj, rodata_defs[i].name, (char *)v + rodata_defs[i].offset,
				  rodata_defs[i].size, write);
		if (err)
			return err;
	}
	return 0;
}

int rodata_get_object(struct bpf_object *obj, struct rodata_object *v, const char **failed)
{
	return rodata_copy_all(obj, false, v, false, failed);
}

int rodata_set_endpoint(struct bpf_object *obj, const struct rodata_endpoint *v,
			const char **failed)
{
	return rodata_copy_all(obj, true, (void *)v, true, failed);
}
