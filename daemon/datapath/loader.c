// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/datapath/loader.h"
#include "hash.h"
#include "log.h"
#include "daemon/datapath/maps.h"
#include "daemon/datapath/rodata.h"
#include "daemon/endpoint/state.h"

#define PROG_FROM_POD	  "weft_from_pod"
#define PROG_TO_POD	  "weft_to_pod"
#define PROG_TO_POD_LOCAL "weft_to_pod_local"
/* Only filled when a load fails (libbpf then retries with log level 1). */
#define VERIFIER_LOG_SIZE (1024 * 1024)

struct loader {
	char path[PATH_MAX];
	char bpffs[WEFTD_DIR_MAX];
	void *obj;
	size_t obj_len;
	char hash[LOADER_HASH_LEN + 1];
	struct maps_layout layout;
	char *log;
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

size_t loader_log_size(void)
{
	return VERIFIER_LOG_SIZE;
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

static struct bpf_object *open_object(struct loader *l, char *log)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "weft_pod", .kernel_log_buf = log,
		    .kernel_log_size = VERIFIER_LOG_SIZE);

	return bpf_object__open_mem(l->obj, l->obj_len, &opts);
}

/* Fail at start, with the missing name, rather than on the first pod. */
static int check_object(struct loader *l)
{
	static const char *const progs[] = {PROG_FROM_POD, PROG_TO_POD, PROG_TO_POD_LOCAL};
	struct rodata_endpoint zero = {0};
	struct rodata_object ro;
	struct bpf_object *obj;
	const char *var = NULL;
	int err = 0;

	obj = open_object(l, l->log);
	if (!obj) {
		err = -errno;
		pr_warn("%s is not a usable BPF object: %s", l->path, strerror(-err));
		return err;
	}
	/* An object from before per-map layouts is layout 1 throughout. */
	for (int i = 0; i < WEFT_MAP_NR; i++)
		l->layout.v[i] = 1;
	err = rodata_get_object(obj, &ro, &var);
	if (!err)
		memcpy(l->layout.v, ro.weft_map_layout, sizeof(l->layout.v));
	else if (err != -ENOENT) {
		pr_warn("%s: .rodata %s: %s", l->path, var, strerror(-err));
		goto close_obj;
	}
	err = 0;
	for (int i = 0; i < WEFT_MAP_NR && !err; i++) {
		if (!l->layout.v[i]) {
			pr_warn("%s: map %s has layout version 0", l->path, maps_defs[i].name);
			err = -EINVAL;
		}
	}
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]) && !err; i++) {
		if (!bpf_object__find_program_by_name(obj, progs[i])) {
			pr_warn("%s has no program %s", l->path, progs[i]);
			err = -ENOENT;
		}
	}
	for (int i = 0; i < WEFT_MAP_NR && !err; i++) {
		if (!bpf_object__find_map_by_name(obj, maps_defs[i].name)) {
			pr_warn("%s has no map %s", l->path, maps_defs[i].name);
			err = -ENOENT;
		}
	}
	/* Every per-endpoint constant there, with weftd's size. */
	if (!err) {
		err = rodata_set_endpoint(obj, &zero, &var);
		if (err)
			pr_warn("%s: .rodata variable %s: %s", l->path, var,
				err == -ENOENT ? "missing" : strerror(-err));
	}
close_obj:
	bpf_object__close(obj);
	return err;
}

int loader_open(struct loader **out, const char *bpf_dir, const char *bpffs)
{
	struct loader *l;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
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
	pr_debug("loaded %s (%zu bytes, hash %s, layouts %u/%u/%u/%u/%u) into memory", l->path,
		 l->obj_len, l->hash, l->layout.v[0], l->layout.v[1], l->layout.v[2],
		 l->layout.v[3], l->layout.v[4]);
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
	free(l->obj);
	free(l->log);
	free(l);
}

static void pin_dir(struct loader *l, uint32_t id, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/endpoints/%u", l->bpffs, id);
}

static void pin_path(struct loader *l, uint32_t id, const char *name, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/endpoints/%u/%s", l->bpffs, id, name);
}

/* The last lines of a failed load's verifier log: usually the reason. */
static void log_tail(const char *log, char *buf, size_t sz)
{
	size_t len = strlen(log);
	const char *p;
	int lines = 0;

	while (len && log[len - 1] == '\n')
		len--;
	p = log + len;
	while (p > log && lines < 3) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	snprintf(buf, sz, "%.*s", (int)(log + len - p), p);
	for (char *c = buf; *c; c++) {
		if (*c == '\n')
			*c = ';';
	}
}

