// SPDX-License-Identifier: Apache-2.0
/*
 * What the Kubernetes API source reads (daemon/k8s/): a watch stream cut
 * into chunks anywhere (lines.c), each line an event (kinds.c's
 * k8s_event_parse()) whose object goes through the kind's parser
 * (daemon/cluster/cluster_k8s.c) into a cluster model, as the watcher's loop
 * applies it; and the same bytes as one list page (k8s_page_parse()).
 *
 * Input: one byte for the kind, one for the chunk sizes, one for the line
 * limit, then the stream. The lines handed on must be exactly the stream's
 * non-blank lines, whatever the chunks.
 */
#include <errno.h>
#include <string.h>

#include "daemon/cluster/cluster.h"
#include "daemon/k8s/kinds.h"
#include "daemon/k8s/lines.h"
#include "tests/fuzz/fuzz.h"

struct watch {
	const struct k8s_kind *kind;
	struct cluster *model;
	const uint8_t *stream; /* where the next expected line starts */
	const uint8_t *end;
};

/* The next non-blank line of the stream, or NULL when only an unfinished
 * line (or nothing) is left. */
static const uint8_t *expected_line(struct watch *w, size_t *len)
{
	const uint8_t *nl;

	for (;;) {
		nl = memchr(w->stream, '\n', (size_t)(w->end - w->stream));
		if (!nl)
			return NULL;
		if (nl > w->stream)
			break;
		w->stream++;
	}
	*len = (size_t)(nl - w->stream);
	return w->stream;
}

static void apply(struct watch *w, const struct k8s_event *ev)
{
	struct cluster_k8s_err kerr = {0};
	void *obj;

	switch (ev->type) {
	case K8S_ADDED:
	case K8S_MODIFIED:
		if (w->kind->parse(ev->object, &obj, &kerr)) {
			FUZZ_ASSERT(kerr.msg[0], "a %s refused without a reason", w->kind->name);
			if (ev->name)
				w->kind->del(w->model, ev->ns, ev->name);
			break;
		}
		w->kind->upsert(w->model, obj);
		break;
	case K8S_DELETED:
		if (ev->name)
			w->kind->del(w->model, ev->ns, ev->name);
		break;
	default: break;
	}
}

static int on_line(void *ctx, char *line, size_t len)
{
	struct watch *w = ctx;
	struct k8s_event ev;
	const uint8_t *want;
	size_t want_len = 0;
	char err[256];

	want = expected_line(w, &want_len);
	FUZZ_ASSERT(want && want_len == len && !memcmp(want, line, len) && !line[len],
		    "line of %zu bytes is not the stream's next line", len);
	w->stream = want + want_len + 1;
	if (k8s_event_parse(line, len, &ev, err, sizeof(err))) {
		FUZZ_ASSERT(err[0], "an event refused without a reason");
		return 0;
	}
	FUZZ_ASSERT(ev.root && ev.object, "an event without its object");
	apply(w, &ev);
	k8s_event_free(&ev);
	return 0;
}

static void page(const struct k8s_kind *kind, const uint8_t *body, size_t len)
{
	struct cluster_snapshot *snap;
	char *cont = NULL, *rv = NULL, err[256];
	size_t items = 0;

	FUZZ_ASSERT(!cluster_snapshot_new(&snap), "snapshot");
	if (k8s_page_parse(kind, (const char *)body, len, snap, &cont, &rv, &items, err,
			   sizeof(err)) == -EINVAL)
		FUZZ_ASSERT(err[0] && !cont && !rv, "a refused page without a reason");
	free(cont);
	free(rv);
	cluster_snapshot_free(snap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {16, 256, 4096, 1 << 20};
	struct k8s_lines lines;
	struct watch w;
	size_t off = 0, n, chunk;
	int ret = 0;

	if (size < 3)
		return 0;
	w.kind = &k8s_kinds[data[0] % K8S_KINDS];
	chunk = data[1];
	k8s_lines_init(&lines, limits[data[2] % 4]);
	data += 3;
	size -= 3;
	w.stream = data;
	w.end = data + size;
	FUZZ_ASSERT(!cluster_new(&w.model), "cluster model");
	/* Chunk sizes 1..chunk+1, cycling: a line is cut everywhere sometime. */
	for (unsigned int i = 0; off < size && !ret; i++) {
		n = 1 + i % (chunk + 1);
		if (n > size - off)
			n = size - off;
		ret = k8s_lines_feed(&lines, (const char *)data + off, n, on_line, &w);
		off += n;
	}
	if (!ret) {
		/* Every complete line was handed on; what is held is the rest. */
		FUZZ_ASSERT(!expected_line(&w, &n), "a complete line was not handed on");
		FUZZ_ASSERT(k8s_lines_pending(&lines) == (size_t)(w.end - w.stream) ||
				    w.stream > w.end,
			    "%zu bytes pending, %zu left", k8s_lines_pending(&lines),
			    (size_t)(w.end - w.stream));
	} else {
		FUZZ_ASSERT(ret == -EMSGSIZE, "feed: %d", ret);
	}
	k8s_lines_free(&lines);
	cluster_free(w.model);
	page(w.kind, data, size);
	return 0;
}
