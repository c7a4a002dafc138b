// SPDX-License-Identifier: Apache-2.0
/* The cluster file source, on real files in a temp directory: first load, a
 * missing file that appears later, atomic replacement seen through the inotify fd,
 * bursts coalesced, and bad files rejected whole with one warning that says where. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cluster/cluster.h"
#include "daemon/cluster/cluster_file.h"
#include "log.h"
#include "testing.h"

static char dir[64], file[128], logpath[128];

struct counts {
	int add, update, del;
	char last_label[64];
};

static void on_pod(void *ctx, enum cluster_event ev, const struct cl_pod *old,
		   const struct cl_pod *cur)
{
	struct counts *c = ctx;
	const char *v;

	(void)old;
	if (ev == CLUSTER_ADD)
		c->add++;
	else if (ev == CLUSTER_UPDATE)
		c->update++;
	else
		c->del++;
	v = cur ? cl_labels_get(&cur->labels, "app") : NULL;
	snprintf(c->last_label, sizeof(c->last_label), "%s", v ? v : "");
}

static int write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		return -errno;
	fputs(text, fp);
	return fclose(fp) ? -errno : 0;
}

/* What a careful writer does: a temp file in the same directory, then rename. */
static int replace_file(const char *text)
{
	char tmp[160];
	int ret;

	snprintf(tmp, sizeof(tmp), "%s/.cluster.json.tmp", dir);
	ret = write_file(tmp, text);
	if (!ret && rename(tmp, file))
		ret = -errno;
	return ret;
}

/* Wait for the fd like weftd's epoll would, then let the source handle it.
 * 1 when the fd became readable, 0 on timeout. */
static int wait_and_handle(struct cluster_file *cf, int timeout_ms, int *handle_ret)
{
	struct pollfd pfd = {.fd = cluster_file_fd(cf), .events = POLLIN};
	int n = poll(&pfd, 1, timeout_ms);

	*handle_ret = n > 0 ? cluster_file_handle(cf) : 0;
	return n > 0;
}

static char *read_log(void)
{
	static char buf[65536];
	FILE *fp = fopen(logpath, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
	}
	return buf;
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A List with pod default/web labelled @label (and IP @ip), pod default/db, a node,
 * a namespace. */
static char *doc(const char *label, const char *ip)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
		 " {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": "
		 "\"default\"}},\n"
		 " {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n1\"},\n"
		 "  \"spec\": {\"podCIDR\": \"10.244.1.0/24\"},\n"
		 "  \"status\": {\"addresses\": [{\"type\": \"InternalIP\", \"address\": "
		 "\"192.168.0.1\"}]}},\n"
		 " {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"web\", "
		 "\"namespace\": \"default\", \"labels\": {\"app\": \"%s\"}},\n"
		 "  \"spec\": {\"nodeName\": \"n1\"}, \"status\": {\"podIP\": \"%s\"}},\n"
		 " {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"db\", "
		 "\"namespace\": \"default\"},\n"
		 "  \"spec\": {\"nodeName\": \"n1\"}, \"status\": {\"podIP\": \"10.244.1.7\"}}\n"
		 "]}\n",
		 label, ip);
	return buf;
}

