/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Endpoint lifecycle: one pod interface = one host veth with the per-pod
 * programs attached (tc filters, the programs pinned), its addresses in
 * weft_endpoints, and a state file <state-dir>/endpoints/<containerID>_<ifname>.json.
 * endpoint.c adds and deletes them; endpoint_load.c reads them back at start.
 */
#ifndef WEFTD_ENDPOINT_H
#define WEFTD_ENDPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "steps.h"
#include "bpf/datapath.h"
#include "daemon/weftd.h"

#define EP_MAX_IPS 8

struct endpoint {
	struct endpoint *next;
	uint32_t id;
	char cid[256];
	char ifname[16];
	char host_ifname[16];
	char *netns;
	int host_ifindex;
	uint8_t host_mac[6];
	uint8_t pod_mac[6];
	int nr_ips;
	struct weft_ip_key ips[EP_MAX_IPS];
	json_t *k8s;	   /* {"namespace","name","uid"} or NULL */
	char obj_hash[17]; /* the object its programs came from (loader_hash) */
	char network[129]; /* the CNI network name; "" from an older plugin */
};

struct loader_params;

/* Parse "10.244.0.5" / "fd00::5" into a map key. 0 or -EINVAL. */
int ep_ip_parse(const char *s, struct weft_ip_key *key);

/* One state file's text into a new endpoint (*@out, for endpoint_free()).
 * 0, -EINVAL when it is not an endpoint record (the reason in @why, which
 * may be NULL), or -ENOMEM. */
int endpoint_state_parse(const char *text, struct endpoint **out, char *why, size_t sz);
void endpoint_free(struct endpoint *ep);
/* Its record's file name under <state-dir>/endpoints/: <containerID>_<ifname>.json. */
void endpoint_state_name(const struct endpoint *ep, char *buf, size_t sz);

/* Read the state files back at start; pins are adopted as they are. */
int endpoints_load(struct weftd *d);
void endpoints_free(struct weftd *d);
/* After the policy engine opened: every adopted endpoint's policy map
 * (adopted and brought up to date) and identity. */
void endpoints_policy_at_start(struct weftd *d);

struct endpoint *endpoint_find(struct weftd *d, const char *cid, const char *ifname);
/* The local endpoint with IPv4 address @addr (network order), or id @id. */
struct endpoint *endpoint_by_ipv4(struct weftd *d, uint32_t addr);
struct endpoint *endpoint_by_id(struct weftd *d, uint32_t id);
/* @req carries the validated request (id, host_ifindex and host_mac are
 * filled here). On success *out is the (new or existing) endpoint.
 * @steps (may be NULL) gets where the time went: checks, load, attach,
 * policy, maps, state. */
int endpoint_add(struct weftd *d, const struct endpoint *req, struct endpoint **out,
		 struct steps *steps, struct weft_api_error *e);
/* @steps (may be NULL) marks maps, policy, detach, release, veth, state. */
int endpoint_del(struct weftd *d, const char *cid, const char *ifname, bool *deleted,
		 struct steps *steps, struct weft_api_error *e);
/* The loader's view of @ep: id, host veth, first IPv4, MACs. */
/* Top up the spare policy maps (policy_spares_fill) with ids an ADD may
 * be given next. */
void endpoint_spares_fill(struct weftd *d);
void endpoint_loader_params(const struct endpoint *ep, struct loader_params *lp);
/* Rewrite @ep's state file; @durable as state_write_atomic(). */
int endpoint_write_state(struct weftd *d, const struct endpoint *ep, bool durable);
/* The endpoint object of docs/api.md, with `attached` computed live. */
json_t *endpoint_to_json(struct weftd *d, const struct endpoint *ep);

#endif