static int set_constants(struct bpf_object *obj, const struct loader_params *p,
			 struct weft_api_error *e)
{
	struct rodata_endpoint c = {
		.weft_endpoint_id = p->id,
		.weft_pod_ipv4 = p->pod_ipv4,
		.weft_host_ifindex = (uint32_t)p->ifindex,
	};
	const char *var = NULL;
	int err;

	memcpy(c.weft_pod_mac, p->pod_mac, sizeof(c.weft_pod_mac));
	memcpy(c.weft_host_mac, p->host_mac, sizeof(c.weft_host_mac));
	err = rodata_set_endpoint(obj, &c, &var);
	if (err)
		api_err_set(e, -err, WEFTD_POD_OBJECT, "set .rodata %s for endpoint %u: %s", var,
			    p->id, err == -ENOENT ? "no such variable" : strerror(-err));
	return err;
}

static int set_map_pins(struct loader *l, struct bpf_object *obj, uint32_t id,
			struct weft_api_error *e)
{
	const char *name = NULL;
	int err;

	err = maps_set_pins(obj, l->bpffs, &l->layout, &name);
	if (err == -ENOENT)
		api_err_set(e, ENOENT, WEFTD_POD_OBJECT, "find map %s for endpoint %u", name, id);
	else if (err)
		api_err_set(e, -err, name, "set pin path of %s for endpoint %u: %s", name, id,
			    strerror(-err));
	return err;
}

static int attach_one(struct loader *l, struct bpf_object *obj, const struct loader_params *p,
		      const char *prog_name, const char *link_name, struct weft_api_error *e)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	char path[PATH_MAX];
	int err;

	prog = bpf_object__find_program_by_name(obj, prog_name);
	if (!prog) {
		api_err_set(e, ENOENT, WEFTD_POD_OBJECT, "find program %s for endpoint %u",
			    prog_name, p->id);
		return -ENOENT;
	}
	link = bpf_program__attach_tcx(prog, p->ifindex, NULL);
	if (!link) {
		err = -errno;
		api_err_set(e, -err, NULL, "attach %s with tcx to ifindex %d for endpoint %u: %s",
			    prog_name, p->ifindex, p->id, strerror(-err));
		return err;
	}
	pin_path(l, p->id, link_name, path, sizeof(path));
	err = bpf_link__pin(link, path);
	if (err) {
		api_err_set(e, -err, path, "pin %s link for endpoint %u: %s", prog_name, p->id,
			    strerror(-err));
		goto destroy_link;
	}
	/* For an fd-based link, destroy only closes our fd: the pin keeps the
	 * link (and the attachment) alive. */
	err = 0;
destroy_link:
	bpf_link__destroy(link);
	return err;
}

/*
 * Put this endpoint's weft_to_pod_local at weft_policy_progs[id], so other
 * local pods deliver to it with bpf_redirect_peer(). Done after the links are
 * attached and before the weft_endpoints entries exist: no sender can look
 * the id up before the slot is filled, and an empty slot only means the
 * slower redirect through the host veth.
 */
static int set_policy_slot(struct bpf_object *obj, const struct loader_params *p,
			   struct weft_api_error *e)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, PROG_TO_POD_LOCAL);
	struct bpf_map *map =
		bpf_object__find_map_by_name(obj, maps_defs[WEFT_MAP_POLICY_PROGS].name);
	__u32 key = p->id;
	int fd, err;

	if (!prog || !map) {
		api_err_set(e, ENOENT, WEFTD_POD_OBJECT, "find %s for endpoint %u",
			    prog ? maps_defs[WEFT_MAP_POLICY_PROGS].name : PROG_TO_POD_LOCAL,
			    p->id);
		return -ENOENT;
	}
	fd = bpf_program__fd(prog);
	if (bpf_map_update_elem(bpf_map__fd(map), &key, &fd, BPF_ANY) < 0) {
		err = -errno;
		api_err_set(e, -err, maps_defs[WEFT_MAP_POLICY_PROGS].name,
			    "insert %s of endpoint %u: %s", PROG_TO_POD_LOCAL, p->id,
			    strerror(-err));
		return err;
	}
	return 0;
}

/* The caller has removed the endpoint's weft_endpoints entries first, so no
 * new tail call picks the slot up; one already running keeps its program. */
