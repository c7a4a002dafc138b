// SPDX-License-Identifier: Apache-2.0
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon/k8s/json_arena.h"
#include "daemon/k8s/watcher_int.h"
#include "log.h"

/* The largest list page or single object accepted: far above any real one. */
#define BODY_MAX       (512u << 20)
#define LINE_MAX_BYTES (64u << 20)
/* The server ends a watch after timeoutSeconds; client-go picks 5-10 min. */
#define WATCH_TIMEOUT_MIN_S 300
/* A watch that ends sooner than this with nothing in it counts as a failure,
 * so a server closing every watch at once is not hammered. */
#define WATCH_MIN_LIFE_MS 1000

struct k8s_msg *wt_msg_new(enum k8s_msg_type type, enum k8s_kind_id kind)
{
	struct k8s_msg *m = calloc(1, sizeof(*m));

	if (!m) {
		pr_warn("Kubernetes API: out of memory for a change; it waits for the next list");
		return NULL;
	}
	m->type = type;
	m->kind = kind;
	return m;
}

/* Tell the loop when "connected" or the reason it is not changed. Connected:
 * every kind's last request succeeded. */
static void report_state(struct k8s_watcher *w)
{
	const char *error = "";
	bool connected = true;
	struct k8s_msg *m;

	for (int i = 0; i < K8S_KINDS; i++) {
		if (w->r[i].ok)
			continue;
		connected = false;
		if (!*error)
			error = w->r[i].error;
	}
	if (w->state_sent && connected == w->connected_sent && !strcmp(error, w->error_sent))
		return;
	m = wt_msg_new(K8S_MSG_STATE, 0);
	if (!m)
		return;
	m->connected = connected;
	snprintf(m->error, sizeof(m->error), "%s", error);
	w->state_sent = true;
	w->connected_sent = connected;
	snprintf(w->error_sent, sizeof(w->error_sent), "%s", error);
	k8s_queue_push(w->q, m);
}

void wt_set_rv(struct reflector *r, const char *rv)
{
	char *copy;

	if (!rv || !*rv)
		return;
	copy = strdup(rv);
	if (!copy)
		return; /* the older one still resumes correctly, with replays */
	free(r->rv);
	r->rv = copy;
}

/* Capped exponential backoff with jitter: the delay is drawn from the upper
 * half of the step, so nodes that lost the server together spread out. */
static long long backoff_ms(struct k8s_watcher *w, unsigned int failures)
{
	long long d = K8S_BACKOFF_MIN_MS;

	for (unsigned int i = 1; i < failures && d < K8S_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > K8S_BACKOFF_MAX_MS)
		d = K8S_BACKOFF_MAX_MS;
	return d / 2 + (long long)(rand_r(&w->seed) % (unsigned int)(d / 2 + 1));
}

/* A request failed: say why (once per distinct reason), wait, then resume. */
static void fail(struct reflector *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct reflector *r, const char *fmt, ...)
{
	char msg[sizeof(r->error)];
	long long delay;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->failures++;
	delay = backoff_ms(r->w, r->failures);
	if (r->ok || strcmp(msg, r->error))
		pr_warn("Kubernetes API: %s: %s; retrying in %lld ms (the last state stays in "
			"force)",
			r->kind->name, msg, delay);
	else
		pr_debug("Kubernetes API: %s: %s; retrying in %lld ms", r->kind->name, msg, delay);
	snprintf(r->error, sizeof(r->error), "%s", msg);
	r->ok = false;
	r->state = R_WAIT;
	r->retry_at = now_ms() + delay;
	report_state(r->w);
}

void wt_succeed(struct reflector *r)
{
	if (!r->ok && r->failures)
		pr_info("Kubernetes API: %s: connected again", r->kind->name);
	r->ok = true;
	r->error[0] = '\0';
	report_state(r->w);
}

/* ---- starting requests -------------------------------------------------------- */

