// SPDX-License-Identifier: Apache-2.0
/* daemon/endpoint/gc.c called directly, without JSON: the weftd context has
 * an IPAM store and one endpoint of another CNI network (no BPF). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/endpoint/endpoint.h"
#include "daemon/endpoint/gc.h"
#include "daemon/endpoint/ipam.h"
#include "log.h"
#include "testing.h"

static char root[] = "/tmp/weft-test-gc.XXXXXX";
static struct weftd d;

struct seen {
	char removed[4][64];
	int nr_removed;
	char kept[4][16];
	int nr_kept;
};

static void on_removed(void *ctx, const char *cid, const char *ifname)
{
	struct seen *s = ctx;

	if (s->nr_removed < 4)
		snprintf(s->removed[s->nr_removed], sizeof(s->removed[0]), "%s/%s", cid, ifname);
	s->nr_removed++;
}

static void on_kept(void *ctx, const char *host_ifname)
{
	struct seen *s = ctx;

	if (s->nr_kept < 4)
		snprintf(s->kept[s->nr_kept], sizeof(s->kept[0]), "%s", host_ifname);
	s->nr_kept++;
}

int main(void)
{
	static const struct gc_pair valid[] = {{"keep", "eth0"}};
	struct endpoint other = {
		.cid = "other", .ifname = "eth0", .host_ifname = "wftother", .network = "net-b"};
	struct weft_api_error e = {0};
	struct seen seen = {0};
	struct gc_request req = {.network = "net-a",
				 .valid = valid,
				 .nr_valid = 1,
				 .removed = on_removed,
				 .kept = on_kept,
				 .ctx = &seen};
	char dir[300];
	uint32_t addr;

	log_set_level(LOG_LEVEL_WARN);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(d.cfg.pod_cidr, sizeof(d.cfg.pod_cidr), "10.244.5.0/24");
	snprintf(d.cfg.bpffs, sizeof(d.cfg.bpffs), "%s/bpffs", root);
	snprintf(d.cfg.state_dir, sizeof(d.cfg.state_dir), "%s", root);
	d.ep_dirfd = -1;
	/* Pins under a bpffs that has none: the orphan walk finds no map. */
	maps_init(&d.maps, d.cfg.bpffs);
	snprintf(dir, sizeof(dir), "%s/ipam", root);
	CHECK_INT(ipam_open(&d.ipam, dir, d.cfg.pod_cidr), 0, "ipam store for gc");
	if (!d.ipam)
		return test_done();
	CHECK_INT(ipam_allocate(d.ipam, "keep", "eth0", &addr), 0, "allocate keep/eth0");
	CHECK_INT(ipam_allocate(d.ipam, "gone", "eth0", &addr), 0, "allocate gone/eth0");
	CHECK_INT(ipam_allocate(d.ipam, "other", "eth0", &addr), 0, "allocate other/eth0");
	d.endpoints = &other;
	d.nr_endpoints = 1;

	CHECK_INT(gc_run(&d, &req, &e), 0, "gc of net-a: %s", e.msg);
	CHECK_INT(seen.nr_removed, 1, "one allocation removed");
	CHECK_STR(seen.removed[0], "gone/eth0", "the unlisted one");
	CHECK_INT(seen.nr_kept, 1, "net-b's endpoint kept");
	CHECK_STR(seen.kept[0], "wftother", "and its host veth told");
	CHECK_INT(ipam_lookup(d.ipam, "other", "eth0", &addr), 0, "net-b's address stays");
	CHECK_INT(ipam_lookup(d.ipam, "keep", "eth0", &addr), 0, "the listed address stays");
	CHECK_INT(ipam_count(d.ipam), 2, "two allocations left");

	/* No callbacks: the walk still runs. */
	req.removed = NULL;
	req.kept = NULL;
	req.nr_valid = 0;
	CHECK_INT(gc_run(&d, &req, &e), 0, "gc without callbacks");
	CHECK_INT(ipam_count(d.ipam), 1, "keep/eth0 went once unlisted; net-b's stays");

	d.endpoints = NULL;
	maps_close(&d.maps);
	ipam_close(d.ipam);
	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	if (system(dir))
		printf("# could not remove %s\n", root);
	return test_done();
}