static void test_missing_then_created(void)
{
	struct cluster_observer obs = {.pod = on_pod};
	struct cluster_file *cf = NULL;
	struct cluster *cl;
	struct counts c = {};
	int ret, readable, fd;
	const char *text;

	cluster_new(&cl);
	obs.ctx = &c;
	cluster_add_observer(cl, &obs);
	CHECK_INT(cluster_file_open(file, cl, &cf), 0, "open with the file missing");
	CHECK(cf && !cluster_file_loaded(cf), "nothing loaded yet");
	CHECK(cf && cluster_file_fd(cf) >= 0, "an fd to poll");
	CHECK(strstr(read_log(), "does not exist") != NULL, "the missing file is logged (info)");
	if (!cf)
		goto free_cluster;

	/* A slow writer in place: the name appears empty, the content comes later. */
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0, "create the file, empty, and keep it open");
	readable = wait_and_handle(cf, 2000, &ret);
	CHECK(readable && ret == 0, "the creation wakes the fd; handle returns 0");
	CHECK(!cluster_file_loaded(cf) && !strstr(read_log(), "warn"),
	      "an empty new file is waited for, not warned about");
	text = doc("web", "10.244.1.5");
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write the content");
	close(fd);
	readable = wait_and_handle(cf, 2000, &ret);
	CHECK(readable && ret == 0, "the close wakes the fd");
	CHECK(cluster_file_loaded(cf), "the created file is loaded");
	CHECK_INT(c.add, 2, "two pod ADDs");
	CHECK(cluster_find_node(cl, "n1") != NULL, "node n1 is in the model");
	cluster_file_close(cf);
free_cluster:
	cluster_free(cl);
}

