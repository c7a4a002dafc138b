// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api/handlers.h"
#include "daemon/metrics/prometheus.h"
#include "daemon/endpoint/state.h"
#include "reasons.h"

/* Buckets of the policy entries per endpoint histogram. */
static const double entry_bounds[] = {0, 10, 100, 1000, 10000, 100000};

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with the format's three escapes. */
static void label_value(FILE *out, const char *v)
{
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', out);
		if (*v == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*v, out);
	}
	fputc('"', out);
}

static void sample1(FILE *out, const char *name, const char *label, const char *value, double v)
{
	fputs(name, out);
	if (label) {
		fprintf(out, "{%s=", label);
		label_value(out, value);
		fputc('}', out);
	}
	fprintf(out, " %.17g\n", v);
}

static double num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : 0;
}

static void gauge(FILE *out, const char *name, const char *help, double v)
{
	family(out, name, "gauge", help);
	sample1(out, name, NULL, NULL, v);
}

/* Packets straight out, bytes into a second stream: one read of
 * weft_metrics gives both families, from the same moment. */
struct rows {
	FILE *packets, *bytes;
};

static void metric_line(FILE *out, const char *name, const char *dir, const char *reason,
			uint64_t v)
{
	fprintf(out, "%s{direction=", name);
	label_value(out, dir);
	fputs(",reason=", out);
	label_value(out, reason);
	fprintf(out, "} %llu\n", (unsigned long long)v);
}

static void datapath_row(int dir, int reason, uint64_t packets, uint64_t bytes, void *ctx)
{
	struct rows *r = ctx;
	char dbuf[32], rbuf[32];
	const char *dname = weft_direction_label(dir, dbuf, sizeof(dbuf));
	const char *rname = weft_reason_label(reason, rbuf, sizeof(rbuf));

	metric_line(r->packets, "weft_datapath_packets_total", dname, rname, packets);
	metric_line(r->bytes, "weft_datapath_bytes_total", dname, rname, bytes);
}

static int write_datapath(struct weftd *d, FILE *out)
{
	struct rows r = {.packets = out};
	char *bytes = NULL;
	size_t len = 0;
	int err;

	r.bytes = open_memstream(&bytes, &len);
	if (!r.bytes)
		return -errno;
	family(out, "weft_datapath_packets_total", "counter",
	       "packets the programs passed or dropped, by direction and reason (weft_metrics)");
	err = maps_metrics_foreach(&d->maps, datapath_row, &r);
	/* No endpoint ever loaded: no map yet, so nothing counted. */
	if (err == -ENOENT)
		err = 0;
	if (fclose(r.bytes) && !err)
		err = -ENOMEM;
	if (!err) {
		family(out, "weft_datapath_bytes_total", "counter",
		       "bytes the programs passed or dropped, by direction and reason");
		fwrite(bytes, 1, len, out);
	}
	free(bytes);
	return err;
}

static void write_maps(json_t *maps, FILE *out)
{
	const char *name;
	json_t *m;

	family(out, "weft_map_max_entries", "gauge", "capacity of every shared BPF map");
	json_object_foreach (maps, name, m)
		sample1(out, "weft_map_max_entries", "map", name, num(m, "maxEntries"));
	family(out, "weft_map_entries", "gauge", "entries in the hash-like shared BPF maps");
	json_object_foreach (maps, name, m)
		if (json_object_get(m, "entries"))
			sample1(out, "weft_map_entries", "map", name, num(m, "entries"));
	family(out, "weft_map_fill_ratio", "gauge",
	       "entries / capacity of the hash-like shared BPF maps (map pressure)");
	json_object_foreach (maps, name, m)
		if (json_object_get(m, "entries") && num(m, "maxEntries") > 0)
			sample1(out, "weft_map_fill_ratio", "map", name,
				num(m, "entries") / num(m, "maxEntries"));
}

