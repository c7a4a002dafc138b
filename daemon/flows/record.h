/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A flow event made into a flow record (docs/api.md, "flows"): the frame's
 * tuple, both ends named (namespace/pod, node, or world with the address)
 * with their identities and labels, the interface, and the policy that
 * decided, all as weftd knows them when the event is read.
 */
#ifndef WEFTD_FLOWS_RECORD_H
#define WEFTD_FLOWS_RECORD_H

#include <jansson.h>
#include <stdint.h>

#include "bpf/datapath.h"
#include "daemon/flows/history.h"

struct weftd;

/* The record of @ev, and in @m what the filters match on (pointing into
 * the record, valid as long as it is). @realtime_offset_ns turns the
 * event's CLOCK_MONOTONIC time into CLOCK_REALTIME. NULL when out of
 * memory. */
/* One end of a flow at @addr (IPv4, network order): a pod (local or in the
 * cluster model), a node, or the world, always with its address. */
json_t *flow_end_json(struct weftd *d, uint32_t addr);
json_t *flow_record(struct weftd *d, const struct weft_flow_event *ev, int64_t realtime_offset_ns,
		    struct flow_match *m);
/* The reason name a record gives an event: the drop reason's, or
 * "policy-allowed", "policy-open", "node-allowed" for a new flow. */
const char *flow_reason_name(const struct weft_flow_event *ev);

#endif