static int clear_policy_slot(struct loader *l, uint32_t id)
{
	char path[PATH_MAX];
	int fd, err = 0;

	maps_pin_path_v(l->bpffs, WEFT_MAP_POLICY_PROGS, l->layout.v[WEFT_MAP_POLICY_PROGS], path,
			sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_map_delete_elem(fd, &id) < 0 && errno != ENOENT)
		err = -errno;
	close(fd);
	return err;
}

/* Open, specialise and load one copy of the object; the caller closes it. */
static struct bpf_object *load_object(struct loader *l, const struct loader_params *p, char *log,
				      struct weft_api_error *e)
{
	struct bpf_object *obj;
	char tail[400];
	int err;

	log[0] = '\0';
	obj = open_object(l, log);
	if (!obj) {
		err = -errno;
		api_err_set(e, -err, l->path, "open %s for endpoint %u: %s", WEFTD_POD_OBJECT,
			    p->id, strerror(-err));
		errno = -err;
		return NULL;
	}
	err = set_constants(obj, p, e);
	if (err)
		goto close_obj;
	err = set_map_pins(l, obj, p->id, e);
	if (err)
		goto close_obj;
	err = bpf_object__load(obj);
	if (err) {
		log_tail(log, tail, sizeof(tail));
		api_err_set(e, -err, tail, "load %s for endpoint %u: %s", WEFTD_POD_OBJECT, p->id,
			    strerror(-err));
		goto close_obj;
	}
	return obj;
close_obj:
	bpf_object__close(obj);
	errno = -err;
	return NULL;
}

static int make_pin_dir(struct loader *l, uint32_t id, char *dir, size_t sz,
			struct weft_api_error *e)
{
	int err;

	pin_dir(l, id, dir, sz);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		api_err_set(e, -err, dir, "create pin directory for endpoint %u: %s", id,
			    strerror(-err));
		return err;
	}
	return 0;
}

int loader_placeholder(struct loader *l, int prog_fds[2])
{
	static const char *const progs[] = {PROG_FROM_POD, PROG_TO_POD};
	struct weft_api_error e = {0};
	struct loader_params p = {0};
	struct bpf_object *obj;
	int err = 0, i;

	/* All constants zero: source MAC 0 never matches, so the placeholder
	 * drops whatever a pool veth's peer could send. */
	obj = load_object(l, &p, l->log, &e);
	if (!obj) {
		err = -errno;
		pr_warn("veth pool: placeholder programs: %s%s%s", e.msg, e.details[0] ? ": " : "",
			e.details);
		return err;
	}
	for (i = 0; i < 2; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, progs[i]);

		prog_fds[i] = prog ? dup(bpf_program__fd(prog)) : -1;
		if (prog_fds[i] < 0) {
			err = prog ? -errno : -ENOENT;
			pr_warn("veth pool: placeholder program %s: %s", progs[i], strerror(-err));
			goto close_fds;
		}
	}
	/* Our dups keep the programs (and through them the maps) loaded. */
	bpf_object__close(obj);
	return 0;
close_fds:
	while (i--)
		close(prog_fds[i]);
	bpf_object__close(obj);
	return err;
}

/* Swap @prog into the pool's link @link_fd and pin the link as @link_name. */
static int update_one(struct loader *l, struct bpf_object *obj, const struct loader_params *p,
		      int link_fd, const char *prog_name, const char *link_name,
		      struct weft_api_error *e)
{
	struct bpf_program *prog;
	char path[PATH_MAX];
	int err;

	prog = bpf_object__find_program_by_name(obj, prog_name);
	if (!prog) {
		api_err_set(e, ENOENT, WEFTD_POD_OBJECT, "find program %s for endpoint %u",
			    prog_name, p->id);
		return -ENOENT;
	}
	/* tcx replaces the program in place: no new entry array, so no RCU
	 * grace period, unlike an attach. */
	if (bpf_link_update(link_fd, bpf_program__fd(prog), NULL) < 0) {
		err = -errno;
		api_err_set(e, -err, NULL,
			    "swap %s into the pooled tcx link on ifindex %d for endpoint %u: %s",
			    prog_name, p->ifindex, p->id, strerror(-err));
		return err;
	}
	pin_path(l, p->id, link_name, path, sizeof(path));
	if (bpf_obj_pin(link_fd, path) < 0) {
		err = -errno;
		api_err_set(e, -err, path, "pin %s link for endpoint %u: %s", prog_name, p->id,
			    strerror(-err));
		return err;
	}
	return 0;
}

