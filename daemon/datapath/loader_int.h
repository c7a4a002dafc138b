/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the loader's three parts share, and no one else: the object in memory
 * (loader_object.c), per-endpoint install (loader_install.c) and the upgrade
 * steps (loader_swap.c).
 */
#ifndef WEFTD_LOADER_INT_H
#define WEFTD_LOADER_INT_H

#include <limits.h>
#include <linux/bpf.h>

#include "daemon/config.h"
#include "daemon/datapath/loader.h"
#include "daemon/datapath/tc.h"

/* Only filled when the load fails (libbpf then retries with log level 1). */
#define VERIFIER_LOG_SIZE (1024 * 1024)

struct loader {
	char path[PATH_MAX];
	char bpffs[WEFTD_DIR_MAX];
	void *obj;
	size_t obj_len;
	char hash[LOADER_HASH_LEN + 1];
	struct maps_layout layout;
	char *log;		  /* the verifier log of the load */
	struct loader_progs node; /* the programs every endpoint runs, once loaded */
};

/* Program names, indexed like struct loader_progs. */
extern const char *const loader_prog_names[LOADER_NR_PROGS];

/* An endpoint's two tc hooks on its host veth, and the pins of the programs
 * weftd put there: <bpffs>/endpoints/<id>/<pin>. The filter is what runs;
 * the pin is what weftd meant to run (what a repair puts back). */
#define LOADER_NR_HOOKS 2
struct loader_hook {
	const char *pin;
	int prog; /* index into struct loader_progs */
	enum tc_dir dir;
};
extern const struct loader_hook loader_hooks[LOADER_NR_HOOKS];

struct bpf_object;

/* A fresh copy of the object, opened (not loaded), logging into @log. */
struct bpf_object *loader_open_object(struct loader *l, char *log);

void loader_pin_dir(const struct loader *l, uint32_t id, char *buf, size_t sz);
/* Pin path of endpoint @id's program for hook @hook (index into loader_hooks). */
void loader_pin_path(const struct loader *l, uint32_t id, int hook, char *buf, size_t sz);
/* Pin @prog_fd at @path, over what is there, atomically. 0 or -errno. */
int loader_pin_replace(int prog_fd, const char *path);
/* The kernel's id of the program @fd. 0 or -errno. */
int loader_prog_id(int fd, uint32_t *id);
/* Shared map @which of @layout, opened from its pin (the caller closes it).
 * -errno (-ENOENT: not pinned). */
int loader_map_open(const struct loader *l, const struct maps_layout *layout, enum weft_map which);
/* Write (or rewrite) endpoint @p's weft_veths entry, in @layout's map: what
 * the programs read about the pod on @p->ifindex. No such map in @layout is
 * fine when it is not the loader's own (programs of a build before the map,
 * which do not read it). */
int loader_veth_put(const struct loader *l, const struct maps_layout *layout,
		    const struct loader_params *p, struct weft_api_error *e);
/* Put @prog_fd at weft_policy_progs[@id] (of @layout's prog array). */
int loader_slot_set(const struct loader *l, const struct maps_layout *layout, uint32_t id,
		    int prog_fd, struct weft_api_error *e);

#endif
