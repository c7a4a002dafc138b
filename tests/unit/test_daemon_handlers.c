// SPDX-License-Identifier: Apache-2.0
/* daemon/handlers.c request validation and the IPAM ops, without a socket
 * and without BPF: the weftd context has only an IPAM store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api/handlers.h"
#include "daemon/endpoint/ipam.h"
#include "log.h"
#include "testing.h"

static char root[] = "/tmp/weft-test-handlers.XXXXXX";
static struct weftd d;

/* Dispatch @req; returns the reply's errno (0 when ok) and its details. */
static int call(const char *req, json_t **reply, const char **details)
{
	json_t *err;

	json_decref(*reply);
	*reply = handlers_dispatch(&d, req, strlen(req));
	*details = "";
	if (!*reply)
		return -1;
	if (json_is_true(json_object_get(*reply, "ok")))
		return 0;
	err = json_object_get(*reply, "error");
	*details = json_string_value(json_object_get(err, "details")) ?: "";
	return (int)json_integer_value(json_object_get(err, "errno"));
}

int main(void)
{
	json_t *reply = NULL;
	const char *det;
	char dir[300], big[400];

	log_set_level(LOG_LEVEL_WARN);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(d.cfg.pod_cidr, sizeof(d.cfg.pod_cidr), "10.244.3.0/24");
	snprintf(d.cfg.node_name, sizeof(d.cfg.node_name), "n1");
	d.mtu = 1450;
	d.ep_dirfd = -1;
	snprintf(dir, sizeof(dir), "%s/ipam", root);
	CHECK_INT(ipam_open(&d.ipam, dir, d.cfg.pod_cidr), 0, "ipam store for the handlers");
	if (!d.ipam)
		return test_done();

	CHECK_INT(call("{not json", &reply, &det), EINVAL, "malformed JSON is EINVAL");
	CHECK_INT(call("[1,2]", &reply, &det), EINVAL, "an array is not a request");
	CHECK_INT(call("{}", &reply, &det), EINVAL, "missing op");
	CHECK_STR(det, "op: missing", "details name op");
	CHECK_INT(call("{\"op\":7}", &reply, &det), EINVAL, "op must be a string");
	CHECK_INT(call("{\"op\":\"nope\"}", &reply, &det), EINVAL, "unknown op");
	CHECK(strstr(det, "nope") != NULL, "details name the unknown op: %s", det);

	CHECK_INT(call("{\"op\":\"ipam.allocate\",\"ifname\":\"eth0\"}", &reply, &det), EINVAL,
		  "allocate without containerID");
	CHECK_STR(det, "containerID: missing", "details name containerID");
	CHECK_INT(call("{\"op\":\"ipam.allocate\",\"containerID\":\"_x\",\"ifname\":\"eth0\"}",
		       &reply, &det),
		  EINVAL, "containerID must start alphanumeric");
	CHECK_STR(det, "containerID: must be 1-255 chars of [A-Za-z0-9_.-], first alphanumeric",
		  "details give the containerID rule");
	CHECK_INT(call("{\"op\":\"ipam.allocate\",\"containerID\":\"c1\",\"ifname\":\"..\"}",
		       &reply, &det),
		  EINVAL, "ifname .. refused");
	CHECK(!strncmp(det, "ifname:", 7), "details name ifname: %s", det);
	CHECK_INT(
		call("{\"op\":\"ipam.allocate\",\"containerID\":\"c1\",\"ifname\":\"a-very-long-ifname\"}",
		     &reply, &det),
		EINVAL, "ifname longer than 15 refused");
	CHECK_INT(call("{\"op\":\"ipam.allocate\",\"containerID\":1,\"ifname\":\"eth0\"}", &reply,
		       &det),
		  EINVAL, "mistyped containerID");
	CHECK_STR(det, "containerID: must be a string", "details say the type");

	CHECK_INT(call("{\"op\":\"ipam.allocate\",\"containerID\":\"c1\",\"ifname\":\"eth0\"}",
		       &reply, &det),
		  0, "allocate ok");
	CHECK_STR(json_string_value(json_object_get(
			  json_array_get(json_object_get(reply, "ips"), 0), "address")),
		  "10.244.3.1", "allocated address");
	CHECK_INT(json_integer_value(json_object_get(
			  json_array_get(json_object_get(reply, "ips"), 0), "prefixLength")),
		  24, "prefixLength");
	CHECK_INT(json_integer_value(json_object_get(reply, "mtu")), 1450, "mtu in the reply");
	CHECK_INT(call("{\"op\":\"ipam.release\",\"containerID\":\"c1\",\"ifname\":\"eth0\"}",
		       &reply, &det),
		  0, "release ok");
	CHECK(json_is_true(json_object_get(reply, "released")), "released true");

	snprintf(
		big, sizeof(big),
		"{\"op\":\"endpoint.add\",\"containerID\":\"c1\",\"ifname\":\"eth0\","
		"\"netns\":\"/run/netns/x\",\"hostIfname\":\"wft1\",\"podMAC\":\"zz\",\"ips\":[\"10.244.3.1\"]}");
	CHECK_INT(call(big, &reply, &det), EINVAL, "endpoint.add with a bad MAC");
	CHECK(!strncmp(det, "podMAC:", 7), "details name podMAC: %s", det);
	snprintf(
		big, sizeof(big),
		"{\"op\":\"endpoint.add\",\"containerID\":\"c1\",\"ifname\":\"eth0\","
		"\"netns\":\"/run/netns/x\",\"hostIfname\":\"wft1\",\"podMAC\":\"02:00:00:00:00:01\","
		"\"ips\":[\"10.244.3.1\",\"300.1.1.1\"]}");
	CHECK_INT(call(big, &reply, &det), EINVAL, "endpoint.add with a bad address");
	CHECK(!strncmp(det, "ips[1]:", 7), "details name ips[1]: %s", det);
	snprintf(
		big, sizeof(big),
		"{\"op\":\"endpoint.add\",\"containerID\":\"c1\",\"ifname\":\"eth0\","
		"\"netns\":\"/run/netns/x\",\"hostIfname\":\"wft1\",\"podMAC\":\"02:00:00:00:00:01\","
		"\"ips\":[\"10.244.3.1\"],\"k8s\":{\"name\":5}}");
	CHECK_INT(call(big, &reply, &det), EINVAL, "endpoint.add with a mistyped k8s.name");
	CHECK(!strncmp(det, "k8s.name:", 9), "details name k8s.name: %s", det);
	snprintf(
		big, sizeof(big),
		"{\"op\":\"endpoint.add\",\"containerID\":\"c1\",\"ifname\":\"eth0\","
		"\"netns\":\"/run/netns/x\",\"hostIfname\":\"wft1\",\"podMAC\":\"02:00:00:00:00:01\","
		"\"ips\":[\"10.244.3.1\"],\"network\":\"a b\"}");
	CHECK_INT(call(big, &reply, &det), EINVAL, "endpoint.add with a bad network name");
	CHECK(!strncmp(det, "network:", 8), "details name network: %s", det);
	CHECK_INT(call("{\"op\":\"gc\",\"valid\":[],\"network\":7}", &reply, &det), EINVAL,
		  "gc with a network that is not a string");
	CHECK_STR(det, "network: must be a string", "details name the gc network");

	CHECK_INT(call("{\"op\":\"endpoint.get\",\"containerID\":\"c9\",\"ifname\":\"eth0\"}",
		       &reply, &det),
		  ENOENT, "endpoint.get of an unknown pair is ENOENT");
	CHECK_INT(call("{\"op\":\"endpoint.del\",\"containerID\":\"c9\",\"ifname\":\"eth0\"}",
		       &reply, &det),
		  0, "endpoint.del of an unknown pair is ok");
	CHECK(json_is_false(json_object_get(reply, "deleted")), "deleted false");
	CHECK_INT(call("{\"op\":\"endpoint.list\"}", &reply, &det), 0, "endpoint.list ok");
	CHECK_INT(json_array_size(json_object_get(reply, "endpoints")), 0, "no endpoints");

	call("{\"op\":\"ipam.allocate\",\"containerID\":\"keep\",\"ifname\":\"eth0\"}", &reply,
	     &det);
	call("{\"op\":\"ipam.allocate\",\"containerID\":\"gone\",\"ifname\":\"eth0\"}", &reply,
	     &det);
	CHECK_INT(call("{\"op\":\"gc\",\"valid\":[{\"containerID\":\"keep\"}]}", &reply, &det),
		  EINVAL, "gc with an incomplete entry");
	CHECK(!strncmp(det, "valid[0].ifname", 15), "details name valid[0].ifname: %s", det);
	CHECK_INT(call("{\"op\":\"gc\",\"valid\":[{\"containerID\":\"keep\",\"ifname\":\"eth0\"}]}",
		       &reply, &det),
		  0, "gc ok");
	CHECK_INT(json_array_size(json_object_get(reply, "removed")), 1, "gc removed one pair");
	CHECK_STR(json_string_value(json_object_get(
			  json_array_get(json_object_get(reply, "removed"), 0), "containerID")),
		  "gone", "gc removed the unlisted pair");
	CHECK_INT(ipam_count(d.ipam), 1, "the listed allocation stays");

	CHECK_INT(call("{\"op\":\"status\"}", &reply, &det), 0, "status ok");
	CHECK_STR(json_string_value(json_object_get(reply, "podCIDR")), "10.244.3.0/24",
		  "status podCIDR");

	json_decref(reply);
	ipam_close(d.ipam);
	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	if (system(dir))
		printf("# could not remove %s\n", root);
	return test_done();
}
