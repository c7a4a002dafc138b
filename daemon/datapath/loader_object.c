// SPDX-License-Identifier: Apache-2.0
/*
 * The loader's object: weft_pod.bpf.o read from --bpf-dir once into memory,
 * hashed (its version), and checked for what weftd needs, so that a broken
 * object fails at start (or at `weftctl upgrade`) with the missing name
 * rather than on the first pod. The load (loader_swap.c) opens it from
 * memory.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "daemon/datapath/loader_int.h"
#include "daemon/datapath/maps.h"
#include "daemon/datapath/rodata.h"

const char *const loader_prog_names[LOADER_NR_PROGS] = {
	[LOADER_FROM_POD] = "weft_from_pod",
	[LOADER_TO_POD] = "weft_to_pod",
	[LOADER_TO_POD_LOCAL] = "weft_to_pod_local",
};

const struct loader_hook loader_hooks[LOADER_NR_HOOKS] = {
	{PIN_FROM_POD, LOADER_FROM_POD, TC_INGRESS},
	{PIN_TO_POD, LOADER_TO_POD, TC_EGRESS},
};

const char *loader_object_path(const struct loader *l)
{
	return l->path;
}

const char *loader_hash(const struct loader *l)
{
	return l->hash;
}

const struct maps_layout *loader_layout(const struct loader *l)
{
	return &l->layout;
}

void loader_pin_dir(const struct loader *l, uint32_t id, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/endpoints/%u", l->bpffs, id);
}

void loader_pin_path(const struct loader *l, uint32_t id, int hook, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/endpoints/%u/%s", l->bpffs, id, loader_hooks[hook].pin);
}

/* FNV-1a 64: tells builds apart, it is not a signature (the object comes
 * from root's --bpf-dir). */
static void hash_object(struct loader *l)
{
	uint64_t h = fnv1a64(FNV1A64_OFFSET, l->obj, l->obj_len);

	snprintf(l->hash, sizeof(l->hash), "%016llx", (unsigned long long)h);
}

static int read_object(struct loader *l)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd, err;

	fd = open(l->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto close_fd;
	}
	l->obj = malloc((size_t)st.st_size);
	if (!l->obj) {
		err = -ENOMEM;
		goto close_fd;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, (char *)l->obj + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto free_obj;
		}
		off += (size_t)n;
	}
	l->obj_len = off;
	close(fd);
	return 0;
free_obj:
	free(l->obj);
	l->obj = NULL;
close_fd:
	close(fd);
	return err;
}

struct bpf_object *loader_open_object(struct loader *l, char *log)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "weft_pod", .kernel_log_buf = log,
		    .kernel_log_size = VERIFIER_LOG_SIZE);

	return bpf_object__open_mem(l->obj, l->obj_len, &opts);
}

/* The object's map layouts (weft_map_layout), none of them 0. */
static int read_layouts(struct loader *l, struct bpf_object *obj)
{
	struct rodata_object ro;
	const char *var = NULL;
	int err;

	/* An object from before per-map layouts is layout 1 throughout. */
	for (int i = 0; i < WEFT_MAP_NR; i++)
		l->layout.v[i] = 1;
	err = rodata_get_object(obj, &ro, &var);
	if (err == -ENOENT)
		return 0;
	if (err) {
		pr_warn("%s: .rodata %s: %s", l->path, var, strerror(-err));
		return err;
	}
	memcpy(l->layout.v, ro.weft_map_layout, sizeof(l->layout.v));
	for (int i = 0; i < WEFT_MAP_NR; i++) {
		if (!l->layout.v[i]) {
			pr_warn("%s: map %s has layout version 0", l->path, maps_defs[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

/* Names only: a new layout may change a map's sizes (weftd copes, see
 * maps.c), so only tests/unit/test_datapath_contract.c holds a build to the
 * sizes of weftd's tables. */
static int check_object(struct loader *l)
{
	struct bpf_object *obj;
	int err;

	obj = loader_open_object(l, l->log);
	if (!obj) {
		err = -errno;
		pr_warn("%s is not a usable BPF object: %s", l->path, strerror(-err));
		return err;
	}
	err = read_layouts(l, obj);
	for (int i = 0; i < LOADER_NR_PROGS && !err; i++) {
		if (!bpf_object__find_program_by_name(obj, loader_prog_names[i])) {
			pr_warn("%s has no program %s", l->path, loader_prog_names[i]);
			err = -ENOENT;
		}
	}
	for (int i = 0; i < WEFT_MAP_NR && !err; i++) {
		if (!bpf_object__find_map_by_name(obj, maps_defs[i].name)) {
			pr_warn("%s has no map %s", l->path, maps_defs[i].name);
			err = -ENOENT;
		}
	}
	bpf_object__close(obj);
	return err;
}

int loader_open(struct loader **out, const char *bpf_dir, const char *bpffs)
{
	char layouts[WEFT_MAP_NR * 11];
	struct loader *l;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	loader_progs_init(&l->node);
	snprintf(l->path, sizeof(l->path), "%s/%s", bpf_dir, WEFTD_POD_OBJECT);
	snprintf(l->bpffs, sizeof(l->bpffs), "%s", bpffs);
	l->log = malloc(VERIFIER_LOG_SIZE);
	if (!l->log) {
		err = -ENOMEM;
		goto free_loader;
	}
	err = read_object(l);
	if (err) {
		pr_warn("cannot read %s: %s", l->path, strerror(-err));
		goto free_loader;
	}
	hash_object(l);
	err = check_object(l);
	if (err)
		goto free_loader;
	for (int i = 0, off = 0; i < WEFT_MAP_NR; i++)
		off += snprintf(layouts + off, sizeof(layouts) - (size_t)off, "%s%u", i ? "/" : "",
				l->layout.v[i]);
	pr_debug("loaded %s (%zu bytes, hash %s, layouts %s) into memory", l->path, l->obj_len,
		 l->hash, layouts);
	*out = l;
	return 0;
free_loader:
	loader_close(l);
	return err;
}

void loader_close(struct loader *l)
{
	if (!l)
		return;
	loader_progs_close(&l->node);
	free(l->obj);
	free(l->log);
	free(l);
}