static void start_list(struct reflector *r)
{
	char query[64 + 3 * 1024];
	int ret;

	if (!r->snap) {
		ret = cluster_snapshot_new(&r->snap);
		if (ret) {
			fail(r, "out of memory");
			return;
		}
	}
	if (!r->cont)
		r->list_started = now_ms();
	snprintf(query, sizeof(query), "limit=%d", K8S_LIST_LIMIT);
	ret = k8s_request_start(&r->req, &r->w->creds, r->w->multi, r->kind->path, query,
				"continue", r->cont, NULL, r);
	if (ret) {
		fail(r, "cannot start a request: %s", strerror(-ret));
		return;
	}
	r->state = R_LIST;
}

/* A watch request: @extra are the query parameters beyond the common ones;
 * @rv, when set, is where it starts. 0, or -1 after fail(). */
static int watch_request(struct reflector *r, const char *extra, const char *rv)
{
	unsigned int timeout = WATCH_TIMEOUT_MIN_S + rand_r(&r->w->seed) % WATCH_TIMEOUT_MIN_S;
	char query[256];
	int ret;

	snprintf(query, sizeof(query), "watch=1&allowWatchBookmarks=true&timeoutSeconds=%u%s",
		 timeout, extra);
	k8s_lines_reset(&r->lines);
	r->expired = r->got_event = false;
	r->abort_msg[0] = '\0';
	ret = k8s_request_start(&r->req, &r->w->creds, r->w->multi, r->kind->path, query,
				rv ? "resourceVersion" : NULL, rv, wt_on_watch_data, r);
	if (ret) {
		fail(r, "cannot start a request: %s", strerror(-ret));
		return -1;
	}
	r->state = R_WATCH;
	r->watch_started = now_ms();
	return 0;
}

static void start_watch(struct reflector *r)
{
	watch_request(r, "", r->rv);
}

/* The streaming list: a watch from "now" whose initial events are every
 * object, ended by a bookmark (k8s.io/initial-events-end), then the watch
 * goes on. Servers before 1.27, or with the WatchList gate off, refuse the
 * request (resourceVersionMatch on a watch): watch_done() falls back. */
static void start_stream(struct reflector *r)
{
	cluster_snapshot_free(r->snap);
	r->snap = NULL;
	if (cluster_snapshot_new(&r->snap)) {
		fail(r, "out of memory");
		return;
	}
	r->list_started = now_ms();
	r->stream_items = 0;
	if (!watch_request(r, "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan", NULL))
		r->initial = true;
}

/* A full list: streamed where the server offers it, else paginated. */
static void start_full_list(struct reflector *r)
{
	if (r->no_stream)
		start_list(r);
	else
		start_stream(r);
}

static void start_next(struct reflector *r)
{
	if (r->rv)
		start_watch(r);
	else
		start_full_list(r);
}

/* Forget the watch's place: the next start lists afresh. */
static void relist(struct reflector *r, const char *why)
{
	pr_info("Kubernetes API: %s: %s; listing again (applied as the difference)", r->kind->name,
		why);
	free(r->rv);
	r->rv = NULL;
	start_full_list(r);
}

/* A streaming list ended before its initial events did. Refused (an HTTP
 * error) or ended without the closing bookmark: the server does not offer
 * it, so paginated lists from now on. True when that was the case. */
static bool stream_fallback(struct reflector *r, CURLcode res, long code)
{
	/* What a server that does not know the request says (v1.24: 422,
	 * resourceVersionMatch is forbidden for a watch; the gate off: 422 or
	 * 400). 401, 403 (RBAC not warm after a restart), 5xx are failures
	 * like any other and do not rule the stream out. */
	bool refused = code == 400 || code == 422;

	if (!r->initial)
		return false;
	r->initial = false;
	cluster_snapshot_free(r->snap);
	r->snap = NULL;
	/* Pages already merged may hold what is gone by the next list: that
	 * one is applied whole, as a difference. */
	if (r->by_page && r->stream_items >= K8S_LIST_LIMIT) {
		r->by_page = false;
		r->listed_once = true;
	}
	if (!refused && !r->no_stream && (res != CURLE_OK || code != 200))
		return false; /* the request failed: try the stream again later */
	pr_info("Kubernetes API: %s: the server offers no streaming list (%s); using paginated "
		"lists",
		r->kind->name,
		refused ? k8s_request_status(&r->req, code)
			: (r->abort_msg[0] ? r->abort_msg : "no end of the initial events"));
	r->no_stream = true;
	start_list(r);
	return true;
}

