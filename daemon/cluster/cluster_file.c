// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/cluster/cluster_file.h"
#include "daemon/cluster/cluster_k8s.h"
#include "log.h"

/* The symlink a ConfigMap volume swaps atomically when its content changes. */
#define CONFIGMAP_DATA_LINK "..data"

#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |   \
	 IN_MOVE_SELF | IN_ONLYDIR)

struct cluster_file {
	struct cluster_source src; /* first: the source's ops find us from it */
	char *path;
	const char *base; /* inside @path */
	int ifd;
	struct cluster *model;
	bool loaded;
	bool missing_reported;
	/* Identity of the content last read, good or bad: an event that leaves it
	 * alone (a touch of the directory, a second close) costs no re-parse. */
	bool have_seen;
	struct stat seen;
	char *last_problem; /* reported already; said again only after a good load */
};

/* One warning per distinct problem: a broken file re-triggered by later events
 * (or re-read after an overflow) must not flood the log. */
static void report(struct cluster_file *cf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(struct cluster_file *cf, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cf->last_problem && !strcmp(cf->last_problem, msg)) {
		pr_debug("cluster file %s: %s (reported before)", cf->path, msg);
		return;
	}
	pr_warn("cluster file %s: %s; %s", cf->path, msg,
		cf->loaded ? "keeping the last good state" : "the cluster stays empty");
	free(cf->last_problem);
	cf->last_problem = strdup(msg);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Parse @root whole and apply it, or change nothing. 0 or -ENOMEM. */
static int apply_document(struct cluster_file *cf, json_t *root)
{
	struct cluster_k8s_err kerr = {};
	struct cluster_snapshot *snap;
	struct cluster_counts c;
	int err;

	err = cluster_snapshot_new(&snap);
	if (err) {
		pr_warn("cluster file %s: out of memory", cf->path);
		return err;
	}
	err = cluster_k8s_parse_list(root, snap, &kerr);
	if (err == -EINVAL) {
		report(cf, "%s", kerr.msg);
		err = 0;
		goto free_snapshot;
	}
	if (err) {
		pr_warn("cluster file %s: out of memory while parsing", cf->path);
		goto free_snapshot;
	}
	err = cluster_apply_snapshot(cf->model, snap);
	if (err)
		goto free_snapshot; /* cluster_apply_snapshot said why */
	cf->loaded = true;
	free(cf->last_problem);
	cf->last_problem = NULL;
	cluster_counts(cf->model, &c);
	pr_info("cluster file %s: %zu nodes, %zu namespaces, %zu pods, %zu policies", cf->path,
		c.nodes, c.namespaces, c.pods, c.policies);

free_snapshot:
	cluster_snapshot_free(snap);
	return err;
}

/* Re-read the file if its content may have changed. @creating: the only news is
 * that the name was created, and an empty file then is a writer that has not
 * written yet; its IN_CLOSE_WRITE will follow. 0 or -ENOMEM. */
static int reload(struct cluster_file *cf, bool creating)
{
	json_error_t jerr;
	struct stat st;
	json_t *root;
	FILE *fp;
	int fd, err;

	fd = open(cf->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		cf->have_seen = false;
		if (err != -ENOENT) {
			report(cf, "cannot open: %s", strerror(-err));
			return 0;
		}
		if (!cf->missing_reported)
			pr_info("cluster file %s: does not exist; %s", cf->path,
				cf->loaded ? "keeping the last state"
					   : "the cluster is empty until it appears");
		cf->missing_reported = true;
		return 0;
	}
	cf->missing_reported = false;
	if (fstat(fd, &st)) {
		err = -errno;
		report(cf, "cannot stat: %s", strerror(-err));
		goto close_fd;
	}
	if (cf->have_seen && same_file(&st, &cf->seen)) {
		pr_debug("cluster file %s: unchanged", cf->path);
		goto close_fd;
	}
	if (creating && st.st_size == 0) {
		pr_debug("cluster file %s: created empty; waiting for its writer", cf->path);
		goto close_fd;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		err = -errno;
		report(cf, "cannot read: %s", strerror(-err));
		goto close_fd;
	}
	cf->seen = st;
	cf->have_seen = true;
	/* Duplicate keys would make "which one wins" a jansson detail: refuse them. */
	root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	fclose(fp);
	if (!root) {
		report(cf, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return 0;
	}
	err = apply_document(cf, root);
	json_decref(root);
	if (err)
		cf->have_seen = false; /* out of memory: let the next event try again */
	return err;

close_fd:
	close(fd);
	return 0;
}

int cluster_file_check(const char *path)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	int err;

	if (!path || !*path)
		return 0;
	if (path[strlen(path) - 1] == '/' || strlen(path) >= sizeof(dir)) {
		pr_warn("--cluster-file: \"%s\" is not a file path", path);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) < 0)
		err = -errno;
	else
		err = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (err) {
		pr_warn("--cluster-file %s: its directory %s: %s (weftd watches the directory, "
			"so it must exist)",
			path, dir, strerror(-err));
	}
	return err;
}

