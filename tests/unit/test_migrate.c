// SPDX-License-Identifier: Apache-2.0
/*
 * Map migration (daemon/migrate.c) on real kernel maps pinned in a private
 * bpffs: the value's common prefix is kept and the rest zeroed, per-CPU
 * values CPU by CPU, and a changed key layout is refused.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "daemon/datapath/migrate.h"
#include "log.h"
#include "testing.h"

static char root[] = "/tmp/weft-test-migrate.XXXXXX";

static int make_pinned(const char *name, enum bpf_map_type type, uint32_t ks, uint32_t vs,
		       char *path, size_t sz)
{
	int fd = bpf_map_create(type, name, ks, vs, 16, NULL);

	snprintf(path, sz, "%s/%s", root, name);
	if (fd < 0 || bpf_obj_pin(fd, path)) {
		printf("# cannot create/pin %s: %s\n", name, strerror(errno));
		return -1;
	}
	return fd;
}

static void test_hash_grow_and_shrink(void)
{
	char p1[300], p2[300], p3[300], why[256];
	uint32_t key, v1[8], v2[10], v3[2];
	unsigned int n;
	int a, b, c;

	a = make_pinned("h_v1", BPF_MAP_TYPE_HASH, 4, sizeof(v1), p1, sizeof(p1));
	b = make_pinned("h_v2", BPF_MAP_TYPE_HASH, 4, sizeof(v2), p2, sizeof(p2));
	c = make_pinned("h_v3", BPF_MAP_TYPE_HASH, 4, sizeof(v3), p3, sizeof(p3));
	CHECK(a >= 0 && b >= 0 && c >= 0, "three hash maps pinned");
	if (a < 0 || b < 0 || c < 0)
		return;
	for (key = 1; key <= 3; key++) {
		for (int i = 0; i < 8; i++)
			v1[i] = key * 100 + (uint32_t)i;
		bpf_map_update_elem(a, &key, v1, BPF_ANY);
	}
	CHECK_INT(migrate_map(p1, p2, &n, why, sizeof(why)), 0, "grow: migrated");
	CHECK_INT(n, 3, "grow: every entry");
	key = 2;
	memset(v2, 0xff, sizeof(v2));
	CHECK_INT(bpf_map_lookup_elem(b, &key, v2), 0, "grow: entry present");
	CHECK(v2[0] == 200 && v2[7] == 207, "grow: common prefix kept");
	CHECK(v2[8] == 0 && v2[9] == 0, "grow: new trailing field zeroed");
	CHECK_INT(migrate_map(p2, p3, &n, why, sizeof(why)), 0, "shrink: migrated");
	key = 3;
	CHECK_INT(bpf_map_lookup_elem(c, &key, v3), 0, "shrink: entry present");
	CHECK(v3[0] == 300 && v3[1] == 301, "shrink: prefix kept");
	close(a);
	close(b);
	close(c);
}

static void test_percpu(void)
{
	char p1[300], p2[300], why[256];
	int ncpus = libbpf_num_possible_cpus(), a, b, ok = 1;
	uint64_t *v1, *v2;
	uint32_t key = 5;
	unsigned int n;

	a = make_pinned("pc_v1", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, p1, sizeof(p1));
	b = make_pinned("pc_v2", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, p2, sizeof(p2));
	v1 = calloc((size_t)ncpus, 8);
	v2 = calloc((size_t)ncpus, 16);
	CHECK(a >= 0 && b >= 0 && v1 && v2, "two per-CPU arrays pinned");
	if (a < 0 || b < 0 || !v1 || !v2)
		goto out;
	for (int c = 0; c < ncpus; c++)
		v1[c] = 1000 + (uint64_t)c;
	bpf_map_update_elem(a, &key, v1, BPF_ANY);
	CHECK_INT(migrate_map(p1, p2, &n, why, sizeof(why)), 0, "per-CPU: migrated");
	CHECK_INT(n, 16, "per-CPU: every index of the array");
	bpf_map_lookup_elem(b, &key, v2);
	for (int c = 0; c < ncpus; c++)
		ok &= v2[2 * c] == 1000 + (uint64_t)c && v2[2 * c + 1] == 0;
	CHECK(ok, "per-CPU: each CPU's value copied, the rest zero");
out:
	free(v1);
	free(v2);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

static void test_key_change(void)
{
	char p1[300], p2[300], why[256] = "";
	unsigned int n;
	int a, b;

	a = make_pinned("k_v1", BPF_MAP_TYPE_HASH, 4, 8, p1, sizeof(p1));
	b = make_pinned("k_v2", BPF_MAP_TYPE_HASH, 8, 8, p2, sizeof(p2));
	CHECK_INT(migrate_map(p1, p2, &n, why, sizeof(why)), -EPROTO, "changed key refused");
	CHECK(strstr(why, "no converter") != NULL, "the reason says why: %s", why);
	close(a);
	close(b);
}

int main(void)
{
	char cmd[80];

	log_set_level(LOG_LEVEL_WARN);
	if (!mkdtemp(root) || mount("bpf", root, "bpf", 0, NULL)) {
		perror("weft-test-migrate: bpffs");
		return 1;
	}
	test_hash_grow_and_shrink();
	test_percpu();
	test_key_change();
	umount(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
	return test_done();
}
