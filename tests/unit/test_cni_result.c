// SPDX-License-Identifier: Apache-2.0
/* CNI plugin: the result model, emitted in every supported version and parsed back. */
#include <errno.h>
#include <string.h>

#include "cni/errors.h"
#include "cni/result.h"
#include "cni/version.h"
#include "log.h"
#include "testing.h"

/* What ADD builds: host veth, pod interface, one address, the default route. */
static void build_ours(struct cni_result *r)
{
	cni_result_init(r);
	cni_result_add_iface(r, "wft8d26ad510ef", "c2:7f:13:cc:e4:59", "");
	cni_result_add_iface(r, "eth0", "76:d6:3a:5e:5f:98", "/run/netns/p");
	r->ifaces[1].mtu = 1450;
	cni_result_add_ip(r, "10.244.0.5/32", "169.254.1.1", 1);
	cni_result_add_route(r, "0.0.0.0/0", "169.254.1.1");
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void test_emit_all_versions(void)
{
	struct cni_result r;

	build_ours(&r);
	for (int v = 0; v < cni_supported_versions_count; v++) {
		const char *ver = cni_supported_versions[v];
		int legacy = cni_version_cmp(ver, "1.0.0") < 0;
		json_t *j = cni_result_to_json(&r, ver);
		json_t *ip = json_array_get(json_object_get(j, "ips"), 0);
		json_t *pod = json_array_get(json_object_get(j, "interfaces"), 1);
		json_t *rt = json_array_get(json_object_get(j, "routes"), 0);

		CHECK(j != NULL, "%s: emitted", ver);
		CHECK_STR(jstr(j, "cniVersion"), ver, "%s: cniVersion", ver);
		CHECK_INT(json_array_size(json_object_get(j, "interfaces")), 2, "%s: 2 interfaces",
			  ver);
		CHECK_STR(jstr(pod, "sandbox"), "/run/netns/p", "%s: pod sandbox", ver);
		CHECK(!json_object_get(json_array_get(json_object_get(j, "interfaces"), 0),
				       "sandbox"),
		      "%s: host veth has no sandbox", ver);
		CHECK_STR(jstr(ip, "address"), "10.244.0.5/32", "%s: address", ver);
		CHECK_STR(jstr(ip, "gateway"), "169.254.1.1", "%s: gateway", ver);
		CHECK_INT(json_integer_value(json_object_get(ip, "interface")), 1,
			  "%s: ip points at the pod interface", ver);
		if (legacy)
			CHECK_STR(jstr(ip, "version"), "4", "%s: ips carry \"version\": \"4\"",
				  ver);
		else
			CHECK(!json_object_get(ip, "version"), "%s: ips carry no \"version\"", ver);
		CHECK_STR(jstr(rt, "dst"), "0.0.0.0/0", "%s: default route", ver);
		CHECK_STR(jstr(rt, "gw"), "169.254.1.1", "%s: via the gateway", ver);
		CHECK(!json_object_get(j, "dns"), "%s: no empty dns", ver);
		CHECK((json_object_get(pod, "mtu") != NULL) == (cni_version_cmp(ver, "1.1.0") >= 0),
		      "%s: interface mtu only from 1.1.0", ver);
		json_decref(j);
	}
	cni_result_free(&r);
}

static const char *prev_031 =
	"{\"cniVersion\":\"0.3.1\","
	" \"interfaces\":[{\"name\":\"br0\",\"mac\":\"aa:bb:cc:dd:ee:01\"},"
	"                {\"name\":\"eth0\",\"mac\":\"aa:bb:cc:dd:ee:02\",\"sandbox\":\"/proc/1/ns/net\"}],"
	" \"ips\":[{\"version\":\"4\",\"address\":\"10.1.0.7/24\",\"gateway\":\"10.1.0.1\",\"interface\":1}],"
	" \"routes\":[{\"dst\":\"0.0.0.0/0\"}],"
	" \"dns\":{\"nameservers\":[\"10.96.0.10\"]}}";

static const char *prev_100 =
	"{\"cniVersion\":\"1.0.0\","
	" \"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/p\"}],"
	" \"ips\":[{\"address\":\"fd00::7/64\",\"interface\":0},{\"address\":\"10.2.0.9/16\"}],"
	" \"routes\":[{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.2.0.1\"}]}";

static void test_parse(void)
{
	struct cni_result r, ours;
	char what[160];
	json_t *j, *out;

	j = json_loads(prev_031, 0, NULL);
	CHECK_INT(cni_result_parse(j, "1.0.0", &r, what, sizeof(what)), 0, "0.3.1 result parses");
	CHECK_INT(r.n_ifaces, 2, "0.3.1: 2 interfaces");
	CHECK_STR(r.ifaces[1].sandbox, "/proc/1/ns/net", "0.3.1: sandbox");
	CHECK_INT(r.n_ips, 1, "0.3.1: 1 ip");
	CHECK_INT(r.ips[0].interface, 1, "0.3.1: ip interface index");
	CHECK_STR(r.ips[0].gateway, "10.1.0.1", "0.3.1: gateway");
	CHECK_INT(r.n_routes, 1, "0.3.1: 1 route");
	CHECK_STR(r.routes[0].gw, "", "0.3.1: route without gw");
	CHECK(json_is_array(json_object_get(r.dns, "nameservers")), "0.3.1: dns kept");

	/* Chaining: prevResult entries first, ours appended with shifted indices. */
	build_ours(&ours);
	CHECK_INT(cni_result_append(&r, &ours), 0, "append ours to prevResult");
	CHECK_INT(r.n_ifaces, 4, "chained: 4 interfaces");
	CHECK_INT(r.ips[1].interface, 3, "chained: our ip points at our pod interface (3)");
	CHECK_INT(r.ips[0].interface, 1, "chained: prevResult's index untouched");
	out = cni_result_to_json(&r, "1.1.0");
	CHECK_STR(jstr(json_array_get(json_object_get(out, "interfaces"), 3), "name"), "eth0",
		  "chained: emitted interface 3 is ours");
	CHECK(json_object_get(out, "dns") != NULL, "chained: prevResult's dns emitted");
	json_decref(out);
	cni_result_free(&ours);
	cni_result_free(&r);
	json_decref(j);

	j = json_loads(prev_100, 0, NULL);
	CHECK_INT(cni_result_parse(j, "1.0.0", &r, what, sizeof(what)), 0, "1.0.0 result parses");
	CHECK_INT(r.n_ips, 2, "1.0.0: 2 ips");
	CHECK_INT(r.ips[1].interface, -1, "1.0.0: ip without interface");
	out = cni_result_to_json(&r, "0.4.0");
	CHECK_STR(jstr(json_array_get(json_object_get(out, "ips"), 0), "version"), "6",
		  "re-emitted as 0.4.0: IPv6 gets \"version\": \"6\"");
	CHECK(!json_object_get(json_array_get(json_object_get(out, "ips"), 1), "interface"),
	      "re-emitted: no interface when none was given");
	json_decref(out);
	cni_result_free(&r);
	json_decref(j);

	j = json_loads(
		"{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.3.0.4/24\",\"gateway\":\"10.3.0.1\","
		"\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},\"dns\":{}}",
		0, NULL);
	CHECK_INT(cni_result_parse(j, "1.0.0", &r, what, sizeof(what)), 0, "0.2.0 result parses");
	CHECK(r.n_ips == 1 && !strcmp(r.ips[0].address, "10.3.0.4/24") && r.n_routes == 1,
	      "0.2.0: ip4 and its routes");
	cni_result_free(&r);
	json_decref(j);

	j = json_loads("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1\"}]}", 0, NULL);
	CHECK(cni_result_parse(j, "1.0.0", &r, what, sizeof(what)) && strstr(what, "ips[0]"),
	      "address without prefix rejected naming ips[0]: '%s'", what);
	cni_result_free(&r);
	json_decref(j);
	j = json_loads(
		"{\"interfaces\":[{\"name\":\"a\"}],\"ips\":[{\"address\":\"10.0.0.1/32\",\"interface\":4}]}",
		0, NULL);
	CHECK(cni_result_parse(j, "1.0.0", &r, what, sizeof(what)) && strstr(what, "interface"),
	      "interface index out of range rejected: '%s'", what);
	cni_result_free(&r);
	json_decref(j);
}

static void test_version_and_error(void)
{
	struct cni_error e = {0};
	json_t *j = cni_version_json(NULL), *arr;

	CHECK_STR(jstr(j, "cniVersion"), "1.1.0", "VERSION defaults to 1.1.0");
	arr = json_object_get(j, "supportedVersions");
	CHECK_INT(json_array_size(arr), 5, "5 supported versions");
	CHECK_STR(json_string_value(json_array_get(arr, 0)), "0.3.0", "first is 0.3.0");
	CHECK_STR(json_string_value(json_array_get(arr, 4)), "1.1.0", "last is 1.1.0");
	json_decref(j);
	j = cni_version_json("0.4.0");
	CHECK_STR(jstr(j, "cniVersion"), "0.4.0", "VERSION echoes the requested version");
	json_decref(j);
	CHECK(cni_version_cmp("0.4.0", "1.0.0") < 0 && cni_version_cmp("1.1.0", "1.0.0") > 0 &&
		      cni_version_cmp("0.3.1", "0.3.1") == 0 &&
		      cni_version_cmp("0.10.0", "0.4.0") > 0,
	      "version ordering is numeric");

	cni_fail(&e, CNI_ERR_TRY_AGAIN, -ECONNREFUSED, "weftd is not reachable", "%s", "first");
	cni_fail(&e, CNI_ERR_WEFTD, -EIO, "later", "%s", "second");
	j = cni_error_json(&e, "1.0.0");
	CHECK_INT(json_integer_value(json_object_get(j, "code")), 11, "first error wins");
	CHECK_STR(jstr(j, "details"), "first", "its details kept");
	CHECK_STR(jstr(j, "cniVersion"), "1.0.0", "error carries the cniVersion");
	json_decref(j);
}

int main(void)
{
	log_set_file("/dev/null");
	test_emit_all_versions();
	test_parse();
	test_version_and_error();
	return test_done();
}
