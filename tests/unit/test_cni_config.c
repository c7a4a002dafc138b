// SPDX-License-Identifier: Apache-2.0
/* CNI plugin: network config parsing/validation, CNI_* env validation, veth names. */
#include <stdlib.h>
#include <string.h>

#include "cni/config.h"
#include "cni/env.h"
#include "cni/vethname.h"
#include "testing.h"

/* Parse @json; return the CNI code (0 on success) and leave the error in *err. */
static int parse(const char *json, struct cni_conf *conf, struct cni_error *err)
{
	memset(err, 0, sizeof(*err));
	if (cni_conf_parse(json, strlen(json), conf, err))
		return err->code;
	return 0;
}

/* A wrong value for @key must be code 7 with @key named in details. */
static void expect_bad(const char *json, const char *field)
{
	struct cni_conf conf;
	struct cni_error err;
	int code = parse(json, &conf, &err);

	CHECK_INT(code, 7, "%s rejected with code 7", json);
	CHECK(strstr(err.details, field) != NULL, "details names %s: '%s'", field, err.details);
	if (!code)
		cni_conf_free(&conf);
}

static void test_defaults(void)
{
	struct cni_conf conf;
	struct cni_error err;

	CHECK_INT(parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"weft\",\"foo\":[1]}",
			&conf, &err),
		  0, "minimal config parses, unknown keys ignored");
	CHECK_STR(conf.cni_version, "1.0.0", "cniVersion kept");
	CHECK_STR(conf.name, "n", "name kept");
	CHECK_STR(conf.socket, "/run/weft/weftd.sock", "socket defaults to /run/weft/weftd.sock");
	CHECK_INT(conf.mtu, 0, "mtu defaults to 0 (ask weftd)");
	CHECK(conf.ipam == NULL, "no ipam: daemon IPAM");
	CHECK(!conf.log_file && !conf.log_level_set, "no logging options");
	CHECK(!conf.prev_result && !conf.valid_attachments, "no prevResult, no attachments");
	cni_conf_free(&conf);

	CHECK_INT(
		parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"socket\":\"/tmp/s\",\"mtu\":1450,"
		      "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.0.0.0/24\"},"
		      "\"logFile\":\"/tmp/l\",\"logLevel\":\"debug\","
		      "\"prevResult\":{\"cniVersion\":\"1.1.0\"},\"runtimeConfig\":{},"
		      "\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}",
		      &conf, &err),
		0, "full config parses");
	CHECK_STR(conf.socket, "/tmp/s", "socket read");
	CHECK_INT(conf.mtu, 1450, "mtu read");
	CHECK_STR(conf.ipam_type, "host-local", "ipam.type read");
	CHECK_INT(conf.log_level, LOG_LEVEL_DEBUG, "logLevel read");
	CHECK(conf.prev_result && conf.runtime_config, "prevResult and runtimeConfig kept");
	CHECK_INT(json_array_size(conf.valid_attachments), 1, "valid-attachments kept");
	cni_conf_free(&conf);

	CHECK_INT(parse("{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"mtu\":0}", &conf, &err), 0,
		  "mtu 0 accepted (auto)");
	cni_conf_free(&conf);
	CHECK_INT(parse("{\"cniVersion\":\"0.3.0\",\"name\":\"n\",\"mtu\":68}", &conf, &err), 0,
		  "mtu 68 accepted");
	cni_conf_free(&conf);
}

static void test_versions(void)
{
	struct cni_conf conf;
	struct cni_error err;

	CHECK_INT(parse("{\"name\":\"n\"}", &conf, &err), 7, "missing cniVersion -> 7");
	CHECK(strstr(err.details, "cniVersion") != NULL, "details names cniVersion");
	CHECK_INT(parse("{\"cniVersion\":\"2.0.0\",\"name\":\"n\"}", &conf, &err), 1,
		  "cniVersion 2.0.0 -> 1");
	CHECK(strstr(err.details, "2.0.0") && strstr(err.details, "1.1.0") &&
		      strstr(err.details, "0.3.0"),
	      "msg names the version and the supported ones: '%s'", err.details);
	CHECK_STR(conf.cni_version, "2.0.0", "unsupported version still recorded for the reply");
	CHECK_INT(parse("{\"cniVersion\":\"0.2.0\",\"name\":\"n\"}", &conf, &err), 1,
		  "cniVersion 0.2.0 -> 1");
	CHECK_INT(parse("not json", &conf, &err), 7, "garbage -> 7");
	CHECK_INT(parse("[1,2]", &conf, &err), 7, "non-object -> 7");
}

