/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counters weftd keeps about its own work, for /metrics: every API request
 * (count by result and a latency histogram per op: the plugin's ADD is
 * ipam.allocate (or ready) + endpoint.add, its DEL endpoint.del) and every
 * upgrade. Only the loop thread records and reads them, so no locks.
 */
#ifndef WEFTD_METRICS_STATS_H
#define WEFTD_METRICS_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Upper bounds of the latency buckets, seconds (the +Inf bucket is count). */
#define STATS_LATENCY_BUCKETS 15
extern const double stats_latency_bounds[STATS_LATENCY_BUCKETS];

/* More than weftd's ops (handlers.c): an unknown op is not recorded at all. */
#define STATS_MAX_OPS 24

struct op_stats {
	const char *op; /* static: the handler table's name */
	uint64_t ok, failed;
	uint64_t buckets[STATS_LATENCY_BUCKETS]; /* non-cumulative; rendered cumulative */
	double sum_seconds;
};

struct upgrade_stats {
	uint64_t ok, failed;
	bool last_ok;
	double last_seconds;
	time_t last_at; /* CLOCK_REALTIME seconds; 0: none yet */
};

/* What weftd put back after someone else took it away. */
struct repair_stats {
	uint64_t pod_filters; /* a pod's tc filter (one per direction) */
	uint64_t failed;      /* repairs that did not work */
};

struct weftd_stats {
	struct op_stats ops[STATS_MAX_OPS];
	unsigned int nr_ops;
	struct upgrade_stats upgrade;
	struct repair_stats repairs;
};

/* One request of @op (a static string) that took @ns and succeeded or not. */
void stats_record_request(struct weftd_stats *s, const char *op, bool ok, uint64_t ns);
/* One upgrade, at start or asked for, that took @ns. */
void stats_record_upgrade(struct weftd_stats *s, bool ok, uint64_t ns);

#endif
