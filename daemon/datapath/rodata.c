// SPDX-License-Identifier: Apache-2.0
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "log.h"
#include "daemon/datapath/rodata.h"

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

int rodata_set(struct bpf_object *obj, const char *name, const void *val, size_t size)
{
	return rodata_copy(obj, name, (void *)val, size, true);
}

int rodata_get(struct bpf_object *obj, const char *name, void *val, size_t size)
{
	return rodata_copy(obj, name, val, size, false);
}
