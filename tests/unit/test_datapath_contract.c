// SPDX-License-Identifier: Apache-2.0
/*
 * The built BPF objects against weftd's tables (maps_defs, rodata_defs, both
 * expanded from bpf/datapath.h): each shared map with weftd's type, key and
 * value size, max entries, flags and layout, and no other map (weftd would not
 * pin it, so every load would get its own copy); each .rodata variable
 * with weftd's size, and no global one weftd does not know: weft_pod.bpf.o
 * is loaded once per node, so a per-endpoint constant would be one value for
 * every pod.
 *
 * weftd itself only checks names when it opens an object, because a live
 * upgrade may bring a longer map value (a new layout); this test holds one
 * build to its own tables. It opens $OUTPUT/bpf/ (tests/run.sh exports
 * OUTPUT) with libbpf without loading anything, so it needs no privileges.
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/datapath/maps.h"
#include "daemon/datapath/rodata.h"
#include "daemon/overlay/overlay_prog.h"
#include "testing.h"

static const struct maps_def *map_def(const char *name)
{
	for (int i = 0; i < WEFT_MAP_NR; i++) {
		if (!strcmp(maps_defs[i].name, name))
			return &maps_defs[i];
	}
	return NULL;
}

static const struct rodata_def *rodata_def(const char *name)
{
	for (size_t i = 0; i < rodata_nr; i++) {
		if (!strcmp(rodata_defs[i].name, name))
			return &rodata_defs[i];
	}
	return NULL;
}

static void check_maps(const char *obj_name, struct bpf_object *obj)
{
	const struct maps_def *def;
	struct bpf_map *map;

	for (int i = 0; i < WEFT_MAP_NR; i++) {
		def = &maps_defs[i];
		map = bpf_object__find_map_by_name(obj, def->name);
		CHECK(map, "%s: has map %s", obj_name, def->name);
		if (!map)
			continue;
		CHECK_INT(bpf_map__type(map), def->type, "%s: %s type", obj_name, def->name);
		CHECK_INT(bpf_map__key_size(map), def->key_size, "%s: %s key size", obj_name,
			  def->name);
		CHECK_INT(bpf_map__value_size(map), def->value_size, "%s: %s value size", obj_name,
			  def->name);
		CHECK_INT(bpf_map__max_entries(map), def->max_entries, "%s: %s max entries",
			  obj_name, def->name);
		CHECK_INT(bpf_map__map_flags(map), def->flags, "%s: %s flags", obj_name, def->name);
	}
	bpf_object__for_each_map(map, obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		CHECK(map_def(bpf_map__name(map)), "%s: map %s is in weftd's table", obj_name,
		      bpf_map__name(map));
	}
}

/* The object's weft_map_layout must say what weftd's table says. */
static void check_layouts(const char *obj_name, const void *data, size_t data_sz,
			  const struct btf_var_secinfo *vs)
{
	uint32_t v[WEFT_MAP_NR];

	if (vs->size != sizeof(v) || (size_t)vs->offset + vs->size > data_sz)
		return; /* the size check has already failed */
	memcpy(v, (const char *)data + vs->offset, sizeof(v));
	for (int i = 0; i < WEFT_MAP_NR; i++)
		CHECK_INT(v[i], maps_defs[i].layout, "%s: weft_map_layout of %s", obj_name,
			  maps_defs[i].name);
}

static void check_rodata(const char *obj_name, struct bpf_object *obj)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var;
	const struct rodata_def *def;
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	const void *data = NULL;
	size_t data_sz = 0;
	const char *name;
	unsigned int seen = 0;
	int id;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	CHECK(id > 0 && map, "%s: has a .rodata section with BTF", obj_name);
	if (id <= 0 || !map)
		return;
	data = bpf_map__initial_value(map, &data_sz);
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (!var || !btf_is_var(var))
			continue;
		/* Static constants are the programs' own, not weftd's business. */
		if (btf_var(var)->linkage == BTF_VAR_STATIC)
			continue;
		name = btf__name_by_offset(btf, var->name_off);
		def = rodata_def(name);
		CHECK(def, "%s: .rodata %s is in weftd's table", obj_name, name);
		if (!def)
			continue;
		seen++;
		CHECK_INT(vs->size, def->size, "%s: .rodata %s size", obj_name, name);
		if (!strcmp(name, "weft_map_layout"))
			check_layouts(obj_name, data, data_sz, vs);
	}
	CHECK_INT(seen, (unsigned int)rodata_nr, "%s: has every .rodata variable of weftd's table",
		  obj_name);
}

static void check_object(const char *dir, const char *obj_name)
{
	char path[4096];
	struct bpf_object *obj;

	snprintf(path, sizeof(path), "%s/bpf/%s", dir, obj_name);
	obj = bpf_object__open_file(path, NULL);
	CHECK(obj, "open %s (built by make all)", path);
	if (!obj) {
		printf("#   %s\n", strerror(errno));
		return;
	}
	check_maps(obj_name, obj);
	check_rodata(obj_name, obj);
	bpf_object__close(obj);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int main(void)
{
	const char *out = getenv("OUTPUT");

	if (!out || !*out)
		out = ".output";
	libbpf_set_print(quiet);
	check_object(out, WEFTD_POD_OBJECT);
	check_object(out, WEFTD_OVERLAY_OBJECT);
	return test_done();
}
