// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/endpoint/endpoint.h"
#include "daemon/policy/engine.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/datapath/loader.h"
#include "addr.h"
#include "log.h"
#include "daemon/host/netdev.h"
#include "daemon/endpoint/state.h"
#include "daemon/api/validate.h"
#include "json_why.h"

#define EP_STATE_VERSION 1

int ep_ip_parse(const char *s, struct weft_ip_key *key)
{
	struct weft_addr a;

	if (weft_addr_parse(s, &a))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	key->family = a.family == AF_INET6 ? WEFT_FAMILY_IPV6 : WEFT_FAMILY_IPV4;
	memcpy(key->addr, a.addr, weft_addr_bits(&a) / 8);
	return 0;
}

static void ip_format(const struct weft_ip_key *key, char *buf, size_t sz)
{
	struct weft_addr a = {.family = key->family == WEFT_FAMILY_IPV4 ? AF_INET : AF_INET6};

	memcpy(a.addr, key->addr, weft_addr_bits(&a) / 8);
	weft_addr_format(&a, buf, sz);
}

void endpoint_state_name(const struct endpoint *ep, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s_%s.json", ep->cid, ep->ifname);
}

void endpoint_free(struct endpoint *ep)
{
	if (!ep)
		return;
	free(ep->netns);
	json_decref(ep->k8s);
	free(ep);
}

struct endpoint *endpoint_find(struct weftd *d, const char *cid, const char *ifname)
{
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		if (!strcmp(ep->cid, cid) && !strcmp(ep->ifname, ifname))
			return ep;
	}
	return NULL;
}

struct endpoint *endpoint_by_ipv4(struct weftd *d, uint32_t addr)
{
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next)
		for (int i = 0; i < ep->nr_ips; i++)
			if (ep->ips[i].family == WEFT_FAMILY_IPV4 && ep->ips[i].addr[0] == addr)
				return ep;
	return NULL;
}

struct endpoint *endpoint_by_id(struct weftd *d, uint32_t id)
{
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next)
		if (ep->id == id)
			return ep;
	return NULL;
}

/* What the state file and the API share. */
static json_t *ep_base_json(const struct endpoint *ep)
{
	char mac_h[18], mac_p[18], ip[INET6_ADDRSTRLEN];
	json_t *obj, *ips;

	mac_format(ep->host_mac, mac_h);
	mac_format(ep->pod_mac, mac_p);
	ips = json_array();
	for (int i = 0; ips && i < ep->nr_ips; i++) {
		ip_format(&ep->ips[i], ip, sizeof(ip));
		json_array_append_new(ips, json_string(ip));
	}
	obj = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:o}", "id", (json_int_t)ep->id,
			"containerID", ep->cid, "ifname", ep->ifname, "netns",
			ep->netns ? ep->netns : "", "hostIfname", ep->host_ifname, "hostIfindex",
			ep->host_ifindex, "hostMAC", mac_h, "podMAC", mac_p, "ips", ips);
	if (obj && ep->k8s)
		json_object_set(obj, "k8s", ep->k8s);
	if (obj && ep->network[0])
		json_object_set_new(obj, "network", json_string(ep->network));
	return obj;
}

json_t *endpoint_to_json(struct weftd *d, const struct endpoint *ep)
{
	struct link_state st = {0};
	json_t *obj = ep_base_json(ep);

	if (!obj)
		return NULL;
	if (d->loader)
		loader_link_state(d->loader, ep->id, ep->host_ifindex, &st);
	json_object_set_new(obj, "attached", json_boolean(st.attached));
	json_object_set_new(obj, "programs",
			    json_pack("{s:I, s:I, s:s}", "fromPod", (json_int_t)st.prog_id[0],
				      "toPod", (json_int_t)st.prog_id[1], "object",
				      ep->obj_hash[0] ? ep->obj_hash : d->running_hash));
	return obj;
}

int endpoint_write_state(struct weftd *d, const struct endpoint *ep, bool durable)
{
	char name[300], *text;
	json_t *obj;
	int err;

	obj = ep_base_json(ep);
	if (!obj)
		return -ENOMEM;
	json_object_set_new(obj, "version", json_integer(EP_STATE_VERSION));
	json_object_set_new(obj, "objectHash", json_string(ep->obj_hash));
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!text)
		return -ENOMEM;
	endpoint_state_name(ep, name, sizeof(name));
	err = state_write_atomic(d->ep_dirfd, name, text, strlen(text), durable);
	free(text);
	return err;
}

