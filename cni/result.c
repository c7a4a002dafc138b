// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "result.h"
#include "version.h"

void cni_result_init(struct cni_result *r)
{
	memset(r, 0, sizeof(*r));
}

void cni_result_free(struct cni_result *r)
{
	json_decref(r->dns);
	r->dns = NULL;
}

static int copy_str(char *dst, size_t size, const char *src)
{
	if (!src)
		src = "";
	if (strlen(src) >= size)
		return -ENAMETOOLONG;
	strcpy(dst, src);
	return 0;
}

int cni_result_add_iface(struct cni_result *r, const char *name, const char *mac,
			 const char *sandbox)
{
	struct cni_iface *i;

	if (r->n_ifaces >= CNI_RESULT_MAX_IFACES)
		return -E2BIG;
	i = &r->ifaces[r->n_ifaces];
	memset(i, 0, sizeof(*i));
	if (copy_str(i->name, sizeof(i->name), name) || copy_str(i->mac, sizeof(i->mac), mac) ||
	    copy_str(i->sandbox, sizeof(i->sandbox), sandbox))
		return -ENAMETOOLONG;
	return r->n_ifaces++;
}

int cni_result_add_ip(struct cni_result *r, const char *address, const char *gateway, int interface)
{
	struct cni_ip *ip;

	if (r->n_ips >= CNI_RESULT_MAX_IPS)
		return -E2BIG;
	ip = &r->ips[r->n_ips];
	if (copy_str(ip->address, sizeof(ip->address), address) ||
	    copy_str(ip->gateway, sizeof(ip->gateway), gateway))
		return -ENAMETOOLONG;
	ip->interface = interface;
	return r->n_ips++;
}

int cni_result_add_route(struct cni_result *r, const char *dst, const char *gw)
{
	struct cni_route *rt;

	if (r->n_routes >= CNI_RESULT_MAX_ROUTES)
		return -E2BIG;
	rt = &r->routes[r->n_routes];
	if (copy_str(rt->dst, sizeof(rt->dst), dst) || copy_str(rt->gw, sizeof(rt->gw), gw))
		return -ENAMETOOLONG;
	return r->n_routes++;
}

int cni_result_append(struct cni_result *dst, const struct cni_result *src)
{
	int base = dst->n_ifaces;

	if (dst->n_ifaces + src->n_ifaces > CNI_RESULT_MAX_IFACES ||
	    dst->n_ips + src->n_ips > CNI_RESULT_MAX_IPS ||
	    dst->n_routes + src->n_routes > CNI_RESULT_MAX_ROUTES)
		return -E2BIG;
	for (int i = 0; i < src->n_ifaces; i++)
		dst->ifaces[dst->n_ifaces++] = src->ifaces[i];
	for (int i = 0; i < src->n_ips; i++) {
		struct cni_ip ip = src->ips[i];

		if (ip.interface >= 0)
			ip.interface += base;
		dst->ips[dst->n_ips++] = ip;
	}
	for (int i = 0; i < src->n_routes; i++)
		dst->routes[dst->n_routes++] = src->routes[i];
	/* The earlier plugin's DNS settings win; ours only fill a gap. */
	if (!dst->dns && src->dns) {
		dst->dns = json_deep_copy(src->dns);
		if (!dst->dns)
			return -ENOMEM;
	}
	return 0;
}

static int bad(char *what, size_t len, const char *fmt, const char *field, int idx)
{
	snprintf(what, len, fmt, field, idx);
	return -EINVAL;
}

/* Optional string member: absent is "", present must be a string. */
static int member_str(json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = "";
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	*out = json_string_value(v);
	return 0;
}

