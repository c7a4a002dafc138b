// SPDX-License-Identifier: Apache-2.0
/* What a watch stream brings: events framed from the chunks, parsed, and
 * handed to the loop as upserts and deletes, or, during a streaming list's
 * initial events, gathered into the list's snapshot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/k8s/json_arena.h"
#include "daemon/k8s/watcher_int.h"
#include "log.h"

static void push_delete(struct reflector *r, const char *ns, const char *name)
{
	struct k8s_msg *m = wt_msg_new(K8S_MSG_DELETE, r->id);

	if (!m)
		return;
	m->ns = ns ? strdup(ns) : NULL;
	m->name = strdup(name);
	if (!m->name || (ns && !m->ns)) {
		k8s_msg_free(m);
		return;
	}
	k8s_queue_push(r->w->q, m);
}

static void push_upsert(struct reflector *r, const struct k8s_event *ev)
{
	struct cluster_k8s_err kerr = {};
	struct k8s_msg *m;
	void *obj;
	int ret;

	ret = r->kind->parse(ev->object, &obj, &kerr);
	if (ret == -EINVAL) {
		/* What the model had of it is no longer true: out it goes. */
		pr_warn("Kubernetes API: %s %s%s%s: %s; left out of the model", r->kind->name,
			ev->ns ? ev->ns : "", ev->ns ? "/" : "", ev->name, kerr.msg);
		push_delete(r, ev->ns, ev->name);
		return;
	}
	if (ret) {
		pr_warn("Kubernetes API: %s: out of memory for an event", r->kind->name);
		return;
	}
	m = wt_msg_new(K8S_MSG_UPSERT, r->id);
	if (!m) {
		r->kind->free(obj);
		return;
	}
	m->obj = obj;
	k8s_queue_push(r->w->q, m);
}

/* An initial event of a streaming list: into the snapshot, like a list item. */
static int initial_event(struct reflector *r, const struct k8s_event *ev)
{
	struct cluster_k8s_err kerr = {};
	void *obj;
	int ret;

	switch (ev->type) {
	case K8S_ADDED:
		ret = r->kind->parse(ev->object, &obj, &kerr);
		if (ret == -EINVAL) {
			pr_warn("Kubernetes API: %s %s%s%s: %s; left out of the model",
				r->kind->name, ev->ns ? ev->ns : "", ev->ns ? "/" : "", ev->name,
				kerr.msg);
			return 0;
		}
		if (!ret)
			ret = r->kind->snapshot_add(r->snap, obj);
		if (ret)
			return ret == -EEXIST ? 0 : ret;
		/* A first list goes to the loop in pages here too. */
		if (r->by_page && ++r->stream_items % K8S_LIST_LIMIT == 0) {
			if (wt_push_list(r, false) || cluster_snapshot_new(&r->snap))
				return -ENOMEM;
		}
		return 0;
	case K8S_BOOKMARK:
		if (!ev->initial_events_end)
			return 0;
		wt_set_rv(r, ev->rv);
		r->initial = false;
		if (wt_push_list(r, true))
			return -ENOMEM;
		r->listed_once = true;
		r->by_page = false;
		return 0;
	default:
		/* Not what the streaming list promises: lists are safer. */
		snprintf(r->abort_msg, sizeof(r->abort_msg),
			 "an event other than ADDED among the initial events");
		r->no_stream = true;
		return -EPROTO;
	}
}

/* One line of the watch stream (on_event()). Non-zero ends the watch. */
static int on_event_parsed(struct reflector *r, char *line, size_t len)
{
	struct k8s_event ev;
	char err[256];

	if (k8s_event_parse(line, len, &ev, err, sizeof(err))) {
		snprintf(r->abort_msg, sizeof(r->abort_msg), "%s", err);
		return -EBADMSG;
	}
	if (r->initial && ev.type != K8S_ERROR) {
		int ret = initial_event(r, &ev);

		if (ret && !r->abort_msg[0])
			snprintf(r->abort_msg, sizeof(r->abort_msg), "%s", strerror(-ret));
		k8s_event_free(&ev);
		if (!ret && !r->got_event) {
			r->got_event = true;
			r->failures = 0;
		}
		return ret;
	}
	switch (ev.type) {
	case K8S_ERROR:
		if (ev.code == 410) {
			r->expired = true;
		} else {
			snprintf(r->abort_msg, sizeof(r->abort_msg), "watch error %ld: %s", ev.code,
				 ev.message ? ev.message : "(no message)");
		}
		k8s_event_free(&ev);
		return -ECONNABORTED;
	case K8S_ADDED:
	case K8S_MODIFIED: push_upsert(r, &ev); break;
	case K8S_DELETED: push_delete(r, ev.ns, ev.name); break;
	case K8S_BOOKMARK: break;
	}
	wt_set_rv(r, ev.rv);
	if (!r->got_event) {
		r->got_event = true;
		r->failures = 0;
	}
	k8s_event_free(&ev);
	return 0;
}

/* One line of the watch stream, its JSON in the arena unless the kind keeps
 * it (json_arena.h). Non-zero ends the watch. */
static int on_event(void *ctx, char *line, size_t len)
{
	struct reflector *r = ctx;
	bool arena = !r->kind->keeps_json;
	int ret;

	if (arena)
		json_arena_begin();
	ret = on_event_parsed(r, line, len);
	if (arena)
		json_arena_end();
	return ret;
}

size_t wt_on_watch_data(char *data, size_t size, size_t n, void *ctx)
{
	struct reflector *r = ctx;
	long code = 0;

	curl_easy_getinfo(r->req.easy, CURLINFO_RESPONSE_CODE, &code);
	/* An error response is a Status object: keep it for the message. */
	if (code != 200)
		return k8s_buf_append(&r->req.body, data, n * size) ? 0 : n * size;
	if (!r->ok)
		wt_succeed(r);
	return k8s_lines_feed(&r->lines, data, n * size, on_event, r) ? 0 : n * size;
}
