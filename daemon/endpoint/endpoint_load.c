// SPDX-License-Identifier: Apache-2.0
/*
 * Endpoints at start: each record under <state-dir>/endpoints/ parsed back
 * (a bad one moved aside with its path and reason), adopted with the programs
 * and pins it left, then given its policy map once the engine is open.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/endpoint/endpoint.h"
#include "daemon/policy/engine.h"
#include "daemon/endpoint/ipam.h"
#include "daemon/datapath/loader.h"
#include "log.h"
#include "daemon/endpoint/state.h"
#include "daemon/api/validate.h"
#include "json_why.h"

static int ep_from_json(json_t *obj, struct endpoint *ep, char *why, size_t sz)
{
	json_t *id, *cid, *ifname, *netns, *host, *ifindex, *hmac, *pmac, *ips, *ip, *v;
	size_t i;

	if (json_why_field(obj, "id", JSON_INTEGER, &id, why, sz) ||
	    json_why_field(obj, "containerID", JSON_STRING, &cid, why, sz) ||
	    json_why_field(obj, "ifname", JSON_STRING, &ifname, why, sz) ||
	    json_why_field(obj, "netns", JSON_STRING, &netns, why, sz) ||
	    json_why_field(obj, "hostIfname", JSON_STRING, &host, why, sz) ||
	    json_why_field(obj, "hostIfindex", JSON_INTEGER, &ifindex, why, sz) ||
	    json_why_field(obj, "hostMAC", JSON_STRING, &hmac, why, sz) ||
	    json_why_field(obj, "podMAC", JSON_STRING, &pmac, why, sz) ||
	    json_why_field(obj, "ips", JSON_ARRAY, &ips, why, sz))
		return -EINVAL;
	if (json_integer_value(id) <= 0 || json_integer_value(id) >= WEFT_MAX_ENDPOINTS)
		return json_why_set(why, sz, "field 'id' is out of range 1-%d",
				    WEFT_MAX_ENDPOINTS - 1);
	if (!valid_container_id(json_string_value(cid)))
		return json_why_set(why, sz, "field 'containerID' is not a valid container ID");
	if (!valid_ifname(json_string_value(ifname)))
		return json_why_set(why, sz, "field 'ifname' is not a valid interface name");
	if (!valid_ifname(json_string_value(host)))
		return json_why_set(why, sz, "field 'hostIfname' is not a valid interface name");
	if (json_integer_value(ifindex) < 0 || json_integer_value(ifindex) > INT32_MAX)
		return json_why_set(why, sz, "field 'hostIfindex' is out of range");
	if (mac_parse(json_string_value(hmac), ep->host_mac))
		return json_why_set(why, sz, "field 'hostMAC' is not a MAC address");
	if (mac_parse(json_string_value(pmac), ep->pod_mac))
		return json_why_set(why, sz, "field 'podMAC' is not a MAC address");
	if (json_array_size(ips) > EP_MAX_IPS)
		return json_why_set(why, sz, "field 'ips' has more than %d addresses", EP_MAX_IPS);
	ep->id = (uint32_t)json_integer_value(id);
	ep->host_ifindex = (int)json_integer_value(ifindex);
	snprintf(ep->cid, sizeof(ep->cid), "%s", json_string_value(cid));
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", json_string_value(ifname));
	snprintf(ep->host_ifname, sizeof(ep->host_ifname), "%s", json_string_value(host));
	json_array_foreach (ips, i, ip) {
		if (!json_is_string(ip) || ep_ip_parse(json_string_value(ip), &ep->ips[i]))
			return json_why_set(why, sz, "field 'ips': item %zu is not an IP address",
					    i);
		ep->nr_ips++;
	}
	ep->netns = strdup(json_string_value(netns));
	if (!ep->netns)
		return -ENOMEM;
	ep->k8s = json_incref(json_object_get(obj, "k8s"));
	v = json_object_get(obj, "network");
	if (v && (!json_is_string(v) || !valid_network_name(json_string_value(v))))
		return json_why_set(why, sz, "field 'network' is not a network name");
	snprintf(ep->network, sizeof(ep->network), "%s", v ? json_string_value(v) : "");
	/* Older state files: the object recorded in datapath.json (caller). */
	v = json_object_get(obj, "objectHash");
	if (v && !json_is_string(v))
		return json_why_set(why, sz, "field 'objectHash' is not a string");
	snprintf(ep->obj_hash, sizeof(ep->obj_hash), "%s", v ? json_string_value(v) : "");
	return 0;
}