static void test_wrong_types(void)
{
	expect_bad("{\"cniVersion\":1,\"name\":\"n\"}", "cniVersion");
	expect_bad("{\"cniVersion\":\"1.0.0\"}", "name");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":5}", "name");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"\"}", "name");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":3}", "type");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"socket\":true}", "socket");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"socket\":\"\"}", "socket");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":\"1500\"}",
		   "mtu: must be an integer between 68 and 65535");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":67}", "mtu");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":65536}", "mtu");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":1500.5}", "mtu");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":\"host-local\"}", "ipam");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{}}", "ipam.type");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":7}}", "ipam.type");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"../bin/sh\"}}",
		   "ipam.type");
	expect_bad(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"/usr/lib/cni/x\"}}",
		"ipam.type");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"logFile\":1}", "logFile");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"logLevel\":\"loud\"}", "logLevel");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"logLevel\":2}", "logLevel");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"prevResult\":[]}", "prevResult");
	expect_bad("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":\"x\"}",
		   "runtimeConfig");
	expect_bad("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":{}}",
		   "cni.dev/valid-attachments");
	expect_bad("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
		   "\"cni.dev/valid-attachments\":[{\"containerID\":\"c\"}]}",
		   "cni.dev/valid-attachments[0]");
}

static void set_env(const char *cmd, const char *cid, const char *netns, const char *ifname,
		    const char *args)
{
#define SET(k, v) ((v) ? setenv(k, v, 1) : unsetenv(k))
	SET("CNI_COMMAND", cmd);
	SET("CNI_CONTAINERID", cid);
	SET("CNI_NETNS", netns);
	SET("CNI_IFNAME", ifname);
	SET("CNI_ARGS", args);
	unsetenv("CNI_PATH");
#undef SET
}

/* Load env for ADD; return the CNI code (0 when valid). */
static int load_add(struct cni_env *env, struct cni_error *err)
{
	memset(err, 0, sizeof(*err));
	if (cni_env_command(env, err))
		return err->code;
	if (cni_env_load(env, CNI_NEED_CONTAINER | CNI_NEED_NETNS, err))
		return err->code;
	return 0;
}

