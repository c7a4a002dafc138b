/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy side of a flow record (daemon/flows/): which policy and rule
 * allowed a new flow, or why a packet was denied, in the words of the
 * policies the engine enforces now.
 */
#ifndef WEFTD_POLICY_EXPLAIN_H
#define WEFTD_POLICY_EXPLAIN_H

#include <jansson.h>
#include <stdint.h>

struct policy;

/* A verdict to explain: endpoint @ep_id's check in direction @dir (enum
 * weft_policy_dir) of a flow with the peer @peer_identity at @peer_addr
 * (IPv4, network order), @protocol and destination port @port. */
struct policy_flow {
	uint32_t ep_id;
	int dir;
	uint32_t peer_identity;
	uint32_t peer_addr;
	uint8_t protocol;
	uint16_t port;
};

/* The allowing entry's @rule cookie: {"direction", "name": "ns/name",
 * "cookie", "rule": "ingress[i]"} (the first rule of that policy that
 * allows the flow, when weftd finds one). NULL without an engine. */
json_t *policy_explain_allow(struct policy *pol, const struct policy_flow *f, uint32_t rule);
/* A denial: {"direction", "selectedBy": ["ns/name", ...], "explanation":
 * "selected by N policies for ingress, none allows TCP/80 from identity
 * ..."} (or the endpoint's state when that denies everything). */
json_t *policy_explain_deny(struct policy *pol, const struct policy_flow *f, const char *peer);
/* Endpoint @id's identity (0 when unknown). */
uint32_t policy_endpoint_identity(struct policy *pol, uint32_t id);

#endif
