// SPDX-License-Identifier: Apache-2.0
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "daemon/k8s/creds.h"
#include "daemon/k8s/queue.h"
#include "daemon/k8s/source.h"
#include "daemon/k8s/watcher.h"
#include "log.h"

struct kind_stats {
	bool synced; /* the first list is in the model */
	unsigned long long lists, events;
	struct cluster_diff_counts last; /* what the last list changed */
	/* The list in progress (a first list comes page by page). */
	struct cluster_diff_counts pending;
	long long apply_ns;
	/* Applying one event to the model, its observers included (the ipcache,
	 * routes, the policy engine's marks; the policy compile follows per
	 * batch). */
	long long last_event_us, max_event_us;
};

struct k8s_source {
	struct cluster_source src; /* first: the ops find us from it */
	struct cluster *model;
	struct k8s_queue q;
	struct k8s_watcher *w;
	char server[256];
	char origin[512];
	struct kind_stats kinds[K8S_KINDS];
	bool connected;
	time_t since; /* CLOCK_REALTIME of the last change of @connected */
	char last_error[384];
	time_t last_error_at;
	/* Pods and policies held back until namespaces and nodes are listed. */
	struct k8s_msg *held;
	/* The last batch of messages: how many, and how long applying took. */
	unsigned int last_batch;
	long long last_batch_us;
};

/* Credentials from the flag or the environment: 0 or -errno (logged). */
static int load_creds(const char *kubeconfig, struct k8s_creds *c)
{
	char err[512];
	int ret;

	if (kubeconfig && *kubeconfig) {
		ret = k8s_creds_from_kubeconfig(kubeconfig, c, err, sizeof(err));
		if (ret)
			pr_warn("--kubeconfig %s: %s", kubeconfig, err);
		return ret;
	}
	ret = k8s_creds_from_cluster(c, err, sizeof(err));
	if (ret)
		pr_warn("in-cluster Kubernetes API credentials: %s", err);
	return ret;
}