static void test_env(void)
{
	char long_id[300], long_if[20];
	struct cni_error err;
	struct cni_env env;

	set_env("ADD", "abc123", "/run/netns/x", "eth0",
		"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_UID=u-1");
	CHECK_INT(load_add(&env, &err), 0, "valid ADD env");
	CHECK_INT(env.cmd, CNI_CMD_ADD, "CNI_COMMAND=ADD");
	CHECK_STR(env.k8s.namespace, "default", "K8S_POD_NAMESPACE read");
	CHECK_STR(env.k8s.name, "web", "K8S_POD_NAME read");
	CHECK_STR(env.k8s.uid, "u-1", "K8S_POD_UID read");

	set_env("ADDX", "abc", "/run/netns/x", "eth0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "unknown CNI_COMMAND -> 4");
	CHECK(strstr(err.details, "CNI_COMMAND") != NULL, "details names CNI_COMMAND");

	set_env("ADD", "-abc", "/run/netns/x", "eth0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "CNI_CONTAINERID starting with '-' -> 4");
	CHECK(strstr(err.details, "CNI_CONTAINERID") != NULL, "details names CNI_CONTAINERID");
	set_env("ADD", "ab c", "/run/netns/x", "eth0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "CNI_CONTAINERID with a space -> 4");
	set_env("ADD", NULL, "/run/netns/x", "eth0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "missing CNI_CONTAINERID -> 4");
	memset(long_id, 'a', 256);
	long_id[256] = '\0';
	set_env("ADD", long_id, "/run/netns/x", "eth0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "256-char CNI_CONTAINERID -> 4");
	long_id[255] = '\0';
	set_env("ADD", long_id, "/run/netns/x", "eth0", NULL);
	CHECK_INT(load_add(&env, &err), 0, "255-char CNI_CONTAINERID accepted");

	set_env("ADD", "abc", "/run/netns/x", "eth/0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "CNI_IFNAME eth/0 -> 4");
	CHECK(strstr(err.details, "CNI_IFNAME") != NULL, "details names CNI_IFNAME");
	strcpy(long_if, "eth0123456789abc"); /* 16 chars */
	set_env("ADD", "abc", "/run/netns/x", long_if, NULL);
	CHECK_INT(load_add(&env, &err), 4, "16-char CNI_IFNAME -> 4");
	long_if[15] = '\0';
	set_env("ADD", "abc", "/run/netns/x", long_if, NULL);
	CHECK_INT(load_add(&env, &err), 0, "15-char CNI_IFNAME accepted");
	set_env("ADD", "abc", "/run/netns/x", "..", NULL);
	CHECK_INT(load_add(&env, &err), 4, "CNI_IFNAME .. -> 4");
	set_env("ADD", "abc", "/run/netns/x", "eth:0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "CNI_IFNAME with ':' -> 4");
	set_env("ADD", "abc", "/run/netns/x", "eth 0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "CNI_IFNAME with a space -> 4");

	set_env("ADD", "abc", NULL, "eth0", NULL);
	CHECK_INT(load_add(&env, &err), 4, "ADD without CNI_NETNS -> 4");
	CHECK(strstr(err.details, "CNI_NETNS") != NULL, "details names CNI_NETNS");
	set_env("DEL", "abc", "", "eth0", NULL);
	memset(&err, 0, sizeof(err));
	CHECK_INT(cni_env_command(&env, &err) || cni_env_load(&env, CNI_NEED_CONTAINER, &err), 0,
		  "DEL with an empty CNI_NETNS is fine");

	set_env("ADD", "abc", "/run/netns/x", "eth0", "K8S_POD_NAME=web;broken");
	CHECK_INT(load_add(&env, &err), 4, "CNI_ARGS pair without '=' -> 4");
	CHECK(strstr(err.details, "CNI_ARGS") != NULL, "details names CNI_ARGS");
	set_env("ADD", "abc", "/run/netns/x", "eth0", "K8S_POD_NAME=;;A=b=c;");
	CHECK_INT(load_add(&env, &err), 0, "empty value, ';;' and '=' inside a value are fine");

	setenv("CNI_PATH", "", 1);
	memset(&err, 0, sizeof(err));
	CHECK(cni_env_load(&env, CNI_NEED_PATH, &err) && err.code == 4 &&
		      strstr(err.details, "CNI_PATH"),
	      "empty CNI_PATH when IPAM is delegated -> 4 naming CNI_PATH");
	CHECK_INT(cni_cmd_parse("GC"), CNI_CMD_GC, "GC is a command");
	CHECK_INT(cni_cmd_parse("STATUS"), CNI_CMD_STATUS, "STATUS is a command");
	CHECK_INT(cni_cmd_parse("add"), CNI_CMD_UNKNOWN, "commands are case-sensitive");
}

static void test_veth_name(void)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ], d[IFNAMSIZ];
	char long_id[256];

	cni_veth_name("abc123", "eth0", a);
	cni_veth_name("abc123", "eth0", b);
	cni_veth_name("abc123", "eth1", c);
	memset(long_id, 'f', 255);
	long_id[255] = '\0';
	cni_veth_name(long_id, "eth0123456789ab", d);
	CHECK_STR(a, b, "veth name is stable");
	CHECK(strcmp(a, c) != 0, "another ifname gives another name");
	CHECK_INT(strlen(a), 14, "veth name is 14 characters");
	CHECK(strlen(d) <= 15, "long inputs still fit IFNAMSIZ");
	CHECK(!strncmp(a, "wft", 3), "veth name starts with wft");
	CHECK(cni_veth_name_is_ours(a) && cni_veth_name_is_ours(d), "our names are recognised");
	CHECK(!cni_veth_name_is_ours("wft123") && !cni_veth_name_is_ours("wftABCDEF01234") &&
		      !cni_veth_name_is_ours("eth0"),
	      "other names are not ours");
	/* FNV-1a-64("abc123/eth0") & 0xfffffffffff, fixed so a change of hash shows up. */
	CHECK_STR(a, "wft8d26ad510ef", "veth name matches the documented hash");
}

int main(void)
{
	log_set_level(LOG_LEVEL_WARN);
	log_set_file("/dev/null");
	test_defaults();
	test_versions();
	test_wrong_types();
	test_env();
	test_veth_name();
	return test_done();
}
