// SPDX-License-Identifier: Apache-2.0
/* daemon/ipam.c against a throwaway state dir under /tmp. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/endpoint/ipam.h"
#include "log.h"
#include "testing.h"

static char root[] = "/tmp/weft-test-ipam.XXXXXX";

static const char *ip(uint32_t addr)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int n;
	struct in_addr in = {.s_addr = addr};

	n = (n + 1) % 4;
	inet_ntop(AF_INET, &in, buf[n], sizeof(buf[n]));
	return buf[n];
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static bool exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}

static void test_parse(void)
{
	uint32_t net;
	int prefix;

	CHECK_INT(ipam_parse_cidr("10.244.1.0/24", &net, &prefix), 0, "parse 10.244.1.0/24");
	CHECK(net == 0x0af40100 && prefix == 24, "network and prefix of 10.244.1.0/24");
	CHECK_INT(ipam_parse_cidr("10.244.1.7/24", &net, &prefix), -EINVAL, "host bits refused");
	CHECK_INT(ipam_parse_cidr("10.244.1.0", &net, &prefix), -EINVAL, "missing length refused");
	CHECK_INT(ipam_parse_cidr("10.244.1.0/33", &net, &prefix), -EINVAL, "/33 refused");
	CHECK_INT(ipam_parse_cidr("banana/24", &net, &prefix), -EINVAL, "not an address");
}

/* An address file's refusals name what is wrong. */
static void test_record(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"", "empty"},
		{"c1 et", "truncated: no newline at the end"},
		{"c1\n", "not \"containerID ifname\" on one line"},
		{"c1 eth0 extra\n", "not \"containerID ifname\" on one line"},
		{"-c1 eth0\n", "containerID '-c1' is not valid"},
		{"c1 a/b\n", "ifname 'a/b' is not valid"},
	};
	char key[IPAM_OWNER_MAX], why[200];

	CHECK_INT(ipam_record_parse("c1 eth0\n", key, sizeof(key), why, sizeof(why)), 0,
		  "a good record");
	CHECK_STR(key, "c1 eth0", "its owner key");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_INT(ipam_record_parse(bad[i].text, key, sizeof(key), why, sizeof(why)),
			  -EINVAL, "record %zu refused", i);
		CHECK_STR(why, bad[i].why, "record %zu's reason", i);
	}
}