int k8s_source_check(const char *kubeconfig)
{
	struct k8s_creds c;
	int ret = load_creds(kubeconfig, &c);

	if (!ret)
		k8s_creds_free(&c);
	return ret;
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void add_counts(struct cluster_diff_counts *sum, const struct cluster_diff_counts *c)
{
	sum->added += c->added;
	sum->updated += c->updated;
	sum->deleted += c->deleted;
	sum->unchanged += c->unchanged;
}

static void apply_list(struct k8s_source *s, struct k8s_msg *m)
{
	const struct k8s_kind *k = &k8s_kinds[m->kind];
	struct kind_stats *st = &s->kinds[m->kind];
	struct cluster_diff_counts c;
	long long t0 = (long long)now_ns();
	int err;

	/* Out of memory leaves the model as it was; the next relist tries again. */
	if (m->merge)
		err = cluster_merge_snapshot_kinds(s->model, m->snap, k->bit, &c);
	else
		err = cluster_apply_snapshot_kinds(s->model, m->snap, k->bit, &c);
	if (err)
		return;
	add_counts(&st->pending, &c);
	st->apply_ns += (long long)now_ns() - t0;
	if (!m->last)
		return;
	st->lists++;
	st->last = st->pending;
	c = st->pending;
	if (!st->synced || c.added || c.updated || c.deleted)
		pr_info("Kubernetes API: %s %s in %lld ms, applied in %lld ms: %zu added, %zu "
			"changed, %zu deleted, %zu unchanged",
			m->relist ? "relisted" : "listed", k->name, m->listed_ms,
			st->apply_ns / 1000000, c.added, c.updated, c.deleted, c.unchanged);
	st->pending = (struct cluster_diff_counts){0};
	st->apply_ns = 0;
	st->synced = true;
}

static void apply_state(struct k8s_source *s, const struct k8s_msg *m)
{
	time_t now = time(NULL);

	if (m->error[0]) {
		snprintf(s->last_error, sizeof(s->last_error), "%s", m->error);
		s->last_error_at = now;
	}
	if (m->connected == s->connected)
		return;
	if (m->connected)
		pr_info("Kubernetes API at %s: connected%s", s->server, s->since ? " again" : "");
	else
		pr_warn("Kubernetes API at %s: disconnected (%s); the datapath keeps the last "
			"state",
			s->server, m->error);
	s->connected = m->connected;
	s->since = now;
}

static void apply(struct k8s_source *s, struct k8s_msg *m)
{
	const struct k8s_kind *k = &k8s_kinds[m->kind];
	long long t0 = (long long)now_ns(), us;

	switch (m->type) {
	case K8S_MSG_LIST: apply_list(s, m); return;
	case K8S_MSG_STATE: apply_state(s, m); return;
	case K8S_MSG_UPSERT:
		k->upsert(s->model, m->obj); /* consumes the object */
		m->obj = NULL;
		break;
	case K8S_MSG_DELETE: k->del(s->model, m->ns, m->name); break;
	}
	s->kinds[m->kind].events++;
	us = ((long long)now_ns() - t0) / 1000;
	s->kinds[m->kind].last_event_us = us;
	if (us > s->kinds[m->kind].max_event_us)
		s->kinds[m->kind].max_event_us = us;
}

/* Pods and policies wait, at start, until namespaces and nodes are in: an
 * observer then never sees a pod on a node it has not heard of, and a node
 * added later does not walk every pod already there (the overlay refreshes
 * a node's pods on each node event). */
static bool held_back(const struct k8s_source *s, const struct k8s_msg *m)
{
	if (m->type == K8S_MSG_STATE || (m->kind != K8S_PODS && m->kind != K8S_POLICIES))
		return false;
	return !s->kinds[K8S_NAMESPACES].synced || !s->kinds[K8S_NODES].synced;
}

/* Apply @m's list in order; return how many. */
static unsigned int apply_all(struct k8s_source *s, struct k8s_msg *m)
{
	struct k8s_msg *next;
	unsigned int n = 0;

	for (; m; m = next, n++) {
		next = m->next;
		apply(s, m);
		k8s_msg_free(m);
	}
	return n;
}

static int src_handle(struct cluster_source *src)
{
	struct k8s_source *s = (struct k8s_source *)src;
	struct k8s_msg *m = k8s_queue_take(&s->q), *next, **tail;
	long long t0 = (long long)now_ns();
	unsigned int n = 0;

	/* Everything else first; pods and policies after the ones held back
	 * before, in their order (kinds do not depend on each other's order). */
	for (tail = &s->held; *tail; tail = &(*tail)->next)
		;
	for (; m; m = next) {
		next = m->next;
		m->next = NULL;
		if (m->type != K8S_MSG_STATE && (m->kind == K8S_PODS || m->kind == K8S_POLICIES)) {
			*tail = m;
			tail = &m->next;
			continue;
		}
		apply(s, m);
		k8s_msg_free(m);
		n++;
	}
	if (s->held && !held_back(s, s->held)) {
		n += apply_all(s, s->held);
		s->held = NULL;
	}
	if (n) {
		s->last_batch = n;
		s->last_batch_us = ((long long)now_ns() - t0) / 1000;
	}
	return 0;
}

static int src_fd(struct cluster_source *src)
{
	return ((struct k8s_source *)src)->q.efd;
}

static const char *src_waiting_for(struct cluster_source *src, char *buf, size_t len)
{
	struct k8s_source *s = (struct k8s_source *)src;
	char kinds[128] = "";
	bool err = s->last_error[0];

	for (int i = 0; i < K8S_KINDS; i++) {
		if (!s->kinds[i].synced)
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 kinds[0] ? ", " : "", k8s_kinds[i].name);
	}
	if (!kinds[0])
		return NULL;
	snprintf(buf, len, "the first list of %s from the Kubernetes API at %s%s%s%s", kinds,
		 s->server, err ? " (last error: " : "", s->last_error, err ? ")" : "");
	return buf;
}