/*
 * Load the endpoint's programs and put them on its host veth: into the pool's
 * links @link_fds (from_pod, to_pod) with bpf_link_update() when given, else
 * as new tcx links; then pin the links and fill its weft_policy_progs slot.
 */
static int install(struct loader *l, const struct loader_params *p, const int link_fds[2],
		   struct weft_api_error *e)
{
	static const char *const progs[] = {PROG_FROM_POD, PROG_TO_POD};
	static const char *const links[] = {LINK_FROM_POD, LINK_TO_POD};
	struct bpf_object *obj;
	char dir[PATH_MAX];
	int err = 0;

	obj = load_object(l, p, l->log, e);
	if (!obj)
		return -errno;
	err = make_pin_dir(l, p->id, dir, sizeof(dir), e);
	if (err)
		goto close_obj;
	for (int i = 0; i < 2 && !err; i++)
		err = link_fds ? update_one(l, obj, p, link_fds[i], progs[i], links[i], e)
			       : attach_one(l, obj, p, progs[i], links[i], e);
	if (!err)
		err = set_policy_slot(obj, p, e);
	/* The links now hold the programs and maps; the object can go. On
	 * failure: new links are detached with their pins; a pool's links only
	 * lose their pins (the caller closes their fds, which detaches them). */
	if (err)
		loader_detach(l, p->id);
close_obj:
	bpf_object__close(obj);
	return err;
}

int loader_attach(struct loader *l, const struct loader_params *p, struct weft_api_error *e)
{
	return install(l, p, NULL, e);
}

int loader_attach_pooled(struct loader *l, const struct loader_params *p, const int link_fds[2],
			 struct weft_api_error *e)
{
	return install(l, p, link_fds, e);
}

static int detach_pin(const char *path)
{
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A link whose device is gone is already detached (defunct). */
	if (bpf_link_detach(fd) < 0 && errno != ENOLINK && errno != ENOENT)
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int loader_detach(struct loader *l, uint32_t id)
{
	static const char *const links[] = {LINK_FROM_POD, LINK_TO_POD};
	char path[PATH_MAX];
	int err, ret = 0;

	ret = clear_policy_slot(l, id);
	if (ret)
		pr_warn("endpoint %u: cannot clear its %s slot: %s", id,
			maps_defs[WEFT_MAP_POLICY_PROGS].name, strerror(-ret));
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		pin_path(l, id, links[i], path, sizeof(path));
		err = detach_pin(path);
		if (err) {
			pr_warn("endpoint %u: cannot detach %s: %s", id, path, strerror(-err));
			if (!ret)
				ret = err;
		}
	}
	if (ret)
		return ret;
	pin_dir(l, id, path, sizeof(path));
	if (rmdir(path) < 0 && errno != ENOENT) {
		ret = -errno;
		pr_warn("endpoint %u: cannot remove %s: %s", id, path, strerror(-ret));
	}
	return ret;
}

bool loader_pins_exist(struct loader *l, uint32_t id)
{
	char path[PATH_MAX];

	pin_dir(l, id, path, sizeof(path));
	return !access(path, F_OK);
}

void loader_link_state(struct loader *l, uint32_t id, int ifindex, struct link_state *st)
{
	static const char *const links[] = {LINK_FROM_POD, LINK_TO_POD};
	struct bpf_link_info info;
	char path[PATH_MAX];
	__u32 len;
	int fd;

	memset(st, 0, sizeof(*st));
	st->attached = true;
	for (size_t i = 0; i < 2; i++) {
		pin_path(l, id, links[i], path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			st->attached = false;
			continue;
		}
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_link_get_info_by_fd(fd, &info, &len) < 0) {
			st->attached = false;
		} else {
			st->prog_id[i] = info.prog_id;
			/* A link whose device went away reports ifindex 0. */
			if (info.type != BPF_LINK_TYPE_TCX || (int)info.tcx.ifindex != ifindex)
				st->attached = false;
		}
		close(fd);
	}
}

void loader_progs_init(struct loader_progs *p)
{
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		p->fd[i] = -1;
		p->id[i] = 0;
	}
}

void loader_progs_close(struct loader_progs *p)
{
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		if (p->fd[i] >= 0)
			close(p->fd[i]);
		p->fd[i] = -1;
	}
}

static int prog_id(int fd, uint32_t *id)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	*id = info.id;
	return 0;
}

int loader_load(struct loader *l, const struct loader_params *p, char *log,
		struct loader_progs *out, struct weft_api_error *e)
{
	static const char *const progs[LOADER_NR_PROGS] = {PROG_FROM_POD, PROG_TO_POD,
							   PROG_TO_POD_LOCAL};
	struct bpf_program *prog;
	struct bpf_object *obj;
	int i, err = 0;