static void write_policy(json_t *pol, FILE *out)
{
	size_t n_bounds = sizeof(entry_bounds) / sizeof(entry_bounds[0]), i;
	json_t *eps = json_object_get(pol, "endpoints"), *ep, *v;
	double sum = 0;

	gauge(out, "weft_identities", "pod identities (namespace and labels) the node knows",
	      num(pol, "podIdentities"));
	gauge(out, "weft_ipblock_identities", "ipBlock identities in weft_policy_cidrs",
	      num(pol, "ipBlocks"));
	gauge(out, "weft_policies", "NetworkPolicies the engine holds", num(pol, "policies"));
	gauge(out, "weft_policies_invalid", "NetworkPolicies refused (weftctl status says why)",
	      (double)json_array_size(json_object_get(pol, "invalid")));
	gauge(out, "weft_policy_revision", "the policy revision the programs check flows against",
	      num(pol, "revision"));
	family(out, "weft_policy_entries", "histogram", "policy map entries per endpoint");
	for (i = 0; i < n_bounds; i++) {
		size_t idx, below = 0;

		json_array_foreach (eps, idx, ep)
			below += num(ep, "entries") <= entry_bounds[i];
		fprintf(out, "weft_policy_entries_bucket{le=\"%g\"} %zu\n", entry_bounds[i], below);
	}
	json_array_foreach (eps, i, ep)
		sum += num(ep, "entries");
	fprintf(out, "weft_policy_entries_bucket{le=\"+Inf\"} %zu\n", json_array_size(eps));
	fprintf(out, "weft_policy_entries_sum %.17g\nweft_policy_entries_count %zu\n", sum,
		json_array_size(eps));
	v = json_object_get(pol, "spareMaps");
	if (v) {
		gauge(out, "weft_policy_spare_maps",
		      "empty policy maps in place for the next ADDs (none waits for the kernel)",
		      num(v, "ready"));
		family(out, "weft_policy_spare_misses_total", "counter",
		       "ADDs that found no spare policy map and waited for a grace period");
		sample1(out, "weft_policy_spare_misses_total", NULL, NULL, num(v, "missed"));
	}
	family(out, "weft_conntrack_gc_runs_total", "counter",
	       "conntrack garbage collection walks");
	sample1(out, "weft_conntrack_gc_runs_total", NULL, NULL,
		num(json_object_get(pol, "conntrackGC"), "runs"));
	family(out, "weft_conntrack_gc_removed_total", "counter",
	       "expired conntrack entries the walks removed");
	sample1(out, "weft_conntrack_gc_removed_total", NULL, NULL,
		num(json_object_get(pol, "conntrackGC"), "removed"));
}

/* The flow events the programs tried to send: into the ring, or lost and
 * why (bpf/datapath.h, "Flow events"). */
static void write_flows(json_t *fl, FILE *out)
{
	family(out, "weft_flow_events_total", "counter",
	       "flow events the programs put into the ring buffer (weft_flow_stats)");
	sample1(out, "weft_flow_events_total", NULL, NULL, num(fl, "sent"));
	family(out, "weft_flow_events_lost_total", "counter",
	       "flow events not sent: refused by the per-CPU rate limit, or no room in the ring "
	       "buffer");
	sample1(out, "weft_flow_events_lost_total", "cause", "rate-limit", num(fl, "suppressed"));
	sample1(out, "weft_flow_events_lost_total", "cause", "ringbuf-full",
		num(fl, "ringbufFull"));
	family(out, "weft_flow_records_total", "counter",
	       "flow events weftd read and made into flow records");
	sample1(out, "weft_flow_records_total", NULL, NULL, num(fl, "records"));
	gauge(out, "weft_flow_history_capacity", "flow records weftd keeps (--flow-history)",
	      num(fl, "history"));
}

