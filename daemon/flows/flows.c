// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "daemon/datapath/maps.h"
#include "daemon/flows/flows.h"
#include "daemon/flows/history.h"
#include "daemon/flows/record.h"
#include "daemon/weftd.h"

/* Events handled per wake-up: the loop gets back to requests in between
 * (the epoll fd stays readable while the ring holds more). */
#define FLOWS_BATCH 512

const char *const flows_mode_names[] = {
	[WEFT_FLOW_MODE_DROPS] = "drops",
	[WEFT_FLOW_MODE_OFF] = "off",
	[WEFT_FLOW_MODE_POLICY] = "policy",
	[WEFT_FLOW_MODE_ALL] = "all",
	NULL,
};

struct flows {
	struct weftd *d;
	struct flow_history *hist;
	struct ring_buffer *rb;
	int fds[3];	      /* weft_flow_events, _stats, _config */
	int64_t rt_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC, per batch */
	uint64_t read;	      /* events read */
	uint64_t bad;	      /* events too short to be one (another build's) */
	uint64_t unrecorded;  /* read but not kept: out of memory */
	unsigned int batch;   /* events handled in this wake-up */
};

static const enum weft_map flow_maps[3] = {WEFT_MAP_FLOW_EVENTS, WEFT_MAP_FLOW_STATS,
					   WEFT_MAP_FLOW_CONFIG};

/* The pinned map @which, created and pinned here when no program load has
 * made it yet; libbpf's later loads reuse it (same type, sizes and flags). */
static int open_or_create(struct weftd *d, enum weft_map which)
{
	const struct maps_def *def = &maps_defs[which];
	char path[PATH_MAX];
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = def->flags);
	int fd, err;

	maps_pin_path(&d->maps, which, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0 || errno != ENOENT)
		goto out;
	fd = bpf_map_create(def->type, def->name, def->key_size, def->value_size, def->max_entries,
			    &opts);
	if (fd >= 0 && bpf_obj_pin(fd, path) < 0) {
		err = -errno;
		close(fd);
		/* A program load pinned it meanwhile: take that one. */
		fd = err == -EEXIST ? bpf_obj_get(path) : -1;
		errno = -err;
	}
out:
	if (fd < 0)
		pr_warn("flow events: cannot open or create %s: %s", path, strerror(errno));
	return fd < 0 ? -errno : fd;
}

/* A negative return stops libbpf's consume after this event, which it has
 * already taken off the ring: the batch limit. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct weftd *d = ctx;

	flows_event(d, data, size);
	return ++d->flows->batch >= FLOWS_BATCH ? -EAGAIN : 0;
}

int flows_event(struct weftd *d, const void *data, size_t size)
{
	struct flows *f = d->flows;
	struct weft_flow_event ev;
	struct flow_match m;
	json_t *rec;

	f->read++;
	if (size < sizeof(ev)) {
		f->bad++;
		return 0;
	}
	memcpy(&ev, data, sizeof(ev));
	rec = flow_record(d, &ev, f->rt_offset_ns, &m);
	if (!rec || !flow_history_add(f->hist, json_incref(rec), &m))
		f->unrecorded++;
	json_decref(rec);
	return 0;
}

static int64_t realtime_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

void flows_run(void *ctx)
{
	struct weftd *d = ctx;
	int n;

	d->flows->rt_offset_ns = realtime_offset();
	d->flows->batch = 0;
	n = ring_buffer__consume(d->flows->rb);
	if (n < 0 && n != -EAGAIN)
		pr_warn("flow events: reading the ring buffer: %s", strerror(-n));
}

static int write_config(struct weftd *d)
{
	struct weft_flow_config c = {.mode = (uint32_t)d->cfg.flow_events,
				     .rate = (uint32_t)d->cfg.flow_rate};
	uint32_t key = 0;

	if (bpf_map_update_elem(d->flows->fds[2], &key, &c, BPF_ANY) < 0) {
		pr_warn("flow events: cannot write weft_flow_config: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int flows_open(struct weftd *d)
{
	struct flows *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -ENOMEM;
	f->d = d;
	d->flows = f;
	for (int i = 0; i < 3; i++)
		f->fds[i] = -1;
	err = flow_history_new(&f->hist, (unsigned int)d->cfg.flow_history);
	for (int i = 0; !err && i < 3; i++) {
		f->fds[i] = open_or_create(d, flow_maps[i]);
		err = f->fds[i] < 0 ? f->fds[i] : 0;
	}
	if (!err)
		err = write_config(d);
	if (err)
		goto close_flows;
	f->rb = ring_buffer__new(f->fds[0], on_event, d, NULL);
	if (!f->rb) {
		err = -errno;
		pr_warn("flow events: cannot read the ring buffer: %s", strerror(-err));
		goto close_flows;
	}
	pr_info("flow events: %s, at most %d a second per CPU, the last %d kept",
		flows_mode_names[d->cfg.flow_events], d->cfg.flow_rate, d->cfg.flow_history);
	return 0;
close_flows:
	flows_close(d);
	return err;
}

void flows_close(struct weftd *d)
{
	struct flows *f = d->flows;

	if (!f)
		return;
	ring_buffer__free(f->rb);
	for (int i = 0; i < 3; i++)
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	flow_history_free(f->hist);
	free(f);
	d->flows = NULL;
}

int flows_fd(const struct weftd *d)
{
	return ring_buffer__epoll_fd(d->flows->rb);
}

int flows_counters(struct weftd *d, struct flows_counters *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd;
	struct weft_flow_stats *v;
	uint32_t key = 0;

	memset(out, 0, sizeof(*out));
	fd = d->flows ? d->flows->fds[1] : maps_fd(&d->maps, WEFT_MAP_FLOW_STATS);
	if (fd < 0)
		return fd;
	if (ncpu < 0)
		return ncpu;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, v) < 0) {
		free(v);
		return -errno;
	}
	for (int i = 0; i < ncpu; i++) {
		out->sent += v[i].sent;
		out->suppressed += v[i].suppressed;
		out->ringbuf_full += v[i].ringbuf_full;
	}
	free(v);
	return 0;
}

json_t *flows_status(struct weftd *d)
{
	struct flows *f = d->flows;
	struct flows_counters c;

	if (!f || flows_counters(d, &c))
		return NULL;
	return json_pack("{s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "mode",
			 flows_mode_names[d->cfg.flow_events], "rate", d->cfg.flow_rate, "history",
			 d->cfg.flow_history, "records", (json_int_t)flow_history_last(f->hist),
			 "read", (json_int_t)f->read, "unrecorded",
			 (json_int_t)(f->bad + f->unrecorded), "sent", (json_int_t)c.sent,
			 "suppressed", (json_int_t)c.suppressed, "ringbufFull",
			 (json_int_t)c.ringbuf_full);
}

struct flow_history *flows_history(struct weftd *d)
{
	return d->flows ? d->flows->hist : NULL;
}