static int src_fd(struct cluster_source *src)
{
	return cluster_file_fd((struct cluster_file *)src);
}

static int src_handle(struct cluster_source *src)
{
	return cluster_file_handle((struct cluster_file *)src);
}

/* The file holds every kind at once: ready with the first good read. */
static const char *src_waiting_for(struct cluster_source *src, char *buf, size_t len)
{
	struct cluster_file *cf = (struct cluster_file *)src;

	if (cf->loaded)
		return NULL;
	snprintf(buf, len, "a readable cluster file %s", cf->path);
	return buf;
}

static json_t *src_status(struct cluster_source *src)
{
	struct cluster_file *cf = (struct cluster_file *)src;

	return json_pack("{s:s, s:s, s:b, s:s?}", "type", "file", "path", cf->path, "loaded",
			 cf->loaded, "lastError", cf->last_problem);
}

static void src_close(struct cluster_source *src)
{
	cluster_file_close((struct cluster_file *)src);
}

static const struct cluster_source_ops file_source_ops = {
	.fd = src_fd,
	.handle = src_handle,
	.waiting_for = src_waiting_for,
	.status = src_status,
	.close = src_close,
};

struct cluster_source *cluster_file_source(struct cluster_file *cf)
{
	return &cf->src;
}

int cluster_file_open(const char *path, struct cluster *model, struct cluster_file **out)
{
	struct cluster_file *cf;
	char *dir, *slash;
	int err;

	if (!path || !*path || path[strlen(path) - 1] == '/') {
		pr_warn("cluster file: \"%s\" is not a file path", path ? path : "");
		return -EINVAL;
	}
	cf = calloc(1, sizeof(*cf));
	if (!cf)
		return -ENOMEM;
	cf->ifd = -1;
	cf->model = model;
	cf->src.ops = &file_source_ops;
	snprintf(cf->src.what, sizeof(cf->src.what), "the cluster file %s", path);
	cf->path = strdup(path);
	dir = strdup(path);
	if (!cf->path || !dir) {
		err = -ENOMEM;
		goto free_dir;
	}
	slash = strrchr(cf->path, '/');
	cf->base = slash ? slash + 1 : cf->path;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0'; /* "/file": the root directory */
	else
		*slash = '\0';

	cf->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cf->ifd < 0) {
		err = -errno;
		pr_warn("cluster file %s: inotify_init1: %s", path, strerror(-err));
		goto free_dir;
	}
	if (inotify_add_watch(cf->ifd, dir, WATCH_MASK) < 0) {
		err = -errno;
		pr_warn("cluster file %s: cannot watch directory %s: %s", path, dir,
			strerror(-err));
		goto close_inotify;
	}
	err = reload(cf, false);
	if (err)
		goto close_inotify;
	free(dir);
	*out = cf;
	return 0;

close_inotify:
	close(cf->ifd);
	cf->ifd = -1;
free_dir:
	free(dir);
	cluster_file_close(cf);
	return err;
}

int cluster_file_fd(const struct cluster_file *cf)
{
	return cf->ifd;
}

bool cluster_file_loaded(const struct cluster_file *cf)
{
	return cf->loaded;
}

int cluster_file_handle(struct cluster_file *cf)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint32_t ours = 0;
	bool reread = false;
	ssize_t len;
	int err;

	/* Drain everything first: a burst of writes is one re-read, not many. */
	for (;;) {
		len = read(cf->ifd, buf, sizeof(buf));
		if (len < 0) {
			err = -errno;
			if (err == -EINTR)
				continue;
			if (err == -EAGAIN)
				break;
			pr_warn("cluster file %s: reading inotify events: %s", cf->path,
				strerror(-err));
			return err;
		}
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				reread = true; /* events were lost: ours may be among them */
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				pr_warn("cluster file %s: its directory was removed or moved; "
					"changes are no longer seen",
					cf->path);
				continue;
			}
			if (!ev->len)
				continue;
			if (!strcmp(ev->name, cf->base) || !strcmp(ev->name, CONFIGMAP_DATA_LINK)) {
				ours |= ev->mask;
				reread = true;
			}
		}
	}
	if (!reread)
		return 0;
	return reload(cf, ours && !(ours & ~(uint32_t)IN_CREATE));
}

void cluster_file_close(struct cluster_file *cf)
{
	if (!cf)
		return;
	if (cf->ifd >= 0)
		close(cf->ifd);
	free(cf->last_problem);
	free(cf->path);
	free(cf);
}
