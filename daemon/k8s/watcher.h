/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API watcher: one thread, one libcurl multi handle, one reflector per
 * kind (namespaces, nodes, pods, networkpolicies), each a list then a watch:
 *
 *   list   GET <kind>?limit=500[&continue=T]   page by page into a snapshot;
 *          an expired continue token (410) starts the list again
 *   watch  GET <kind>?watch=1&resourceVersion=RV&allowWatchBookmarks=true
 *          events in, RV advanced by every event and bookmark; the server
 *          ending the watch (timeoutSeconds) is resumed from RV at once
 *   410    (an ERROR event or the response): RV expired, list again; the
 *          loop applies the new list as the difference to the model
 *   fail   any other error: capped, jittered exponential backoff, then the
 *          watch resumes from RV (or the list starts over without one)
 *
 * Why a thread and not curl's socket callbacks in weftd's epoll loop: TLS and
 * the parsing of large lists (150,000 pods) would run in the loop and hold up
 * every CNI request meanwhile; here the loop only applies finished results.
 * The model stays single-threaded: what crosses is a parsed object or a whole
 * snapshot in a message (queue.h), never a pointer into the model.
 *
 * A full list is asked for as a streaming list first (a watch with
 * sendInitialEvents=true, 1.27+ with the WatchList gate: the objects as ADDED
 * events, ended by a bookmark, then the watch goes on, one request instead of
 * hundreds). A server that refuses it (every one before 1.27, the v1.24 the
 * tests run included) is asked for paginated lists from then on.
 */
#ifndef WEFTD_K8S_WATCHER_H
#define WEFTD_K8S_WATCHER_H

#include "daemon/k8s/creds.h"
#include "daemon/k8s/queue.h"

/* Page size: client-go's. */
#define K8S_LIST_LIMIT 500
/* Reconnect delays: the first retry after about this, doubling to the cap. */
#define K8S_BACKOFF_MIN_MS 500
#define K8S_BACKOFF_MAX_MS 30000

struct k8s_watcher;

/* Start the thread; it owns @creds from now on (moved, even on failure) and
 * pushes to @q. Call with the signals weftd handles blocked: the thread
 * inherits the mask. 0 or -errno. */
int k8s_watcher_start(struct k8s_creds *creds, struct k8s_queue *q, struct k8s_watcher **out);
/* Stop and join the thread (it wakes from any wait), free everything. */
void k8s_watcher_stop(struct k8s_watcher *w);

#endif
