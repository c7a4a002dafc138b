// SPDX-License-Identifier: Apache-2.0
/*
 * weftd's socket API as a stream of requests: each line of the input is one
 * request (the server cuts a connection's bytes at the first newline, api.h)
 * dispatched by daemon/api/handlers.c on one weftd, set up as the unit tests
 * set it up (tests/unit/test_daemon_handlers.c): an IPAM store on a private
 * directory, no BPF object, so endpoint operations stop before the kernel.
 * A stream can allocate, release, GC and exhaust the pod range; every
 * allocation is released after each input so inputs do not depend on each
 * other. Each reply must encode, and the client's reader (lib/api.c's
 * api_reply_parse()) must take it as ok or as weftd's error, never as
 * malformed; each request line is also handed to that reader as a hostile
 * reply.
 */
#include <errno.h>
#include <string.h>

#include "api.h"
#include "daemon/api/handlers.h"
#include "daemon/endpoint/ipam.h"
#include "tests/fuzz/fuzz.h"

static struct weftd d;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *root = fuzz_tmpdir();
	char dir[300];

	(void)argc;
	(void)argv;
	snprintf(d.cfg.pod_cidr, sizeof(d.cfg.pod_cidr), "10.244.3.0/24");
	snprintf(d.cfg.node_name, sizeof(d.cfg.node_name), "n1");
	/* Private, empty directories: nothing for GC's reconcile or an upgrade
	 * without bpfDir to find. */
	snprintf(d.cfg.state_dir, sizeof(d.cfg.state_dir), "%s/state", root);
	snprintf(d.cfg.bpffs, sizeof(d.cfg.bpffs), "%s/bpffs", root);
	snprintf(d.cfg.bpf_dir, sizeof(d.cfg.bpf_dir), "%s/bpf", root);
	maps_init(&d.maps, d.cfg.bpffs);
	d.mtu = 1450;
	d.ep_dirfd = -1;
	snprintf(dir, sizeof(dir), "%s/ipam", root);
	FUZZ_ASSERT(!ipam_open(&d.ipam, dir, d.cfg.pod_cidr), "ipam store in %s", dir);
	return 0;
}

static void release_one(const char *cid, const char *ifname, uint32_t addr, void *ctx)
{
	bool released;

	(void)addr;
	(void)ctx;
	FUZZ_ASSERT(!ipam_release(d.ipam, cid, ifname, &released) && released,
		    "cannot release %s/%s", cid, ifname);
}

/* What weftctl or the plugin would make of @text as weftd's reply. */
static int read_reply(const char *text)
{
	struct weft_api_error e;
	json_t *reply;
	int ret;

	ret = api_reply_parse(text, &reply, &e);
	if (!ret)
		json_decref(reply);
	else
		FUZZ_ASSERT(e.err > 0, "a refused reply without an errno");
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rec;
	size_t off = 0, len;
	json_t *reply;
	char *req, *text;
	int ret;

	while (fuzz_next_record(data, size, &off, '\n', &rec, &len)) {
		if (len > WEFT_API_MAX_MSG)
			continue; /* the server refuses it before dispatch */
		req = fuzz_cstr(rec, len);
		reply = handlers_dispatch(&d, req, len);
		FUZZ_ASSERT(reply && json_is_object(reply), "no reply object");
		text = json_dumps(reply, JSON_COMPACT);
		FUZZ_ASSERT(text, "a reply that does not encode");
		ret = read_reply(text);
		FUZZ_ASSERT(ret == 0 || ret == -EREMOTEIO,
			    "weftd's own reply read as malformed: %s", text);
		FUZZ_ASSERT(!ret == json_is_true(json_object_get(reply, "ok")),
			    "ok and the reader disagree: %s", text);
		free(text);
		json_decref(reply);
		read_reply(req);
		free(req);
	}
	ipam_foreach(d.ipam, release_one, NULL);
	FUZZ_ASSERT(ipam_count(d.ipam) == 0, "allocations left after releasing all");
	return 0;
}
