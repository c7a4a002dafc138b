// SPDX-License-Identifier: Apache-2.0
/*
 * The spare policy maps' pool (spares.h says why): a queue of jobs for the
 * pool's thread (install an empty map at an id, or remove the map at an id)
 * and the ids whose empty map is ready, both under one mutex. A job stays
 * in the queue until the thread has done it, so spares_holds() answers true
 * for its id throughout.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/datapath.h"
#include "daemon/policy/spares.h"
#include "log.h"

enum job_kind { JOB_INSTALL, JOB_REMOVE };

struct job {
	uint32_t id;
	enum job_kind kind;
	int outer_fd; /* the job's own dup */
};

#define JOBS_MAX (SPARES_WANT + SPARES_MAX)

struct spares {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	unsigned int want;
	uint32_t ready[SPARES_MAX]; /* oldest first */
	unsigned int n_ready;
	struct job jobs[JOBS_MAX]; /* jobs[0] is the one the thread works on */
	unsigned int n_jobs;
	uint32_t last_queued; /* fills go on after it */
	struct spares_stats st;
};

/* The kernel's id of map @fd, 0 when unknown. */
static uint32_t map_id(int fd)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	return bpf_map_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* An empty policy map, as rebuild() in policy_map.c creates them. */
static int create_empty(uint32_t id)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = WEFT_POLICY_MAP_FLAGS);
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	snprintf(name, sizeof(name), "weft_pol_%u", id);
	fd = bpf_map_create(WEFT_POLICY_MAP_TYPE, name, sizeof(struct weft_policy_key),
			    sizeof(struct weft_policy_value), WEFT_POLICY_MAP_MIN_ENTRIES, &opts);
	return fd < 0 ? -errno : fd;
}

/*
 * Do the first @n jobs (of one kind); installs in one batch syscall: the
 * kernel waits for one grace period per batch, not per slot (11.8 ms for 16
 * installs, measured). Jobs whose outer fd is another map (a layout change between
 * two fills) wait for the next batch. Returns how many jobs were done, with
 * *@err the failure that stopped the batch, if any.
 */
static unsigned int do_batch(const struct job *jobs, unsigned int n, int *err)
{
	uint32_t keys[JOBS_MAX], outer = map_id(jobs[0].outer_fd);
	int fds[JOBS_MAX];
	__u32 count;
	unsigned int i;

	*err = 0;
	for (i = 1; i < n && map_id(jobs[i].outer_fd) == outer; i++)
		;
	n = i;
	for (i = 0; i < n; i++) {
		keys[i] = jobs[i].id;
		if (jobs[i].kind != JOB_INSTALL)
			continue;
		fds[i] = create_empty(jobs[i].id);
		if (fds[i] < 0) {
			*err = fds[i];
			break;
		}
	}
	count = n = i;
	if (!n)
		return 0;
	if (jobs[0].kind == JOB_INSTALL) {
		if (bpf_map_update_batch(jobs[0].outer_fd, keys, fds, &count, NULL) < 0)
			*err = -errno;
		/* The slots hold the maps now (those that went in). */
		for (i = 0; i < n; i++)
			close(fds[i]);
		return *err ? count : n;
	}
	/* A map of maps has no delete batch (ENOTSUPP): one at a time, a
	 * grace period each, all of them here in the thread. */
	for (i = 0; i < n; i++) {
		if (bpf_map_delete_elem(jobs[0].outer_fd, &keys[i]) < 0 && errno != ENOENT) {
			*err = -errno;
			return i;
		}
	}
	return n;
}

static int queue_locked(struct spares *s, int outer_fd, uint32_t id, enum job_kind kind);

/* The jobs at the queue's head that one batch can do: one kind. */
static unsigned int batch_len(const struct spares *s)
{
	unsigned int n = 1;

	while (n < s->n_jobs && s->jobs[n].kind == s->jobs[0].kind)
		n++;
	return n;
}

/* Locked: @n jobs done (@done of them well), off the queue. */
static void finish_batch(struct spares *s, const struct job *jobs, unsigned int n,
			 unsigned int done)
{
	memmove(&s->jobs[0], &s->jobs[n], (s->n_jobs - n) * sizeof(s->jobs[0]));
	s->n_jobs -= n;
	for (unsigned int i = 0; i < n; i++) {
		const struct job *j = &jobs[i];

		if (i >= done) {
			s->st.failed++;
		} else if (j->kind == JOB_REMOVE) {
			s->st.removed++;
		} else {
			s->st.installed++;
			/* DELs filled the pool meanwhile: this one goes again. */
			if (s->n_ready < SPARES_MAX)
				s->ready[s->n_ready++] = j->id;
			else if (queue_locked(s, j->outer_fd, j->id, JOB_REMOVE))
				s->st.failed++;
		}
		close(j->outer_fd);
	}
}

