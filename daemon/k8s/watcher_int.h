/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the watcher's two files share (watcher.c: the requests and the
 * thread; watch_events.c: what a watch stream brings). Nothing outside
 * daemon/k8s/watcher*.c and watch_events.c sees this.
 */
#ifndef WEFTD_K8S_WATCHER_INT_H
#define WEFTD_K8S_WATCHER_INT_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "daemon/k8s/lines.h"
#include "daemon/k8s/request.h"
#include "daemon/k8s/watcher.h"

enum r_state { R_WAIT, R_LIST, R_WATCH };

struct reflector {
	struct k8s_watcher *w;
	enum k8s_kind_id id;
	const struct k8s_kind *kind;
	enum r_state state;
	struct k8s_request req;
	char *rv;   /* where the watch resumes; NULL: list first */
	char *cont; /* the next page of the list in progress */
	struct cluster_snapshot *snap;
	long long list_started, watch_started, retry_at;
	bool listed_once;
	/* This list goes to the loop page by page (the first list, not
	 * restarted): the loop applies while the next page is fetched. */
	bool by_page;
	/* In the initial events of a streaming list (sendInitialEvents): they
	 * fill r->snap until the bookmark that ends them. */
	bool initial;
	/* The server refused a streaming list: paginated lists from now on. */
	bool no_stream;
	size_t stream_items;
	bool expired;	     /* the watch said 410 */
	bool got_event;	     /* this watch delivered an event or a bookmark */
	bool ok;	     /* the last request succeeded */
	char abort_msg[256]; /* why on_event() ended the watch, or "" */
	unsigned int failures;
	char error[384];
	struct k8s_lines lines;
};

struct k8s_watcher {
	pthread_t thread;
	struct k8s_creds creds;
	struct k8s_queue *q;
	CURLM *multi;
	atomic_bool stop;
	unsigned int seed;
	struct reflector r[K8S_KINDS];
	bool state_sent, connected_sent;
	char error_sent[384];
};

struct k8s_msg *wt_msg_new(enum k8s_msg_type type, enum k8s_kind_id kind);
/* Where the watch resumes; an empty or unset one changes nothing. */
void wt_set_rv(struct reflector *r, const char *rv);
/* The last request worked: connected, as far as this kind goes. */
void wt_succeed(struct reflector *r);
/* Hand r->snap to the loop: a whole list, or a page of a first list. 0 or
 * -ENOMEM. */
int wt_push_list(struct reflector *r, bool last);
/* libcurl's write callback of a watch (@ctx: the reflector). */
size_t wt_on_watch_data(char *data, size_t size, size_t n, void *ctx);

#endif
