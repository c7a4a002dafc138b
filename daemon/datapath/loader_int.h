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

/* Only filled when a load fails (libbpf then retries with log level 1). */
#define VERIFIER_LOG_SIZE (1024 * 1024)

struct loader {
	char path[PATH_MAX];
	char bpffs[WEFTD_DIR_MAX];
	void *obj;
	size_t obj_len;
	char hash[LOADER_HASH_LEN + 1];
	struct maps_layout layout;
	char *log; /* the verifier log of loads on weftd's own thread */
};

/* Program names, indexed like struct loader_progs. */
extern const char *const loader_prog_names[LOADER_NR_PROGS];

/* An endpoint's tcx links: pinned as <bpffs>/endpoints/<id>/<pin>. */
#define LOADER_NR_LINKS 2
struct loader_link {
	const char *pin;
	int prog; /* index into struct loader_progs */
	enum bpf_attach_type type;
};
extern const struct loader_link loader_links[LOADER_NR_LINKS];

struct bpf_object;

/* A fresh copy of the object, opened (not loaded), logging into @log. */
struct bpf_object *loader_open_object(struct loader *l, char *log);

void loader_pin_dir(const struct loader *l, uint32_t id, char *buf, size_t sz);
/* Pin path of endpoint @id's link @link (index into loader_links). */
void loader_link_path(const struct loader *l, uint32_t id, int link, char *buf, size_t sz);
/* Put @prog_fd at weft_policy_progs[@id] (of @layout's prog array). */
int loader_slot_set(const struct loader *l, const struct maps_layout *layout, uint32_t id,
		    int prog_fd, struct weft_api_error *e);

#endif