static void write_requests(const struct weftd_stats *s, FILE *out)
{
	family(out, "weft_api_requests_total", "counter",
	       "requests to weftd's socket by op and result (the plugin's ADD is "
	       "ready or ipam.allocate, then endpoint.add; its DEL endpoint.del)");
	for (unsigned int i = 0; i < s->nr_ops; i++) {
		fprintf(out, "weft_api_requests_total{op=\"%s\",result=\"ok\"} %llu\n",
			s->ops[i].op, (unsigned long long)s->ops[i].ok);
		fprintf(out, "weft_api_requests_total{op=\"%s\",result=\"error\"} %llu\n",
			s->ops[i].op, (unsigned long long)s->ops[i].failed);
	}
	family(out, "weft_api_request_duration_seconds", "histogram",
	       "time weftd took to answer a request, by op");
	for (unsigned int i = 0; i < s->nr_ops; i++) {
		const struct op_stats *o = &s->ops[i];
		unsigned long long cum = 0;

		for (int b = 0; b < STATS_LATENCY_BUCKETS; b++) {
			cum += o->buckets[b];
			fprintf(out,
				"weft_api_request_duration_seconds_bucket{op=\"%s\",le=\"%g\"} %llu\n",
				o->op, stats_latency_bounds[b], cum);
		}
		fprintf(out,
			"weft_api_request_duration_seconds_bucket{op=\"%s\",le=\"+Inf\"} %llu\n",
			o->op, (unsigned long long)(o->ok + o->failed));
		fprintf(out, "weft_api_request_duration_seconds_sum{op=\"%s\"} %.17g\n", o->op,
			o->sum_seconds);
		fprintf(out, "weft_api_request_duration_seconds_count{op=\"%s\"} %llu\n", o->op,
			(unsigned long long)(o->ok + o->failed));
	}
}

static void write_upgrades(const struct upgrade_stats *u, FILE *out)
{
	family(out, "weft_upgrades_total", "counter",
	       "datapath upgrades (weftctl upgrade, or at start), by result");
	fprintf(out, "weft_upgrades_total{result=\"ok\"} %llu\n", (unsigned long long)u->ok);
	fprintf(out, "weft_upgrades_total{result=\"error\"} %llu\n", (unsigned long long)u->failed);
	if (!u->last_at)
		return;
	gauge(out, "weft_upgrade_last_success", "1 when the last upgrade succeeded", u->last_ok);
	gauge(out, "weft_upgrade_last_duration_seconds", "how long the last upgrade took",
	      u->last_seconds);
	gauge(out, "weft_upgrade_last_timestamp_seconds", "when the last upgrade ended (Unix time)",
	      (double)u->last_at);
}

/* One family for everything weftd puts back: a pod's tc filter always, the
 * VXLAN device and its programs with an overlay (@overlay, else NULL). */
static void write_repairs(const struct repair_stats *r, json_t *overlay, FILE *out)
{
	json_t *ov = json_object_get(overlay, "repairs");

	family(out, "weft_datapath_repairs_total", "counter",
	       "what weftd put back after another tool removed or replaced it: a pod's tc "
	       "filter, the VXLAN device (deleted), the overlay's programs (detached)");
	sample1(out, "weft_datapath_repairs_total", "what", "pod-filter", (double)r->pod_filters);
	if (overlay) {
		sample1(out, "weft_datapath_repairs_total", "what", "vxlan", num(ov, "vxlan"));
		sample1(out, "weft_datapath_repairs_total", "what", "overlay-programs",
			num(ov, "programs"));
	}
	family(out, "weft_datapath_repair_failures_total", "counter",
	       "repairs of a pod's tc filters that failed (weftd's log says why)");
	sample1(out, "weft_datapath_repair_failures_total", NULL, NULL, (double)r->failed);
}

/* "2026-11-26T04:10:00Z" -> Unix seconds; 0 when absent. */
static double iso_seconds(const char *iso)
{
	struct tm tm = {0};

	if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	return (double)timegm(&tm);
}