/* Endpoint ids name pin directories; hand them out round-robin so a fresh
 * endpoint never lands in a directory a just-deleted one used. */
/* No endpoint has @id, and no pins do. */
static bool id_free(struct weftd *d, uint32_t id)
{
	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		if (ep->id == id)
			return false;
	}
	/* Pins without a state file (lost state) are not ours to reuse. */
	return !(d->loader && loader_pins_exist(d->loader, id));
}

/* The first free id after @after, going round; 0 when there is none. */
static uint32_t next_free_id(void *ctx, uint32_t after)
{
	struct weftd *d = ctx;

	for (uint32_t i = 1; i < WEFT_MAX_ENDPOINTS; i++) {
		uint32_t cand = (after + i - 1) % (WEFT_MAX_ENDPOINTS - 1) + 1;

		if (id_free(d, cand))
			return cand;
	}
	return 0;
}

/*
 * An id whose empty policy map is already in place comes first: the ADD then
 * waits for no grace period (daemon/policy/spares.h). Otherwise the next
 * free one after the last given, round the id space, that the spares' pool
 * does not hold.
 */
static int alloc_id(struct weftd *d, uint32_t *id)
{
	uint32_t cand = d->last_id;

	if (policy_spare_take(d->policy, &cand)) {
		if (id_free(d, cand)) {
			*id = cand;
			return 0;
		}
		pr_warn("spare policy map id %u is in use: not taken", cand);
		cand = d->last_id;
	}
	for (uint32_t i = 1; i < WEFT_MAX_ENDPOINTS; i++) {
		cand = next_free_id(d, cand);
		if (!cand)
			break;
		if (policy_spare_holds(d->policy, cand))
			continue;
		d->last_id = cand;
		*id = cand;
		return 0;
	}
	return -ENOSPC;
}

void endpoint_spares_fill(struct weftd *d)
{
	policy_spares_fill(d->policy, next_free_id, d);
}

/* An address can belong to one endpoint only, and to the pair IPAM gave it. */
static int check_ips(struct weftd *d, const struct endpoint *req, struct weft_api_error *e)
{
	char ip[INET6_ADDRSTRLEN], key[300];
	const char *owner;

	snprintf(key, sizeof(key), "%s %s", req->cid, req->ifname);
	for (int i = 0; i < req->nr_ips; i++) {
		ip_format(&req->ips[i], ip, sizeof(ip));
		for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
			for (int j = 0; j < ep->nr_ips; j++) {
				if (memcmp(&ep->ips[j], &req->ips[i], sizeof(req->ips[i])))
					continue;
				api_err_set(e, EEXIST, "ips",
					    "address %s is held by endpoint %u (%s/%s)", ip, ep->id,
					    ep->cid, ep->ifname);
				return -EEXIST;
			}
		}
		if (req->ips[i].family != WEFT_FAMILY_IPV4)
			continue;
		owner = ipam_owner(d->ipam, req->ips[i].addr[0]);
		if (owner && strcmp(owner, key)) {
			api_err_set(e, EEXIST, "ips", "address %s is allocated to %s", ip, owner);
			return -EEXIST;
		}
	}
	return 0;
}

static void map_delete_all(struct weftd *d, const struct endpoint *ep, int n)
{
	for (int i = 0; i < n; i++) {
		int err = maps_endpoint_delete(&d->maps, &ep->ips[i], ep->id);

		if (err)
			pr_warn("endpoint %u: cannot remove a weft_endpoints entry: %s", ep->id,
				strerror(-err));
	}
}

void endpoint_loader_params(const struct endpoint *ep, struct loader_params *lp)
{
	memset(lp, 0, sizeof(*lp));
	lp->id = ep->id;
	lp->ifindex = ep->host_ifindex;
	memcpy(lp->pod_mac, ep->pod_mac, 6);
	memcpy(lp->host_mac, ep->host_mac, 6);
	for (int j = 0; j < ep->nr_ips; j++) {
		if (ep->ips[j].family == WEFT_FAMILY_IPV4) {
			lp->pod_ipv4 = ep->ips[j].addr[0];
			break;
		}
	}
}