static void *spares_thread(void *arg)
{
	struct spares *s = arg;
	struct job jobs[JOBS_MAX];
	unsigned int n, done;
	int err;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		if (!s->n_jobs) {
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		/* A copy: the jobs stay queued (held) until they are done. */
		n = batch_len(s);
		memcpy(jobs, s->jobs, n * sizeof(jobs[0]));
		pthread_mutex_unlock(&s->lock);
		done = do_batch(jobs, n, &err);
		if (err)
			pr_warn("policy: cannot %s spare policy maps (ids %u...): %s",
				jobs[0].kind == JOB_INSTALL ? "install" : "remove", jobs[done].id,
				strerror(-err));
		pthread_mutex_lock(&s->lock);
		/* A batch cut short by another outer map: the rest stays queued. */
		if (!err && done < n)
			n = done;
		finish_batch(s, jobs, n, done);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int spares_open(struct spares **out, unsigned int want)
{
	struct spares *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->want = want ? want : SPARES_WANT;
	if (s->want > SPARES_WANT)
		s->want = SPARES_WANT;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	err = -pthread_create(&s->thread, NULL, spares_thread, s);
	if (err) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void spares_close(struct spares *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	/* Jobs not done: their ids were never handed out, nothing to undo. */
	for (unsigned int i = 0; i < s->n_jobs; i++)
		close(s->jobs[i].outer_fd);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static bool held_locked(const struct spares *s, uint32_t id)
{
	for (unsigned int i = 0; i < s->n_ready; i++) {
		if (s->ready[i] == id)
			return true;
	}
	for (unsigned int i = 0; i < s->n_jobs; i++) {
		if (s->jobs[i].id == id)
			return true;
	}
	return false;
}

bool spares_holds(struct spares *s, uint32_t id)
{
	bool held;

	pthread_mutex_lock(&s->lock);
	held = held_locked(s, id);
	pthread_mutex_unlock(&s->lock);
	return held;
}

bool spares_take(struct spares *s, uint32_t *id)
{
	bool got;

	pthread_mutex_lock(&s->lock);
	got = s->n_ready > 0;
	if (got) {
		*id = s->ready[0];
		memmove(&s->ready[0], &s->ready[1], (s->n_ready - 1) * sizeof(s->ready[0]));
		s->n_ready--;
		s->st.taken++;
	} else {
		s->st.missed++;
	}
	pthread_mutex_unlock(&s->lock);
	return got;
}

/* Queue a job for @id with its own dup of @outer_fd. Locked. */
static int queue_locked(struct spares *s, int outer_fd, uint32_t id, enum job_kind kind)
{
	int fd;

	if (s->n_jobs >= JOBS_MAX)
		return -ENOSPC;
	fd = fcntl(outer_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	s->jobs[s->n_jobs++] = (struct job){.id = id, .kind = kind, .outer_fd = fd};
	pthread_cond_signal(&s->wake);
	return 0;
}

void spares_give(struct spares *s, int outer_fd, uint32_t id)
{
	int err = 0;

	pthread_mutex_lock(&s->lock);
	s->st.given++;
	if (held_locked(s, id))
		goto unlock;
	if (s->n_ready < SPARES_MAX)
		s->ready[s->n_ready++] = id;
	else
		err = queue_locked(s, outer_fd, id, JOB_REMOVE);
unlock:
	pthread_mutex_unlock(&s->lock);
	/* Left in place: an empty map fails closed; the next start removes it. */
	if (err)
		pr_warn("policy: cannot queue the removal of the policy map at id %u: %s", id,
			strerror(-err));
}

void spares_remove(struct spares *s, int outer_fd, uint32_t id)
{
	int err = 0;

	pthread_mutex_lock(&s->lock);
	if (!held_locked(s, id))
		err = queue_locked(s, outer_fd, id, JOB_REMOVE);
	pthread_mutex_unlock(&s->lock);
	if (err)
		pr_warn("policy: cannot queue the removal of the policy map at id %u: %s", id,
			strerror(-err));
}

void spares_fill(struct spares *s, int outer_fd, uint32_t (*next_free)(void *ctx, uint32_t after),
		 void *ctx)
{
	unsigned int skips = 0;
	uint32_t id, after;

	pthread_mutex_lock(&s->lock);
	after = s->last_queued;
	while (s->n_ready + s->n_jobs < s->want) {
		/* next_free does not know the pool's ids (it must not call
		 * back in, the lock is held): they are skipped here, and there
		 * are fewer of them than JOBS_MAX + SPARES_MAX. */
		id = next_free(ctx, after);
		if (!id || skips > JOBS_MAX + SPARES_MAX)
			break;
		after = id;
		if (held_locked(s, id)) {
			skips++;
			continue;
		}
		if (queue_locked(s, outer_fd, id, JOB_INSTALL))
			break;
		s->last_queued = id;
	}
	pthread_mutex_unlock(&s->lock);
}

void spares_get_stats(struct spares *s, struct spares_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	st->ready = s->n_ready;
	st->queued = s->n_jobs;
	pthread_mutex_unlock(&s->lock);
}