/* ---- finished requests -------------------------------------------------------- */

/* Hand the snapshot over: a whole list (applied as the difference), or one
 * page of a first list (merged). */
int wt_push_list(struct reflector *r, bool last)
{
	struct k8s_msg *m = wt_msg_new(K8S_MSG_LIST, r->id);

	if (!m)
		return -ENOMEM;
	m->snap = r->snap;
	m->relist = r->listed_once;
	m->merge = r->by_page;
	m->last = last;
	m->listed_ms = now_ms() - r->list_started;
	r->snap = NULL;
	k8s_queue_push(r->w->q, m);
	return 0;
}

static void list_page_done(struct reflector *r)
{
	char err[256], *cont = NULL, *rv = NULL;
	size_t items = 0;
	int ret;

	ret = k8s_page_parse(r->kind, r->req.body.p, r->req.body.len, r->snap, &cont, &rv, &items,
			     err, sizeof(err));
	if (ret) {
		fail(r, "%s", ret == -EINVAL ? err : strerror(-ret));
		return;
	}
	free(r->cont);
	r->cont = cont;
	if (cont) {
		free(rv);
		if (r->by_page && wt_push_list(r, false)) {
			fail(r, "out of memory");
			return;
		}
		start_list(r);
		return;
	}
	if (wt_push_list(r, true)) {
		free(rv);
		fail(r, "out of memory");
		return;
	}
	r->listed_once = true;
	r->by_page = false;
	free(r->rv);
	r->rv = rv;
	if (!r->rv) {
		fail(r, "the list has no resourceVersion to watch from");
		return;
	}
	start_watch(r);
}

static void list_done(struct reflector *r, CURLcode res, long code)
{
	if (res != CURLE_OK) {
		/* The same page again after the wait: its token may still be good. */
		fail(r, "list: %s", k8s_request_error(&r->req, res));
		return;
	}
	if (code == 410 && r->cont) {
		pr_info("Kubernetes API: %s: the list's continue token expired; listing again "
			"from the start",
			r->kind->name);
		free(r->cont);
		r->cont = NULL;
		cluster_snapshot_free(r->snap);
		r->snap = NULL;
		/* Pages already merged may hold what is gone since: this list
		 * is applied whole, as a difference. */
		if (r->by_page)
			r->listed_once = true;
		r->by_page = false;
		start_list(r);
		return;
	}
	if (code != 200) {
		fail(r, "list: %s", k8s_request_status(&r->req, code));
		return;
	}
	/* A page served: the next failure starts the backoff from the bottom. */
	r->failures = 0;
	wt_succeed(r);
	list_page_done(r);
}

static void watch_done(struct reflector *r, CURLcode res, long code)
{
	bool short_lived = now_ms() - r->watch_started < WATCH_MIN_LIFE_MS && !r->got_event;

	if (k8s_lines_pending(&r->lines))
		pr_info("Kubernetes API: %s: the watch ended in the middle of an event; resuming "
			"from resourceVersion %s",
			r->kind->name, r->rv ? r->rv : "(none: listing again)");
	if (stream_fallback(r, res, code))
		return;
	if (r->expired || code == 410) {
		relist(r, "the watch's resourceVersion expired (410 Gone)");
		return;
	}
	if (res == CURLE_WRITE_ERROR && r->abort_msg[0]) {
		/* on_event() ended it: a malformed event or an ERROR Status. */
		fail(r, "watch: %s", r->abort_msg);
		return;
	}
	if (res != CURLE_OK) {
		fail(r, "watch: %s", k8s_request_error(&r->req, res));
		return;
	}
	if (code != 200) {
		fail(r, "watch: %s", k8s_request_status(&r->req, code));
		return;
	}
	if (short_lived) {
		fail(r, "watch: the server ended it at once");
		return;
	}
	start_watch(r);
}