int endpoint_add(struct weftd *d, const struct endpoint *req, struct endpoint **out,
		 struct steps *steps, struct weft_api_error *e)
{
	struct loader_params lp = {0};
	struct weft_endpoint_info info = {0};
	struct endpoint *ep, *old;
	char name[300], other[300];
	int err, i = 0;

	old = endpoint_find(d, req->cid, req->ifname);
	if (old) {
		if (!strcmp(old->host_ifname, req->host_ifname)) {
			*out = old;
			return 0;
		}
		api_err_set(e, EEXIST, "hostIfname", "endpoint %s/%s exists on host veth %s",
			    req->cid, req->ifname, old->host_ifname);
		return -EEXIST;
	}
	if (!d->loader) {
		api_err_set(e, ENOSYS, NULL, "no BPF object loaded");
		return -ENOSYS;
	}
	if (d->datapath_error[0]) {
		api_err_set(e, EAGAIN, d->datapath_error,
			    "the BPF object on disk could not replace the running programs; "
			    "fix it and run weftctl upgrade");
		return -EAGAIN;
	}
	for (old = d->endpoints; old; old = old->next) {
		if (strcmp(old->host_ifname, req->host_ifname))
			continue;
		api_err_set(e, EEXIST, "hostIfname", "host veth %s is used by endpoint %u (%s/%s)",
			    req->host_ifname, old->id, old->cid, old->ifname);
		return -EEXIST;
	}
	err = check_ips(d, req, e);
	if (err)
		return err;
	/* <cid>_<ifname> is ambiguous when either contains '_'. */
	endpoint_state_name(req, name, sizeof(name));
	for (old = d->endpoints; old; old = old->next) {
		endpoint_state_name(old, other, sizeof(other));
		if (!strcmp(name, other)) {
			api_err_set(e, EEXIST, name, "state file name of %s/%s is taken by %s/%s",
				    req->cid, req->ifname, old->cid, old->ifname);
			return -EEXIST;
		}
	}

	ep = calloc(1, sizeof(*ep));
	if (!ep) {
		api_err_set(e, ENOMEM, NULL, "out of memory");
		return -ENOMEM;
	}
	*ep = *req;
	ep->next = NULL;
	ep->netns = strdup(req->netns ? req->netns : "");
	ep->k8s = json_incref(req->k8s);
	if (!ep->netns) {
		err = -ENOMEM;
		api_err_set(e, ENOMEM, NULL, "out of memory");
		goto free_ep;
	}
	err = netdev_lookup(d->nd, ep->host_ifname, &ep->host_ifindex, ep->host_mac);
	if (err) {
		api_err_set(e, -err, "hostIfname", "resolve host veth %s: %s", ep->host_ifname,
			    strerror(-err));
		goto free_ep;
	}
	err = alloc_id(d, &ep->id);
	if (err) {
		api_err_set(e, -err, NULL, "allocate an endpoint id: all %d in use",
			    WEFT_MAX_ENDPOINTS - 1);
		goto free_ep;
	}

	endpoint_loader_params(ep, &lp);
	lp.steps = steps;
	steps_mark(steps, "checks");
	err = loader_attach(d->loader, &lp, e);
	if (err)
		goto free_ep;
	/* Until its policy map is in weft_policy_maps the programs drop
	 * everything (fail closed); ADD has not returned, so nothing in the
	 * pod runs yet. The map is in before any other pod can route here. */
	if (d->policy) {
		err = policy_endpoint_add(d->policy, ep->id, ep->k8s, ep->ips, ep->nr_ips,
					  &info.identity, e);
		if (err)
			goto detach_programs;
	}
	steps_mark(steps, "policy");

