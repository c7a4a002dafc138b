/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last N flow records, in memory (weftd --flow-history), for `weftctl
 * flows`: a ring that overwrites its oldest record. Each record keeps its
 * rendered JSON (the names as they were when it was made: a pod may be gone
 * by the time someone asks) and the few fields the filters match on.
 * Sequence numbers start at 1 and never repeat while weftd runs, so a client
 * following the flows asks for what came after the last one it saw.
 */
#ifndef WEFTD_FLOWS_HISTORY_H
#define WEFTD_FLOWS_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* What a filter can match; strings are copied by flow_history_add(). */
struct flow_match {
	bool dropped;
	const char *reason;	      /* the record's reason name */
	const char *src_ns, *src_pod; /* NULL when the end is no pod */
	const char *dst_ns, *dst_pod;
	const char *ep_ns, *ep_pod; /* the endpoint whose program decided */
	int sport, dport;	    /* -1: none */
};

/* A query; every field set must match (NULL / -1: any). */
struct flow_filter {
	/* source, destination or deciding endpoint's namespace / pod */
	const char *ns;
	const char *pod_ns, *pod_name;
	int dropped; /* -1 any, 0 forwarded, 1 dropped */
	const char *reason;
	int port; /* source or destination port */
};

struct flow_history;

/* A history of @capacity records (>= 1). 0 or -ENOMEM. */
int flow_history_new(struct flow_history **out, unsigned int capacity);
void flow_history_free(struct flow_history *h);
/* Add a record: @json is stolen (its "seq" is set here). Returns the
 * record's sequence number, or 0 when out of memory (the record is lost). */
uint64_t flow_history_add(struct flow_history *h, json_t *json, const struct flow_match *m);
/* The sequence number of the newest record (0: none yet). */
uint64_t flow_history_last(const struct flow_history *h);
/* The records after @since that match @f, oldest first, at most the @last
 * newest of them (0: all). A new reference to each record's JSON is
 * appended to @out. Returns how many matched but were left out by @last. */
size_t flow_history_query(const struct flow_history *h, const struct flow_filter *f, uint64_t since,
			  size_t last, json_t *out);
bool flow_filter_match(const struct flow_filter *f, const struct flow_match *m);

#endif
