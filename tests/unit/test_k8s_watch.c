// SPDX-License-Identifier: Apache-2.0
/* The watch stream's framing and events: lines cut anywhere across chunks
 * (mid-object, mid-UTF-8, one byte at a time), several in one chunk, blank
 * keep-alive lines, a stream cut mid-event, an oversized line; the event
 * types with their resourceVersion, 410 in an ERROR Status, the bookmark that
 * ends the initial events; and a list page into a snapshot, a bad item left
 * out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/k8s/kinds.h"
#include "daemon/k8s/lines.h"
#include "log.h"
#include "testing.h"

struct seen {
	int n;
	char lines[8][256];
	int stop_at; /* return non-zero at this line (1-based), 0: never */
};

static int on_line(void *ctx, char *line, size_t len)
{
	struct seen *s = ctx;

	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%.*s", (int)len, line);
	s->n++;
	return s->stop_at && s->n == s->stop_at ? -ECANCELED : 0;
}

static const char stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"caf\xc3\xa9\"}}}\n"
	"\n"
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\n"
	"{\"type\":\"BOOKMARK\"";

static void test_chunks(void)
{
	size_t len = strlen(stream);

	/* Every chunk size from one byte to the whole stream at once. */
	for (size_t chunk = 1; chunk <= len; chunk++) {
		struct k8s_lines l;
		struct seen s = {0};
		int ret = 0;

		k8s_lines_init(&l, 1024);
		for (size_t off = 0; off < len && !ret; off += chunk)
			ret = k8s_lines_feed(&l, stream + off,
					     off + chunk > len ? len - off : chunk, on_line, &s);
		if (ret || s.n != 2 ||
		    strcmp(s.lines[1], "{\"type\":\"DELETED\",\"object\":"
				       "{\"metadata\":{\"name\":\"b\"}}}") ||
		    k8s_lines_pending(&l) != strlen("{\"type\":\"BOOKMARK\"")) {
			CHECK(0, "chunks of %zu bytes: 2 lines and the cut one pending (got %d)",
			      chunk, s.n);
			k8s_lines_free(&l);
			return;
		}
		k8s_lines_free(&l);
	}
	CHECK(1, "any chunking: 2 complete lines in order, the blank one skipped, the cut one "
		 "held");
}

static void test_stop_and_reset(void)
{
	struct k8s_lines l;
	struct seen s = {.stop_at = 1};

	k8s_lines_init(&l, 1024);
	CHECK_INT(k8s_lines_feed(&l, "a\nb\nc", 5, on_line, &s), -ECANCELED,
		  "the callback's error stops the feed");
	CHECK(s.n == 1 && k8s_lines_pending(&l) == 3, "the lines after it stay buffered");
	s.stop_at = 0;
	CHECK_INT(k8s_lines_feed(&l, "\n", 1, on_line, &s), 0, "the next feed goes on");
	CHECK(s.n == 3 && !strcmp(s.lines[1], "b") && !strcmp(s.lines[2], "c"),
	      "with the held lines first");
	CHECK_INT(k8s_lines_feed(&l, "half", 4, on_line, &s), 0, "a cut line");
	k8s_lines_reset(&l);
	CHECK_INT(k8s_lines_pending(&l), 0, "a reset (new connection) drops it");
	CHECK_INT(k8s_lines_feed(&l, "x\n", 2, on_line, &s), 0, "a new stream");
	CHECK(s.n == 4 && !strcmp(s.lines[3], "x"), "starts clean");
	k8s_lines_free(&l);
}

static void test_limit(void)
{
	char big[100];
	struct k8s_lines l;
	struct seen s = {0};

	memset(big, 'x', sizeof(big));
	k8s_lines_init(&l, 64);
	CHECK_INT(k8s_lines_feed(&l, big, 60, on_line, &s), 0, "60 bytes of a line, limit 64");
	CHECK_INT(k8s_lines_feed(&l, big, 10, on_line, &s), -EMSGSIZE,
		  "an incomplete line past the limit is refused");
	k8s_lines_free(&l);
}