static void test_replace_and_reject(void)
{
	struct cluster_observer obs = {.pod = on_pod};
	struct cluster_file *cf = NULL;
	const struct cl_pod *p;
	struct weft_addr a;
	struct cluster *cl;
	struct counts c = {};
	char *log;
	int ret, fd;

	cluster_new(&cl);
	obs.ctx = &c;
	cluster_add_observer(cl, &obs);
	CHECK_INT(replace_file(doc("web", "10.244.1.5")), 0, "write the file");
	CHECK_INT(cluster_file_open(file, cl, &cf), 0, "open loads it");
	if (!cf)
		goto free_cluster;
	CHECK(cluster_file_loaded(cf) && c.add == 2, "loaded at open: two pod ADDs");
	/* open's own writes came before the watch, but the drain must leave nothing. */
	while (wait_and_handle(cf, 100, &ret))
		;

	/* Atomic replacement: one label changed. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(replace_file(doc("web-v2", "10.244.1.5")), 0, "replace the file by rename");
	CHECK(wait_and_handle(cf, 2000, &ret) && ret == 0, "the rename wakes the fd");
	CHECK(c.update == 1 && c.add == 0 && c.del == 0, "one pod UPDATE, nothing else");
	CHECK_STR(c.last_label, "web-v2", "the UPDATE carries the new label");

	/* A burst of replacements is one re-read of the last. */
	memset(&c, 0, sizeof(c));
	replace_file(doc("a", "10.244.1.5"));
	replace_file(doc("b", "10.244.1.5"));
	replace_file(doc("c", "10.244.1.5"));
	CHECK(wait_and_handle(cf, 2000, &ret) && ret == 0, "a burst of three renames");
	CHECK(c.update == 1 && !strcmp(c.last_label, "c"),
	      "coalesced: one UPDATE straight to the last content");

	/* Other files in the directory do not concern us. */
	memset(&c, 0, sizeof(c));
	{
		char other[160];

		snprintf(other, sizeof(other), "%s/other.json", dir);
		write_file(other, "not json");
		CHECK(wait_and_handle(cf, 2000, &ret) && ret == 0, "another file's event");
		unlink(other);
		while (wait_and_handle(cf, 100, &ret))
			;
		CHECK(c.update + c.add + c.del == 0, "no change from another file");
	}

	/* Broken JSON: line 4 lacks a comma. */
	CHECK_INT(replace_file("{\"kind\": \"List\",\n \"items\": [\n  {\"kind\": \"Pod\"}\n"
			       "  {\"kind\": \"Pod\"}\n]}\n"),
		  0, "replace with broken JSON");
	CHECK(wait_and_handle(cf, 2000, &ret) && ret == 0, "handled");
	p = cluster_find_pod(cl, "default", "web");
	CHECK(p && !strcmp(cl_labels_get(&p->labels, "app"), "c"), "the last good state stays");
	log = read_log();
	CHECK(strstr(log, "line 4, column 3") != NULL, "the warning gives line 4, column 3");
	CHECK(strstr(log, "keeping the last good state") != NULL, "and says the state is kept");
	/* The same broken content again is not warned about twice. */
	CHECK_INT(replace_file("{\"kind\": \"List\",\n \"items\": [\n  {\"kind\": \"Pod\"}\n"
			       "  {\"kind\": \"Pod\"}\n]}\n"),
		  0, "the same broken file again");
	wait_and_handle(cf, 2000, &ret);
	CHECK_INT(occurrences(read_log(), "line 4, column 3: ']' expected near '{'; keeping"), 1,
		  "reported once");

	/* A malformed object: the whole file is refused, naming the item. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(replace_file(doc("d", "10.1.1.x")), 0, "replace with a bad pod IP");
	CHECK(wait_and_handle(cf, 2000, &ret) && ret == 0, "handled");
	CHECK(c.update + c.add + c.del == 0, "no event: nothing partial is applied");
	a = (struct weft_addr){};
	weft_addr_parse("10.244.1.5", &a);
	p = cluster_find_pod_by_ip(cl, &a);
	CHECK(p && !strcmp(cl_labels_get(&p->labels, "app"), "c"), "the last good state stays");
	log = read_log();
	CHECK(strstr(log, "items[2] Pod default/web: status.podIP: \"10.1.1.x\" is not an IP "
			  "address") != NULL,
	      "the warning names items[2], Pod, default/web and status.podIP");

	/* A good file again is applied; a later repeat of an old problem is news again. */
	CHECK_INT(replace_file(doc("e", "10.244.1.6")), 0, "replace with a good file");
	CHECK(wait_and_handle(cf, 2000, &ret) && ret == 0, "handled");
	CHECK(c.update == 1 && !strcmp(c.last_label, "e"), "applied after the bad ones");
	a = (struct weft_addr){};
	weft_addr_parse("10.244.1.6", &a);
	CHECK(cluster_find_pod_by_ip(cl, &a) != NULL, "the new pod IP is indexed");

	/* Removing the file keeps the state (a rm + create writer must not flap pods). */
	memset(&c, 0, sizeof(c));
	CHECK_INT(unlink(file), 0, "remove the file");
	CHECK(wait_and_handle(cf, 2000, &ret) && ret == 0, "handled");
	CHECK(c.del == 0 && cluster_find_pod(cl, "default", "db"), "the state is kept");

	/* The fd is non-blocking and drained: handle with nothing pending is harmless. */
	fd = cluster_file_fd(cf);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "the inotify fd is non-blocking");
	CHECK_INT(cluster_file_handle(cf), 0, "handle with nothing pending");
	cluster_file_close(cf);
free_cluster:
	cluster_free(cl);
}

static void test_bad_dir(void)
{
	struct cluster_file *cf = NULL;
	struct cluster *cl;
	char path[160];

	cluster_new(&cl);
	snprintf(path, sizeof(path), "%s/no-such-dir/cluster.json", dir);
	CHECK_INT(cluster_file_open(path, cl, &cf), -ENOENT, "a missing directory is an error");
	CHECK_INT(cluster_file_open("", cl, &cf), -EINVAL, "an empty path is refused");
	cluster_free(cl);
}

int main(void)
{
	char tmpl[] = "/tmp/weft-cluster-file.XXXXXX";

	if (!mkdtemp(tmpl)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(file, sizeof(file), "%s/cluster.json", dir);
	/* The log lives outside the watched directory so it causes no events. */
	snprintf(logpath, sizeof(logpath), "%s.log", dir);
	CHECK_INT(log_set_file(logpath), 0, "log to %s", logpath);

	test_missing_then_created();
	unlink(file);
	test_replace_and_reject();
	test_bad_dir();

	log_set_file(NULL);
	unlink(file);
	unlink(logpath);
	CHECK_INT(rmdir(dir), 0, "the temp directory is left empty and removed");
	return test_done();
}