static void write_cluster(json_t *cl, FILE *out)
{
	json_t *kinds = json_object_get(cl, "kinds"), *objs = json_object_get(cl, "objects"), *k;
	bool k8s = !strcmp(json_string_value(json_object_get(cl, "type")) ?: "", "kubernetes");
	const char *name;

	gauge(out, "weft_cluster_source_connected",
	      "1 while the cluster source is in (the API server's watches up, or the file loaded)",
	      json_is_true(json_object_get(cl, k8s ? "connected" : "loaded")));
	family(out, "weft_cluster_objects", "gauge", "objects in the cluster model, by kind");
	json_object_foreach (objs, name, k)
		sample1(out, "weft_cluster_objects", "kind", name, json_number_value(k));
	if (!k8s)
		return;
	gauge(out, "weft_cluster_source_since_timestamp_seconds",
	      "when the connection to the API server was last made or lost (Unix time)",
	      iso_seconds(json_string_value(json_object_get(cl, "since"))));
	family(out, "weft_cluster_synced", "gauge", "1 once the first list of the kind is in");
	json_object_foreach (kinds, name, k)
		sample1(out, "weft_cluster_synced", "kind", name,
			json_is_true(json_object_get(k, "synced")));
	family(out, "weft_cluster_lists_total", "counter", "lists (first and relists), by kind");
	json_object_foreach (kinds, name, k)
		sample1(out, "weft_cluster_lists_total", "kind", name, num(k, "lists"));
	family(out, "weft_cluster_events_total", "counter", "watch events applied, by kind");
	json_object_foreach (kinds, name, k)
		sample1(out, "weft_cluster_events_total", "kind", name, num(k, "events"));
	family(out, "weft_cluster_event_apply_max_seconds", "gauge",
	       "the longest one watch event took to apply, by kind");
	json_object_foreach (kinds, name, k)
		sample1(out, "weft_cluster_event_apply_max_seconds", "kind", name,
			num(k, "maxEventMicros") / 1e6);
}

int prometheus_write(struct weftd *d, FILE *out)
{
	json_t *st = handlers_status(d, false), *v;
	int err;

	if (!st)
		return -ENOMEM;
	family(out, "weft_build_info", "gauge", "weft's version; always 1");
	sample1(out, "weft_build_info", "version", WEFT_VERSION, 1);
	gauge(out, "weft_ready",
	      "1 when weftd takes ADDs (every kind of the cluster source listed)",
	      json_is_true(json_object_get(st, "ready")));
	gauge(out, "weft_datapath_loaded",
	      "1 when the programs on disk are the ones that run (0 after a refused start-up "
	      "upgrade)",
	      !json_is_string(json_object_get(json_object_get(st, "datapath"), "error")));
	gauge(out, "weft_endpoints", "pod interfaces weftd manages", num(st, "endpoints"));
	err = write_datapath(d, out);
	if (err)
		goto put_status;
	write_maps(json_object_get(st, "maps"), out);
	v = json_object_get(st, "policy");
	if (v)
		write_policy(v, out);
	v = json_object_get(st, "overlay");
	if (v) {
		gauge(out, "weft_overlay_nodes", "other nodes reached over the VXLAN overlay",
		      num(v, "nodes"));
		gauge(out, "weft_ipcache_entries", "entries in weft_ipcache",
		      num(v, "ipcacheEntries"));
	}
	v = json_object_get(st, "flows");
	if (v)
		write_flows(v, out);
	write_requests(&d->stats, out);
	write_upgrades(&d->stats.upgrade, out);
	write_repairs(&d->stats.repairs, json_object_get(st, "overlay"), out);
	family(out, "weft_state_files_quarantined_total", "counter",
	       "bad state files weftd moved aside into quarantine/ since it started (each is "
	       "logged with its path and reason)");
	sample1(out, "weft_state_files_quarantined_total", NULL, NULL, state_quarantined());
	v = json_object_get(st, "cluster");
	if (v)
		write_cluster(v, out);
put_status:
	json_decref(st);
	return err;
}