static int parse_routes(json_t *routes, struct cni_result *r, char *what, size_t len)
{
	json_t *rt;
	size_t i;

	if (!routes || json_is_null(routes))
		return 0;
	if (!json_is_array(routes))
		return bad(what, len, "%s: must be an array", "routes", 0);
	json_array_foreach (routes, i, rt) {
		const char *dst, *gw;
		struct weft_prefix a;

		if (!json_is_object(rt) || member_str(rt, "dst", &dst) ||
		    member_str(rt, "gw", &gw) || cni_cidr_parse(dst, &a) ||
		    (*gw && cni_ip_parse(gw, &a)))
			return bad(what, len,
				   "%s[%d]: needs \"dst\" as a CIDR and an optional \"gw\" address",
				   "routes", (int)i);
		if (cni_result_add_route(r, dst, gw) < 0)
			return bad(what, len, "%s[%d]: too many routes", "routes", (int)i);
	}
	return 0;
}

static int parse_ip(json_t *ip, int n_ifaces, struct cni_result *r, char *what, size_t len, int idx)
{
	const char *address, *gw;
	json_t *iface = json_object_get(ip, "interface");
	struct weft_prefix a;
	int index = -1;

	if (!json_is_object(ip) || member_str(ip, "address", &address) ||
	    cni_cidr_parse(address, &a))
		return bad(what, len, "%s[%d].address: must be a CIDR", "ips", idx);
	if (member_str(ip, "gateway", &gw) || (*gw && cni_ip_parse(gw, &a)))
		return bad(what, len, "%s[%d].gateway: must be an IP address", "ips", idx);
	if (iface && !json_is_null(iface)) {
		if (!json_is_integer(iface) || json_integer_value(iface) < 0 ||
		    json_integer_value(iface) >= n_ifaces)
			return bad(what, len, "%s[%d].interface: must index \"interfaces\"", "ips",
				   idx);
		index = (int)json_integer_value(iface);
	}
	if (cni_result_add_ip(r, address, gw, index) < 0)
		return bad(what, len, "%s[%d]: too many addresses", "ips", idx);
	return 0;
}

/* 0.1.0 / 0.2.0: {"ip4": {"ip", "gateway", "routes"}, "ip6": {...}, "dns"} */
static int parse_legacy(json_t *j, struct cni_result *r, char *what, size_t len)
{
	static const char *const keys[] = {"ip4", "ip6"};

	for (int k = 0; k < 2; k++) {
		json_t *o = json_object_get(j, keys[k]);
		const char *ip, *gw;
		struct weft_prefix a;
		int ret;

		if (!o || json_is_null(o))
			continue;
		if (!json_is_object(o) || member_str(o, "ip", &ip) || cni_cidr_parse(ip, &a) ||
		    member_str(o, "gateway", &gw) || (*gw && cni_ip_parse(gw, &a)))
			return bad(what, len,
				   "%s: needs \"ip\" as a CIDR and an optional \"gateway\"",
				   keys[k], 0);
		if (cni_result_add_ip(r, ip, gw, -1) < 0)
			return bad(what, len, "%s: too many addresses", keys[k], 0);
		ret = parse_routes(json_object_get(o, "routes"), r, what, len);
		if (ret)
			return ret;
	}
	return 0;
}

int cni_result_parse(json_t *j, const char *default_version, struct cni_result *r, char *what,
		     size_t len)
{
	json_t *v, *arr, *dns;
	const char *version = default_version;
	size_t i;
	int ret;

	cni_result_init(r);
	if (!json_is_object(j))
		return bad(what, len, "%s: must be an object", "result", 0);
	v = json_object_get(j, "cniVersion");
	if (v) {
		if (!json_is_string(v))
			return bad(what, len, "%s: must be a string", "cniVersion", 0);
		version = json_string_value(v);
	}
	if (version && cni_version_cmp(version, "0.3.0") < 0) {
		ret = parse_legacy(j, r, what, len);
		goto dns;
	}

	arr = json_object_get(j, "interfaces");
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr))
			return bad(what, len, "%s: must be an array", "interfaces", 0);
		json_array_foreach (arr, i, v) {
			const char *name, *mac, *sandbox;
			json_t *mtu = json_object_get(v, "mtu");
			int idx;

			if (!json_is_object(v) || member_str(v, "name", &name) || !*name ||
			    member_str(v, "mac", &mac) || member_str(v, "sandbox", &sandbox))
				return bad(what, len, "%s[%d]: needs a string \"name\"",
					   "interfaces", (int)i);
			idx = cni_result_add_iface(r, name, mac, sandbox);
			if (idx < 0)
				return bad(what, len, "%s[%d]: too many or too long", "interfaces",
					   (int)i);
			if (json_is_integer(mtu))
				r->ifaces[idx].mtu = (int)json_integer_value(mtu);
		}
	}
	arr = json_object_get(j, "ips");
	if (arr && !json_is_null(arr)) {
		if (!json_is_array(arr))
			return bad(what, len, "%s: must be an array", "ips", 0);
		json_array_foreach (arr, i, v) {
			ret = parse_ip(v, r->n_ifaces, r, what, len, (int)i);
			if (ret)
				return ret;
		}
	}
	ret = parse_routes(json_object_get(j, "routes"), r, what, len);