static void test_basic(const char *dir)
{
	struct ipam *ipam = NULL, *again = NULL;
	uint32_t a, b, c, d, e;
	bool released;
	int err;

	err = ipam_open(&ipam, dir, "10.244.1.0/24");
	CHECK_INT(err, 0, "open a /24 store");
	if (err)
		return;
	CHECK_INT(ipam_open(&again, dir, "10.244.1.0/31"), -EINVAL, "a /31 has no host addresses");
	CHECK_INT(ipam_prefix(ipam), 24, "prefix reported");

	CHECK_INT(ipam_allocate(ipam, "c1", "eth0", &a), 0, "allocate c1/eth0");
	CHECK_STR(ip(a), "10.244.1.1", "first address skips the network address");
	CHECK_INT(ipam_allocate(ipam, "c1", "eth0", &b), 0, "allocate c1/eth0 again");
	CHECK(a == b, "allocate is idempotent for the same pair (%s)", ip(b));
	CHECK_INT(ipam_allocate(ipam, "c1", "eth1", &c), 0, "allocate c1/eth1");
	CHECK_INT(ipam_allocate(ipam, "c2", "eth0", &d), 0, "allocate c2/eth0");
	CHECK(a != c && a != d && c != d, "distinct pairs get distinct addresses (%s %s %s)", ip(a),
	      ip(c), ip(d));
	CHECK_STR(ipam_owner(ipam, d), "c2 eth0", "owner of %s", ip(d));
	CHECK_INT(ipam_allocate(ipam, "-bad", "eth0", &e), -EINVAL, "invalid containerID refused");
	CHECK_INT(ipam_allocate(ipam, "c3", "a/b", &e), -EINVAL, "invalid ifname refused");
	CHECK(exists(dir, "10.244.1.1"), "one file per address");

	CHECK_INT(ipam_release(ipam, "c1", "eth0", &released), 0, "release c1/eth0");
	CHECK(released, "release says it freed something");
	CHECK(!exists(dir, "10.244.1.1"), "release removes the file");
	CHECK_INT(ipam_release(ipam, "c1", "eth0", &released), 0, "release again is fine");
	CHECK(!released, "second release frees nothing");
	CHECK_INT(ipam_lookup(ipam, "c1", "eth0", &e), -ENOENT, "released pair has no address");
	CHECK_INT(ipam_allocate(ipam, "c4", "eth0", &e), 0, "allocate c4/eth0");
	CHECK(e != a, "round-robin: the released %s is not handed out next (got %s)", ip(a), ip(e));
	CHECK_INT(ipam_count(ipam), 3, "three allocations held");

	/* A crash mid-write leaves a temp file; a stray file must not hurt either. */
	write_file(dir, ".tmp.10.244.1.9.12345", "c9 eth");
	write_file(dir, "10.244.1.77", "garbage without owner\n");
	CHECK_INT(ipam_open(&again, dir, "10.244.1.0/24"), 0,
		  "a second instance opens the same dir despite a partial temp file");
	if (!again)
		goto close;
	CHECK(!exists(dir, ".tmp.10.244.1.9.12345"), "leftover temp file removed on load");
	CHECK(!exists(dir, "10.244.1.77"), "the bad record is no longer among the records");
	CHECK(exists(dir, "quarantine"), "it was moved to quarantine/");
	CHECK_INT(ipam_count(again), 3, "the second instance sees every allocation");
	CHECK_INT(ipam_lookup(again, "c2", "eth0", &e), 0, "c2/eth0 found after restart");
	CHECK(e == d, "c2/eth0 keeps %s after restart", ip(d));
	CHECK_INT(ipam_allocate(again, "c1", "eth1", &e), 0, "allocate c1/eth1 after restart");
	CHECK(e == c, "idempotent across restarts (%s)", ip(e));
	CHECK_INT(ipam_allocate(again, "c5", "eth0", &e), 0, "allocate c5/eth0 after restart");
	CHECK(e != a && e != c && e != d, "new address %s is not one in use", ip(e));
	CHECK(ntohl(e) > ntohl(d), "round-robin position survives a restart (%s)", ip(e));
	/* An endpoint record names an address whose file was bad: held again. */
	CHECK_INT(ipam_reserve(again, "c7", "eth0", htonl(0x0af40100 + 77)), 0,
		  "reserve 10.244.1.77 for c7/eth0 from its endpoint record");
	CHECK(exists(dir, "10.244.1.77"), "its file is written again");
	CHECK_STR(ipam_owner(again, htonl(0x0af40100 + 77)), "c7 eth0", "owner of 10.244.1.77");
	CHECK_INT(ipam_reserve(again, "c7", "eth0", htonl(0x0af40100 + 77)), 0,
		  "reserving it again is a no-op");
	CHECK_INT(ipam_reserve(again, "c8", "eth0", htonl(0x0af40100 + 77)), -EEXIST,
		  "another pair cannot take it");
	CHECK_INT(ipam_reserve(again, "c7", "eth0", htonl(0x0af40100 + 78)), -EEXIST,
		  "nor the pair a second address");
	CHECK_INT(ipam_reserve(again, "c8", "eth0", htonl(0x0af40200 + 5)), -ERANGE,
		  "an address outside the pod CIDR is not IPAM's");
	ipam_close(again);
close:
	ipam_close(ipam);
}

static void test_small(const char *dir)
{
	struct ipam *ipam = NULL;
	uint32_t a, b, c;
	bool released;
	int err;

	err = ipam_open(&ipam, dir, "192.168.7.0/30");
	CHECK_INT(err, 0, "open a /30 store");
	if (err)
		return;
	CHECK_INT(ipam_allocate(ipam, "p1", "eth0", &a), 0, "/30: first");
	CHECK_INT(ipam_allocate(ipam, "p2", "eth0", &b), 0, "/30: second");
	CHECK(!strcmp(ip(a), "192.168.7.1") && !strcmp(ip(b), "192.168.7.2"),
	      "/30 gives .1 and .2, never the network or broadcast (%s %s)", ip(a), ip(b));
	CHECK_INT(ipam_allocate(ipam, "p3", "eth0", &c), -ENOSPC, "/30: third is ENOSPC");
	CHECK_INT(ipam_release(ipam, "p1", "eth0", &released), 0, "/30: release p1");
	CHECK_INT(ipam_allocate(ipam, "p3", "eth0", &c), 0, "/30: a freed address is reusable");
	CHECK(c == a, "/30: p3 gets the freed %s", ip(c));
	ipam_close(ipam);
}

int main(void)
{
	char dir[256];

	log_set_level(LOG_LEVEL_WARN);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_record();
	snprintf(dir, sizeof(dir), "%s/a/ipam", root);
	test_basic(dir);
	snprintf(dir, sizeof(dir), "%s/b/ipam", root);
	test_small(dir);

	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		printf("# could not remove %s\n", root);
	return test_done();
}
