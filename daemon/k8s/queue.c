// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/k8s/queue.h"

int k8s_queue_init(struct k8s_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		return -errno;
	pthread_mutex_init(&q->lock, NULL);
	return 0;
}

void k8s_queue_push(struct k8s_queue *q, struct k8s_msg *m)
{
	uint64_t one = 1;
	bool was_empty;

	m->next = NULL;
	pthread_mutex_lock(&q->lock);
	was_empty = !q->head;
	*q->tail = m;
	q->tail = &m->next;
	pthread_mutex_unlock(&q->lock);
	/* One wake-up per batch: the loop takes everything at once. A full
	 * counter (never, at 2^64) would still leave the fd readable. */
	if (was_empty && write(q->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN only: the fd is readable already. */
	}
}

struct k8s_msg *k8s_queue_take(struct k8s_queue *q)
{
	struct k8s_msg *all;
	uint64_t n;

	/* Read first: a push after the read sets the fd again, so no message
	 * can wait without a wake-up. */
	if (read(q->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing was signalled; take what is there anyway. */
	}
	pthread_mutex_lock(&q->lock);
	all = q->head;
	q->head = NULL;
	q->tail = &q->head;
	pthread_mutex_unlock(&q->lock);
	return all;
}

void k8s_msg_free(struct k8s_msg *m)
{
	if (!m)
		return;
	cluster_snapshot_free(m->snap);
	if (m->obj)
		k8s_kinds[m->kind].free(m->obj);
	free(m->ns);
	free(m->name);
	free(m);
}

void k8s_queue_destroy(struct k8s_queue *q)
{
	struct k8s_msg *m = k8s_queue_take(q), *next;

	for (; m; m = next) {
		next = m->next;
		k8s_msg_free(m);
	}
	if (q->efd >= 0)
		close(q->efd);
	q->efd = -1;
	pthread_mutex_destroy(&q->lock);
}
