// SPDX-License-Identifier: Apache-2.0
/* The pending-delete records the plugin leaves for weftd (lib/pending.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
	CHECK_INT(pending_parse(text, &out), 0, "parse it");
	CHECK_STR(out.cid, "cid-1", "containerID");
	CHECK_STR(out.ifname, "eth0", "ifname");
	CHECK_STR(out.host_ifname, "wft0123456789a", "hostIfname");
	CHECK_INT(out.host_ifindex, 42, "hostIfindex");
	free(text);
	CHECK_INT(pending_write(sock, &in), 0, "writing the same record again is fine");
}

static void test_malformed(void)
{
	struct pending_del p;

	CHECK_INT(pending_parse("", &p), -EINVAL, "empty");
	CHECK_INT(pending_parse("[1]", &p), -EINVAL, "not an object");
	CHECK_INT(pending_parse("{\"containerID\": \"a\", \"ifname\": \"eth0\"}", &p), -EINVAL,
		  "fields missing");
	CHECK_INT(pending_parse("{\"containerID\": \"a\", \"ifname\": \"eth0-far-too-long-name\", "
				"\"hostIfname\": \"h\", \"hostIfindex\": 1}",
				&p),
		  -EINVAL, "ifname too long");
	CHECK_INT(pending_parse("{\"containerID\": \"a\", \"ifname\": \"eth0\", "
				"\"hostIfname\": \"h\", \"hostIfindex\": -1}",
				&p),
		  -EINVAL, "negative ifindex");
}

int main(void)
{
	char root[] = "/tmp/weft-test-pending.XXXXXX", cmd[64];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_dir();
	test_roundtrip(root);
	test_malformed();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
	return test_done();
}