static json_t *src_status(struct cluster_source *src)
{
	struct k8s_source *s = (struct k8s_source *)src;
	char since[32] = "", err_at[32] = "";
	json_t *kinds = json_object(), *st;

	if (s->since)
		iso_time(s->since, since, sizeof(since));
	if (s->last_error_at)
		iso_time(s->last_error_at, err_at, sizeof(err_at));
	for (int i = 0; kinds && i < K8S_KINDS; i++) {
		const struct kind_stats *k = &s->kinds[i];

		json_object_set_new(kinds, k8s_kinds[i].name,
				    json_pack("{s:b, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}",
					      "synced", k->synced, "lists", (json_int_t)k->lists,
					      "events", (json_int_t)k->events, "lastEventMicros",
					      (json_int_t)k->last_event_us, "maxEventMicros",
					      (json_int_t)k->max_event_us, "lastList", "added",
					      (json_int_t)k->last.added, "changed",
					      (json_int_t)k->last.updated, "deleted",
					      (json_int_t)k->last.deleted, "unchanged",
					      (json_int_t)k->last.unchanged));
	}
	st = json_pack("{s:s, s:s, s:s, s:b, s:s?, s:s?, s:s?, s:o, s:{s:i, s:I}}", "type",
		       "kubernetes", "server", s->server, "credentials", s->origin, "connected",
		       s->connected, "since", since[0] ? since : NULL, "lastError",
		       s->last_error[0] ? s->last_error : NULL, "lastErrorAt",
		       err_at[0] ? err_at : NULL, "kinds", kinds, "lastBatch", "messages",
		       (int)s->last_batch, "micros", (json_int_t)s->last_batch_us);
	return st;
}

static void src_close(struct cluster_source *src)
{
	struct k8s_source *s = (struct k8s_source *)src;

	/* The thread first: nothing pushes to the queue after it. */
	k8s_watcher_stop(s->w);
	for (struct k8s_msg *m = s->held, *next; m; m = next) {
		next = m->next;
		k8s_msg_free(m);
	}
	k8s_queue_destroy(&s->q);
	free(s);
}

static const struct cluster_source_ops k8s_source_ops = {
	.fd = src_fd,
	.handle = src_handle,
	.waiting_for = src_waiting_for,
	.status = src_status,
	.close = src_close,
};

int k8s_source_open(const char *kubeconfig, struct cluster *model, struct cluster_source **out)
{
	struct k8s_creds creds;
	struct k8s_source *s;
	int err;

	err = load_creds(kubeconfig, &creds);
	if (err)
		return err;
	/* Once, before the thread: curl's global set-up is not for threads. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		pr_warn("Kubernetes API: libcurl's global set-up failed");
		err = -ENOMEM;
		goto free_creds;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto free_creds;
	}
	s->src.ops = &k8s_source_ops;
	s->model = model;
	snprintf(s->server, sizeof(s->server), "%s", creds.kc.server);
	snprintf(s->origin, sizeof(s->origin), "%s", creds.origin);
	snprintf(s->src.what, sizeof(s->src.what), "the Kubernetes API at %s", s->server);
	err = k8s_queue_init(&s->q);
	if (err) {
		pr_warn("Kubernetes API: eventfd: %s", strerror(-err));
		goto free_source;
	}
	/* The watcher owns the credentials from here, on failure too. */
	err = k8s_watcher_start(&creds, &s->q, &s->w);
	if (err)
		goto destroy_queue;
	pr_info("Kubernetes API at %s: listing and watching nodes, namespaces, pods and "
		"networkpolicies (%s)",
		s->server, s->origin);
	*out = &s->src;
	return 0;

destroy_queue:
	k8s_queue_destroy(&s->q);
free_source:
	free(s);
free_creds:
	k8s_creds_free(&creds);
	return err;
}
