/* SPDX-License-Identifier: Apache-2.0 */
/* weftctl's policy views: `weftctl policy POD|ENDPOINT` and the policy and
 * map lines of `weftctl status`. */
#ifndef WEFTCTL_POLICY_H
#define WEFTCTL_POLICY_H

#include <jansson.h>

struct ctl;

/* Fill the policy request: an endpoint id when @arg is a number, else a
 * pod as namespace/name (weftd checks it). */
void policy_request(json_t *req, const char *arg);
/* An identity as a policy shows it: "x:pod=a,tier=web", "10.0.0.0/8",
 * "any", "host", "world", "remote-node" ... */
void peer_text(json_t *peer, char *buf, size_t sz);
/* The endpoint's map as a table. 0, or 1 on failure. */
int policy_print(const struct ctl *ctl, json_t *reply);
/* status: the engine's summary, invalid policies, the fullest policy map
 * and every shared map's fill. 0, or 1 on failure. */
int policy_print_status(json_t *status);

#endif