	loader_progs_init(out);
	obj = load_object(l, p, log ? log : l->log, e);
	if (!obj)
		return -errno;
	for (i = 0; i < LOADER_NR_PROGS; i++) {
		prog = bpf_object__find_program_by_name(obj, progs[i]);
		out->fd[i] = prog ? dup(bpf_program__fd(prog)) : -1;
		if (out->fd[i] < 0) {
			err = prog ? -errno : -ENOENT;
			api_err_set(e, -err, WEFTD_POD_OBJECT, "keep program %s of endpoint %u: %s",
				    progs[i], p->id, strerror(-err));
			goto close_progs;
		}
		err = prog_id(out->fd[i], &out->id[i]);
		if (err) {
			api_err_set(e, -err, NULL, "program id of %s for endpoint %u: %s", progs[i],
				    p->id, strerror(-err));
			goto close_progs;
		}
	}
	/* Our dups keep the programs, and through them the maps, loaded. */
	bpf_object__close(obj);
	return 0;
close_progs:
	loader_progs_close(out);
	bpf_object__close(obj);
	return err;
}

static void policy_path(struct loader *l, const struct maps_layout *layout, char *buf, size_t sz)
{
	maps_pin_path_v(l->bpffs, WEFT_MAP_POLICY_PROGS, layout->v[WEFT_MAP_POLICY_PROGS], buf, sz);
}

int loader_running(struct loader *l, uint32_t id, const struct maps_layout *layout,
		   struct loader_progs *out)
{
	static const char *const links[] = {LINK_FROM_POD, LINK_TO_POD};
	struct bpf_link_info info;
	char path[PATH_MAX];
	__u32 len, slot_id = 0;
	int fd, err;

	loader_progs_init(out);
	for (int i = 0; i < 2; i++) {
		pin_path(l, id, links[i], path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			goto close_progs;
		}
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		err = bpf_link_get_info_by_fd(fd, &info, &len) < 0 ? -errno : 0;
		close(fd);
		if (err)
			goto close_progs;
		out->id[i] = info.prog_id;
	}
	/* From user space a prog array hands out program ids. */
	policy_path(l, layout, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (bpf_map_lookup_elem(fd, &id, &slot_id) < 0)
			slot_id = 0;
		close(fd);
	}
	out->id[LOADER_TO_POD_LOCAL] = slot_id;
	for (int i = 0; i < LOADER_NR_PROGS; i++) {
		if (!out->id[i])
			continue;
		out->fd[i] = bpf_prog_get_fd_by_id(out->id[i]);
		if (out->fd[i] < 0) {
			err = -errno;
			goto close_progs;
		}
	}
	return 0;
close_progs:
	loader_progs_close(out);
	return err;
}

int loader_swap(struct loader *l, uint32_t id, const struct maps_layout *layout,
		const struct loader_progs *progs, struct weft_api_error *e)
{
	static const char *const links[] = {LINK_FROM_POD, LINK_TO_POD};
	char path[PATH_MAX];
	int fd, err = 0;

	/* The slot first: a sender's tail call then reaches the new
	 * weft_to_pod_local, which works with either version of the links. */
	if (progs->fd[LOADER_TO_POD_LOCAL] >= 0) {
		policy_path(l, layout, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0 ||
		    bpf_map_update_elem(fd, &id, &progs->fd[LOADER_TO_POD_LOCAL], BPF_ANY) < 0) {
			err = -errno;
			api_err_set(e, -err, path, "set the %s slot of endpoint %u: %s",
				    maps_defs[WEFT_MAP_POLICY_PROGS].name, id, strerror(-err));
		}
		if (fd >= 0)
			close(fd);
		if (err)
			return err;
	}
	for (int i = 0; i < 2; i++) {
		pin_path(l, id, links[i], path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			api_err_set(e, -err, path, "open the %s link of endpoint %u: %s", links[i],
				    id, strerror(-err));
			return err;
		}
		/* Atomic for the packets: each one runs either the old or the
		 * new program, and tcx keeps its entry array (no grace period). */
		if (bpf_link_update(fd, progs->fd[i], NULL) < 0) {
			err = -errno;
			api_err_set(e, -err, path, "swap the %s program of endpoint %u: %s",
				    links[i], id, strerror(-err));
		}
		close(fd);
		if (err)
			return err;
	}
	return 0;
}