static void finish(struct k8s_watcher *w, CURL *easy, CURLcode res)
{
	struct reflector *r = NULL;
	long code = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	k8s_request_end(&r->req, w->multi);
	if (code == 401)
		w->creds.token_stale = true; /* a rotated token: read it again now */
	if (r->state == R_LIST)
		list_done(r, res, code);
	else
		watch_done(r, res, code);
}

/* ---- the thread --------------------------------------------------------------- */

/* A watch is up once the server answered 200: its headers, not its first
 * event, which may be a minute away on a quiet cluster. */
static void watch_answered(struct reflector *r)
{
	long code = 0;

	if (r->ok || r->state != R_WATCH || !r->req.easy)
		return;
	curl_easy_getinfo(r->req.easy, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200)
		wt_succeed(r);
}

static void *run(void *arg)
{
	struct k8s_watcher *w = arg;
	struct CURLMsg *msg;
	int running, left;

	while (!atomic_load(&w->stop)) {
		long long now = now_ms(), timeout = 1000;

		for (int i = 0; i < K8S_KINDS; i++) {
			struct reflector *r = &w->r[i];

			if (r->state != R_WAIT)
				continue;
			if (now >= r->retry_at)
				start_next(r);
			else if (r->retry_at - now < timeout)
				timeout = r->retry_at - now;
		}
		curl_multi_perform(w->multi, &running);
		for (int i = 0; i < K8S_KINDS; i++)
			watch_answered(&w->r[i]);
		while ((msg = curl_multi_info_read(w->multi, &left))) {
			if (msg->msg == CURLMSG_DONE)
				finish(w, msg->easy_handle, msg->data.result);
		}
		/* A reflector that finished may be due again at once. */
		for (int i = 0; i < K8S_KINDS; i++) {
			if (w->r[i].state == R_WAIT && w->r[i].retry_at <= now_ms())
				timeout = 0;
		}
		curl_multi_poll(w->multi, NULL, 0, (int)timeout, NULL);
	}
	json_arena_release();
	return NULL;
}

int k8s_watcher_start(struct k8s_creds *creds, struct k8s_queue *q, struct k8s_watcher **out)
{
	struct k8s_watcher *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w) {
		k8s_creds_free(creds);
		return -ENOMEM;
	}
	w->creds = *creds;
	memset(creds, 0, sizeof(*creds));
	w->q = q;
	w->seed = (unsigned int)now_ns();
	atomic_init(&w->stop, false);
	w->multi = curl_multi_init();
	if (!w->multi) {
		err = -ENOMEM;
		goto free_watcher;
	}
	/* One HTTP/2 connection carries the four watches when the server
	 * speaks it (kube-apiserver does). */
	curl_multi_setopt(w->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	for (int i = 0; i < K8S_KINDS; i++) {
		w->r[i].w = w;
		w->r[i].id = i;
		w->r[i].kind = &k8s_kinds[i];
		w->r[i].state = R_WAIT;
		w->r[i].by_page = true;
		w->r[i].req.body.max = BODY_MAX;
		k8s_lines_init(&w->r[i].lines, LINE_MAX_BYTES);
	}
	json_arena_install();
	err = -pthread_create(&w->thread, NULL, run, w);
	if (err) {
		pr_warn("Kubernetes API: cannot start the watcher thread: %s", strerror(-err));
		goto cleanup_multi;
	}
	*out = w;
	return 0;

cleanup_multi:
	curl_multi_cleanup(w->multi);
free_watcher:
	k8s_creds_free(&w->creds);
	free(w);
	return err;
}

void k8s_watcher_stop(struct k8s_watcher *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	for (int i = 0; i < K8S_KINDS; i++) {
		struct reflector *r = &w->r[i];

		k8s_request_end(&r->req, w->multi);
		k8s_buf_free(&r->req.body);
		k8s_lines_free(&r->lines);
		cluster_snapshot_free(r->snap);
		free(r->rv);
		free(r->cont);
	}
	curl_multi_cleanup(w->multi);
	k8s_creds_free(&w->creds);
	free(w);
}