static void test_events(void)
{
	static const char *added =
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
		"{\"name\":\"p\",\"namespace\":\"x\",\"resourceVersion\":\"17\"}}}";
	static const char *gone =
		"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
		"\"reason\":\"Expired\",\"message\":\"too old resource version\"}}";
	static const char *bookmark =
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"99\","
		"\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}";
	struct k8s_event ev;
	char err[256];

	CHECK_INT(k8s_event_parse(added, strlen(added), &ev, err, sizeof(err)), 0, "ADDED parses");
	CHECK(ev.type == K8S_ADDED && ev.rv && !strcmp(ev.rv, "17") && !strcmp(ev.ns, "x") &&
		      !strcmp(ev.name, "p"),
	      "type, resourceVersion, namespace and name");
	k8s_event_free(&ev);
	CHECK_INT(k8s_event_parse(gone, strlen(gone), &ev, err, sizeof(err)), 0, "ERROR parses");
	CHECK(ev.type == K8S_ERROR && ev.code == 410 && strstr(ev.message, "too old"),
	      "410 and the Status message");
	k8s_event_free(&ev);
	CHECK_INT(k8s_event_parse(bookmark, strlen(bookmark), &ev, err, sizeof(err)), 0,
		  "BOOKMARK parses");
	CHECK(ev.type == K8S_BOOKMARK && !strcmp(ev.rv, "99") && ev.initial_events_end,
	      "its resourceVersion, and the end of the initial events");
	k8s_event_free(&ev);
	CHECK_INT(k8s_event_parse("{\"type\":\"ADDED\"", 15, &ev, err, sizeof(err)), -EINVAL,
		  "half an object is refused");
	static const char nope[] = "{\"type\":\"NOPE\",\"object\":{}}";
	CHECK_INT(k8s_event_parse(nope, strlen(nope), &ev, err, sizeof(err)), -EINVAL,
		  "an unknown type is refused");
	CHECK(strstr(err, "NOPE"), "naming it (%s)", err);
	CHECK_INT(k8s_event_parse("{\"type\":\"DELETED\",\"object\":{\"metadata\":{}}}", 42, &ev,
				  err, sizeof(err)),
		  -EINVAL, "an object without a name is refused");
}

static void test_page(void)
{
	static const char page[] =
		"{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"42\",\"continue\":\"tok\"},"
		"\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"x\"},\"spec\":{},\"status\":"
		"{\"podIP\":\"10.1.0.2\"}},{\"metadata\":{\"name\":\"bad\",\"namespace\":\"x\"},"
		"\"spec\":{},\"status\":{\"podIP\":\"10.1.0.x\"}},{\"metadata\":{\"name\":\"c\","
		"\"namespace\":\"y\"},\"spec\":{},\"status\":{}}]}";
	struct cluster_snapshot *snap, *snap2;
	struct cluster *cl;
	struct cluster_diff_counts diff;
	struct cluster_counts c;
	char err[256], *cont, *rv;
	size_t items = 0;

	CHECK_INT(cluster_snapshot_new(&snap), 0, "a snapshot");
	CHECK_INT(k8s_page_parse(&k8s_kinds[K8S_PODS], page, strlen(page), snap, &cont, &rv, &items,
				 err, sizeof(err)),
		  0, "a pod page parses (%s)", err);
	CHECK(items == 2, "two pods taken, the bad one left out (%zu)", items);
	CHECK(cont && !strcmp(cont, "tok") && rv && !strcmp(rv, "42"),
	      "the continue token and the resourceVersion");
	free(cont);
	free(rv);
	CHECK_INT(cluster_new(&cl), 0, "a model");
	CHECK_INT(cluster_upsert_node(cl, cl_node_new("n1")), 0, "with a node");
	CHECK_INT(cluster_upsert_pod(cl, cl_pod_new("x", "old")), 0, "and a pod no list has");
	CHECK_INT(cluster_apply_snapshot_kinds(cl, snap, CLUSTER_PODS, &diff), 0,
		  "the page applied as the pods' relist");
	cluster_counts(cl, &c);
	CHECK(c.pods == 2 && cluster_find_pod(cl, "x", "a") && !cluster_find_pod(cl, "x", "bad") &&
		      !cluster_find_pod(cl, "x", "old"),
	      "the model's pods are the list's: a and c, old deleted");
	CHECK(c.nodes == 1, "the node, of another kind, stays");
	CHECK(diff.added == 2 && diff.deleted == 1 && !diff.updated && !diff.unchanged,
	      "counted: 2 added, 1 deleted");
	/* A page of a first list is merged: what the model has stays. */
	CHECK_INT(cluster_snapshot_new(&snap2), 0, "a second page");
	CHECK_INT(cluster_snapshot_add_pod(snap2, cl_pod_new("z", "new")), 0, "with one pod");
	CHECK_INT(cluster_merge_snapshot_kinds(cl, snap2, CLUSTER_PODS, &diff), 0, "merged");
	cluster_counts(cl, &c);
	CHECK(c.pods == 3 && cluster_find_pod(cl, "z", "new") && cluster_find_pod(cl, "x", "a"),
	      "merged: the page's pod added, the others kept");
	CHECK(diff.added == 1 && !diff.deleted, "counted: 1 added, none deleted");
	cluster_snapshot_free(snap2);
	cluster_free(cl);
	cluster_snapshot_free(snap);
	CHECK_INT(k8s_page_parse(&k8s_kinds[K8S_PODS], "[1]", 3, NULL, &cont, &rv, &items, err,
				 sizeof(err)),
		  -EINVAL, "a body that is no list");
}

int main(void)
{
	log_set_level(LOG_LEVEL_WARN);
	log_set_file("/dev/null");
	test_chunks();
	test_stop_and_reset();
	test_limit();
	test_events();
	test_page();
	return test_done();
}