dns:
	if (ret)
		return ret;
	dns = json_object_get(j, "dns");
	if (dns && !json_is_null(dns)) {
		if (!json_is_object(dns))
			return bad(what, len, "%s: must be an object", "dns", 0);
		r->dns = json_deep_copy(dns);
		if (!r->dns)
			return -ENOMEM;
	}
	return 0;
}

static json_t *iface_json(const struct cni_iface *i, const char *version)
{
	json_t *o = json_pack("{s:s}", "name", i->name);

	if (!o)
		return NULL;
	if (i->mac[0])
		json_object_set_new(o, "mac", json_string(i->mac));
	/* "mtu" on interfaces arrived with 1.1.0. */
	if (i->mtu > 0 && cni_version_cmp(version, "1.1.0") >= 0)
		json_object_set_new(o, "mtu", json_integer(i->mtu));
	if (i->sandbox[0])
		json_object_set_new(o, "sandbox", json_string(i->sandbox));
	return o;
}

static json_t *ip_json(const struct cni_ip *ip, const char *version)
{
	json_t *o = json_pack("{s:s}", "address", ip->address);
	struct weft_prefix a;

	if (!o)
		return NULL;
	/* 0.3.x and 0.4.0 carry the family as "version"; 1.0.0 dropped it. */
	if (cni_version_cmp(version, "1.0.0") < 0)
		json_object_set_new(
			o, "version",
			json_string(!cni_ip_parse(ip->address, &a) && a.addr.family == AF_INET6
					    ? "6"
					    : "4"));
	if (ip->gateway[0])
		json_object_set_new(o, "gateway", json_string(ip->gateway));
	if (ip->interface >= 0)
		json_object_set_new(o, "interface", json_integer(ip->interface));
	return o;
}

json_t *cni_result_to_json(const struct cni_result *r, const char *version)
{
	json_t *j = json_pack("{s:s, s:[], s:[], s:[]}", "cniVersion", version, "interfaces", "ips",
			      "routes");
	json_t *ifaces, *ips, *routes, *o;

	if (!j)
		return NULL;
	ifaces = json_object_get(j, "interfaces");
	ips = json_object_get(j, "ips");
	routes = json_object_get(j, "routes");
	for (int i = 0; i < r->n_ifaces; i++)
		if (json_array_append_new(ifaces, iface_json(&r->ifaces[i], version)))
			goto free_j;
	for (int i = 0; i < r->n_ips; i++)
		if (json_array_append_new(ips, ip_json(&r->ips[i], version)))
			goto free_j;
	for (int i = 0; i < r->n_routes; i++) {
		o = json_pack("{s:s}", "dst", r->routes[i].dst);
		if (o && r->routes[i].gw[0])
			json_object_set_new(o, "gw", json_string(r->routes[i].gw));
		if (json_array_append_new(routes, o))
			goto free_j;
	}
	if (r->dns && json_object_size(r->dns))
		json_object_set(j, "dns", r->dns);
	return j;
free_j:
	json_decref(j);
	return NULL;
}
