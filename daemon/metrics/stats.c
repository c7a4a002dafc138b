// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "daemon/metrics/stats.h"

/* From 100 us (an endpoint.get) to 5 s (an upgrade of many endpoints). */
const double stats_latency_bounds[STATS_LATENCY_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

static struct op_stats *op_slot(struct weftd_stats *s, const char *op)
{
	for (unsigned int i = 0; i < s->nr_ops; i++)
		if (s->ops[i].op == op || !strcmp(s->ops[i].op, op))
			return &s->ops[i];
	if (s->nr_ops == STATS_MAX_OPS)
		return NULL;
	s->ops[s->nr_ops].op = op;
	return &s->ops[s->nr_ops++];
}

void stats_record_request(struct weftd_stats *s, const char *op, bool ok, uint64_t ns)
{
	struct op_stats *o = op_slot(s, op);
	double sec = (double)ns / 1e9;

	if (!o)
		return;
	if (ok)
		o->ok++;
	else
		o->failed++;
	o->sum_seconds += sec;
	for (unsigned int i = 0; i < STATS_LATENCY_BUCKETS; i++) {
		if (sec <= stats_latency_bounds[i]) {
			o->buckets[i]++;
			break;
		}
	}
}

void stats_record_upgrade(struct weftd_stats *s, bool ok, uint64_t ns)
{
	if (ok)
		s->upgrade.ok++;
	else
		s->upgrade.failed++;
	s->upgrade.last_ok = ok;
	s->upgrade.last_seconds = (double)ns / 1e9;
	s->upgrade.last_at = time(NULL);
}
