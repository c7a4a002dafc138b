/* SPDX-License-Identifier: Apache-2.0 */
/*
 * weftd's side of the flow events (bpf/datapath.h, "Flow events"): the ring
 * buffer read on the loop (its epoll fd is one of the server's watches),
 * each event made into a flow record (record.c) and kept in the history
 * (history.c) for the `flows` op, the mode and rate written to
 * weft_flow_config, and the per-CPU event counters summed for status and
 * /metrics.
 */
#ifndef WEFTD_FLOWS_H
#define WEFTD_FLOWS_H

#include <jansson.h>
#include <stdint.h>

#include "bpf/datapath.h"

struct weftd;
struct flows;

/* weft_flow_stats summed over the CPUs. */
struct flows_counters {
	uint64_t sent, suppressed, ringbuf_full;
};

/* --flow-events: "off", "drops", "policy", "all", indexed by enum
 * weft_flow_mode. */
extern const char *const flows_mode_names[];

/*
 * Open the flow maps at the current layout (pinning them first when no load
 * has yet: a node without endpoints), write the mode and rate, and start
 * reading. 0 or -errno (logged).
 */
int flows_open(struct weftd *d);
void flows_close(struct weftd *d);
/* The fd the loop watches, and what it calls when it is readable. */
int flows_fd(const struct weftd *d);
void flows_run(void *ctx);
/* 0 or -errno; -ENOENT before the maps exist. */
int flows_counters(struct weftd *d, struct flows_counters *out);
/* For status: {"mode", "rate", "history", "records", "read", "sent",
 * "suppressed", "ringbufFull"}; NULL without flows. */
json_t *flows_status(struct weftd *d);
/* The `flows` op (docs/api.md). */
json_t *flows_query(struct weftd *d, json_t *req);

/* The history the `flows` op reads; NULL without flows. */
struct flow_history *flows_history(struct weftd *d);

/* Consume an event as the ring buffer hands it (for tests). */
int flows_event(struct weftd *d, const void *data, size_t size);

#endif