int endpoint_state_parse(const char *text, struct endpoint **out, char *why, size_t sz)
{
	struct endpoint *ep;
	json_t *obj;
	int err;

	*out = NULL;
	obj = json_why_load(text, strlen(text), why, sz);
	if (!obj)
		return -EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep) {
		err = -ENOMEM;
		goto put_obj;
	}
	err = ep_from_json(obj, ep, why, sz);
	if (err) {
		endpoint_free(ep);
		goto put_obj;
	}
	*out = ep;
put_obj:
	json_decref(obj);
	return err;
}

/* A record that is not what endpoint_write_state() writes, under a name that
 * is not its own, or of a pair already loaded, is moved aside: the endpoint it
 * was about (if any) is gone from weftd's view, and reconcile removes what it
 * left in the kernel as unowned. */
static int load_one(struct weftd *d, const char *dir, const char *name)
{
	char why[STATE_WHY_MAX], own[300];
	struct endpoint *ep = NULL, *other;
	char *text = NULL;
	int err;

	err = state_read(d->ep_dirfd, name, &text, NULL);
	if (state_read_bad(err, why, sizeof(why)))
		goto bad;
	if (err) {
		pr_warn("endpoints: cannot read %s/%s: %s", dir, name, strerror(-err));
		return err;
	}
	err = endpoint_state_parse(text, &ep, why, sizeof(why));
	if (err == -EINVAL)
		goto bad;
	if (err)
		goto free_text;
	endpoint_state_name(ep, own, sizeof(own));
	if (strcmp(name, own)) {
		snprintf(why, sizeof(why), "it is about %s/%s, whose record is %s", ep->cid,
			 ep->ifname, own);
		goto bad;
	}
	other = endpoint_by_id(d, ep->id);
	if (other) {
		snprintf(why, sizeof(why), "endpoint id %u is already %s/%s's", ep->id, other->cid,
			 other->ifname);
		goto bad;
	}
	if (ep->id > d->last_id)
		d->last_id = ep->id;
	ep->next = d->endpoints;
	d->endpoints = ep;
	d->nr_endpoints++;
	pr_debug("endpoints: adopted %u (%s/%s on %s)", ep->id, ep->cid, ep->ifname,
		 ep->host_ifname);
	ep = NULL;
	goto free_text;
bad:
	err = 0;
	state_quarantine(d->ep_dirfd, dir, name, why);
free_text:
	endpoint_free(ep);
	free(text);
	return err;
}

void endpoints_policy_at_start(struct weftd *d)
{
	struct weft_api_error e = {0};
	uint32_t identity;

	for (struct endpoint *ep = d->endpoints; ep; ep = ep->next) {
		/* Gone while weftd was down: reconcile removes the rest. */
		if (!loader_pins_exist(d->loader, ep->id))
			continue;
		if (policy_endpoint_add(d->policy, ep->id, ep->k8s, ep->ips, ep->nr_ips, &identity,
					&e))
			pr_warn("endpoint %u: %s: %s (retried when the cluster state changes)",
				ep->id, e.msg, e.details);
	}
}

int endpoints_load(struct weftd *d)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t len;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "%s/endpoints", d->cfg.state_dir);
	dir = state_dir_stream(d->ep_dirfd);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (state_is_tmp(de->d_name)) {
			unlinkat(d->ep_dirfd, de->d_name, 0);
			continue;
		}
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		err = load_one(d, path, de->d_name);
		if (err)
			break;
	}
	closedir(dir);
	if (!err)
		pr_info("endpoints: %u adopted from the state directory", d->nr_endpoints);
	return err;
}

void endpoints_free(struct weftd *d)
{
	struct endpoint *ep, *next;

	for (ep = d->endpoints; ep; ep = next) {
		next = ep->next;
		endpoint_free(ep);
	}
	d->endpoints = NULL;
	d->nr_endpoints = 0;
}
