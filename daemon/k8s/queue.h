/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From the API watcher's thread to weftd's loop: complete, parsed changes in
 * the order they happened, and a wake-up on an eventfd the loop polls. Only
 * what is in a message crosses; the model is touched by the loop alone.
 */
#ifndef WEFTD_K8S_QUEUE_H
#define WEFTD_K8S_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/cluster/cluster.h"
#include "daemon/k8s/kinds.h"

enum k8s_msg_type {
	K8S_MSG_LIST,	/* a kind's full list: apply it as the difference */
	K8S_MSG_UPSERT, /* a watch event's object */
	K8S_MSG_DELETE, /* a watch event's key */
	K8S_MSG_STATE,	/* the connection came up or went down */
};

struct k8s_msg {
	struct k8s_msg *next;
	enum k8s_msg_type type;
	enum k8s_kind_id kind;
	struct cluster_snapshot *snap; /* LIST */
	bool relist;		       /* LIST: not the kind's first */
	/* LIST: a page of the kind's first list, merged into the model as it
	 * comes (nothing of the kind is there to delete); the last one ends
	 * the list. */
	bool merge, last;
	long long listed_ms; /* LIST: how long the list took */
	void *obj;	     /* UPSERT */
	char *ns, *name;     /* DELETE; ns NULL for cluster-scoped kinds */
	bool connected;	     /* STATE */
	char error[384];     /* STATE: why it is down, or "" */
};

struct k8s_queue {
	pthread_mutex_t lock;
	struct k8s_msg *head, **tail;
	int efd; /* non-blocking eventfd, readable while messages wait */
};

/* 0 or -errno. */
int k8s_queue_init(struct k8s_queue *q);
/* Hand @m over (the queue owns it from now on) and wake the loop. */
void k8s_queue_push(struct k8s_queue *q, struct k8s_msg *m);
/* Every waiting message, oldest first, as a list the caller owns. */
struct k8s_msg *k8s_queue_take(struct k8s_queue *q);
void k8s_msg_free(struct k8s_msg *m);
/* Frees the messages still waiting. */
void k8s_queue_destroy(struct k8s_queue *q);

#endif
