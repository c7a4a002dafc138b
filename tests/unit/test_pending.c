// SPDX-License-Identifier: Apache-2.0
/* The pending-delete records the plugin leaves for weftd (lib/pending.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "pending.h"
#include "testing.h"

static void test_dir(void)
{
	char buf[64];

	CHECK_INT(pending_dir("/run/weft/weftd.sock", buf, sizeof(buf)), 0, "dir of a socket");
	CHECK_STR(buf, "/run/weft/pending-del", "next to the socket");
	CHECK_INT(pending_dir("/weftd.sock", buf, sizeof(buf)), 0, "socket in /");
	CHECK_STR(buf, "/pending-del", "in /");
	CHECK_INT(pending_dir("weftd.sock", buf, sizeof(buf)), 0, "relative socket");
	CHECK_STR(buf, "pending-del", "relative");
	CHECK_INT(pending_dir("/a/very/long/directory/name/that/does/not/fit/weftd.sock", buf, 16),
		  -ENAMETOOLONG, "too long for the buffer");
}

static void test_roundtrip(const char *root)
{
	struct pending_del in = {.host_ifindex = 42}, out;
	char sock[300], path[400], *text = NULL;
	int fd;

	snprintf(sock, sizeof(sock), "%s/weftd.sock", root);
	snprintf(in.cid, sizeof(in.cid), "cid-1");
	snprintf(in.ifname, sizeof(in.ifname), "eth0");
	snprintf(in.host_ifname, sizeof(in.host_ifname), "wft0123456789a");
	CHECK_INT(pending_write(sock, &in), 0, "write a record (creates the directory)");
	snprintf(path, sizeof(path), "%s/pending-del/wft0123456789a.json", root);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "record named after the host veth");
	if (fd < 0)
		return;
	CHECK_INT(read_fd_all(fd, 4096, &text, NULL), 0, "read it back");
	close(fd);
	CHECK_INT(pending_parse(text, &out, NULL, 0), 0, "parse it");
	CHECK_STR(out.cid, "cid-1", "containerID");
	CHECK_STR(out.ifname, "eth0", "ifname");
	CHECK_STR(out.host_ifname, "wft0123456789a", "hostIfname");
	CHECK_INT(out.host_ifindex, 42, "hostIfindex");
	free(text);
	CHECK_INT(pending_write(sock, &in), 0, "writing the same record again is fine");
}

/* Each refusal says why, in the words the log line carries. */
static void refused(const char *text, const char *want, const char *what)
{
	char why[200] = "";
	struct pending_del p;

	CHECK_INT(pending_parse(text, &p, why, sizeof(why)), -EINVAL, "%s", what);
	CHECK(!strncmp(why, want, strlen(want)), "%s: reason \"%s\" starts with \"%s\"", what, why,
	      want);
}

static void test_malformed(void)
{
	refused("", "empty", "empty");
	refused(" \n", "empty", "only blanks");
	refused("[1]", "not a JSON object", "not an object");
	refused("{\"containerID\": \"a\", \"ifn", "truncated: line 1:", "cut short");
	refused("{\"containerID\": \"a\",, }", "not JSON: line 1:", "garbage");
	refused("nonsense", "not JSON: line 1:", "a bare word, ending at the last byte");
	refused("{\"containerID\": \"a\", \"ifname\": \"eth0\"}", "field 'hostIfname' missing",
		"fields missing");
	refused("{\"containerID\": \"a\", \"ifname\": \"eth0\", \"hostIfname\": \"h\", "
		"\"hostIfindex\": \"1\"}",
		"field 'hostIfindex' is not an integer", "wrong type");
	refused("{\"containerID\": \"a\", \"ifname\": \"eth0-far-too-long-name\", "
		"\"hostIfname\": \"h\", \"hostIfindex\": 1}",
		"field 'ifname' is empty or too long", "ifname too long");
	refused("{\"containerID\": \"a\", \"ifname\": \"eth0\", "
		"\"hostIfname\": \"h\", \"hostIfindex\": -1}",
		"field 'hostIfindex' is out of range", "negative ifindex");
}

/* A symlink in place of the directory or the record is not followed. */
static void test_symlinks(const char *root)
{
	struct pending_del in = {.host_ifindex = 7};
	char sock[300], dir[300], target[300], link[400];
	struct stat st;

	snprintf(in.cid, sizeof(in.cid), "cid-2");
	snprintf(in.ifname, sizeof(in.ifname), "eth0");
	snprintf(in.host_ifname, sizeof(in.host_ifname), "wftlinked");
	snprintf(sock, sizeof(sock), "%s/l/weftd.sock", root);
	snprintf(dir, sizeof(dir), "%s/l", root);
	snprintf(target, sizeof(target), "%s/elsewhere", root);
	CHECK(!mkdir(dir, 0700) && !mkdir(target, 0700), "make the directories");
	snprintf(link, sizeof(link), "%s/l/pending-del", root);
	CHECK(!symlink(target, link), "plant a symlink as pending-del");
	CHECK_INT(pending_write(sock, &in), -ELOOP, "a symlinked pending-del is refused");
	snprintf(link, sizeof(link), "%s/wftlinked.json", target);
	CHECK(stat(link, &st) < 0 && errno == ENOENT, "nothing written through it");
}

int main(void)
{
	char root[] = "/tmp/weft-test-pending.XXXXXX", cmd[64];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_dir();
	test_symlinks(root);
	test_roundtrip(root);
	test_malformed();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
	return test_done();
}