	info.ifindex = (__u32)ep->host_ifindex;
	info.endpoint_id = ep->id;
	memcpy(info.pod_mac, ep->pod_mac, 6);
	memcpy(info.host_mac, ep->host_mac, 6);
	info.flags = WEFT_EP_F_LOCAL;
	for (i = 0; i < ep->nr_ips; i++) {
		err = maps_endpoint_put(&d->maps, &ep->ips[i], &info);
		if (err) {
			api_err_set(e, -maps_update_errno(err), maps_defs[WEFT_MAP_ENDPOINTS].name,
				    "insert address %d of endpoint %u: %s", i, ep->id,
				    maps_update_strerror(maps_fd(&d->maps, WEFT_MAP_ENDPOINTS),
							 maps_defs[WEFT_MAP_ENDPOINTS].name, err,
							 name, sizeof(name)));
			goto delete_entries;
		}
	}
	steps_mark(steps, "maps");
	snprintf(ep->obj_hash, sizeof(ep->obj_hash), "%s", loader_hash(d->loader));
	err = endpoint_write_state(d, ep, true);
	steps_mark(steps, "state");
	if (err) {
		api_err_set(e, -err, name, "write state file for endpoint %u: %s", ep->id,
			    strerror(-err));
		goto delete_entries;
	}
	ep->next = d->endpoints;
	d->endpoints = ep;
	d->nr_endpoints++;
	pr_info("endpoint %u: %s/%s on %s (ifindex %d) attached", ep->id, ep->cid, ep->ifname,
		ep->host_ifname, ep->host_ifindex);
	*out = ep;
	/* The spare it took is replaced at once (by the pool's thread), so a
	 * burst of ADDs keeps finding them. */
	endpoint_spares_fill(d);
	return 0;

delete_entries:
	map_delete_all(d, ep, i);
	if (d->policy)
		policy_endpoint_del(d->policy, ep->id);
detach_programs:
	loader_detach(d->loader, ep->id, ep->host_ifindex);
free_ep:
	pr_warn("endpoint.add %s/%s: %s%s%s", req->cid, req->ifname, e->msg,
		e->details[0] ? ": " : "", e->details);
	endpoint_free(ep);
	return err;
}

static void ep_unlink(struct weftd *d, struct endpoint *ep)
{
	for (struct endpoint **pp = &d->endpoints; *pp; pp = &(*pp)->next) {
		if (*pp == ep) {
			*pp = ep->next;
			d->nr_endpoints--;
			return;
		}
	}
}

/* Every step tolerates what is already gone, so a DEL that failed half-way
 * can simply be retried. */
int endpoint_del(struct weftd *d, const char *cid, const char *ifname, bool *deleted,
		 struct steps *steps, struct weft_api_error *e)
{
	struct endpoint *ep = endpoint_find(d, cid, ifname);
	char name[300];
	bool released, shared = false;
	int err;

	*deleted = false;
	if (!ep) {
		/* The plugin may have allocated and failed before endpoint.add. */
		err = ipam_release(d->ipam, cid, ifname, &released);
		if (err)
			api_err_set(e, -err, NULL, "release the address of %s/%s: %s", cid, ifname,
				    strerror(-err));
		return err;
	}
	map_delete_all(d, ep, ep->nr_ips);
	steps_mark(steps, "maps");
	if (d->policy)
		policy_endpoint_del(d->policy, ep->id);
	steps_mark(steps, "policy");
	if (d->loader) {
		err = loader_detach(d->loader, ep->id, ep->host_ifindex);
		if (err) {
			api_err_set(e, -err, NULL, "detach the programs of endpoint %u: %s", ep->id,
				    strerror(-err));
			return err;
		}
	}
	steps_mark(steps, "detach");
	err = ipam_release(d->ipam, cid, ifname, &released);
	if (err) {
		api_err_set(e, -err, NULL, "release the address of endpoint %u: %s", ep->id,
			    strerror(-err));
		return err;
	}
	steps_mark(steps, "release");
	for (struct endpoint *o = d->endpoints; o; o = o->next)
		shared |= o != ep && !strcmp(o->host_ifname, ep->host_ifname);
	if (!shared && d->nd) {
		err = netdev_delete(d->nd, ep->host_ifname);
		if (err) {
			api_err_set(e, -err, "hostIfname", "delete host veth %s of endpoint %u: %s",
				    ep->host_ifname, ep->id, strerror(-err));
			return err;
		}
	}
	steps_mark(steps, "veth");
	endpoint_state_name(ep, name, sizeof(name));
	err = state_remove(d->ep_dirfd, name);
	steps_mark(steps, "state");
	if (err) {
		api_err_set(e, -err, name, "remove the state file of endpoint %u: %s", ep->id,
			    strerror(-err));
		return err;
	}
	pr_info("endpoint %u: %s/%s deleted", ep->id, ep->cid, ep->ifname);
	ep_unlink(d, ep);
	endpoint_free(ep);
	*deleted = true;
	return 0;
}
