// SPDX-License-Identifier: Apache-2.0
/* weftd's state files gone bad: what each parser says about them, what
 * state_read() refuses, and how state_quarantine() moves them aside. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/datapath/upgrade.h"
#include "daemon/endpoint/endpoint.h"
#include "daemon/endpoint/state.h"
#include "json_why.h"
#include "log.h"
#include "testing.h"

#define EP_GOOD                                                                                    \
	"{\"id\": 3, \"containerID\": \"c1\", \"ifname\": \"eth0\", \"netns\": \"/run/netns/x\", " \
	"\"hostIfname\": \"wft1\", \"hostIfindex\": 5, \"hostMAC\": \"02:00:00:00:00:01\", "       \
	"\"podMAC\": \"02:00:00:00:00:02\", \"ips\": [\"10.244.1.3\"]"

static void test_json_why(void)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{"", "empty"},
		{" \n\t", "empty"},
		{"{\"id\":", "truncated: line 1: unexpected token near end of file"},
		{"{\"id\": \"x", "truncated: line 1: premature end of input near '\"x'"},
		{"[1,", "truncated: line 1: ']' expected near end of file"},
		{"nonsense", "not JSON: line 1: '[' or '{' expected near 'nonsense'"},
		{"{\"a\": 1}\n{", "not JSON: line 2: end of file expected near '{'"},
		{"[1]", "not a JSON object"},
	};
	char why[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		CHECK(!json_why_load(cases[i].text, strlen(cases[i].text), why, sizeof(why)),
		      "json_why_load refuses case %zu", i);
		CHECK_STR(why, cases[i].why, "case %zu's reason", i);
	}
}

static void ep_refused(const char *text, const char *want)
{
	char why[STATE_WHY_MAX] = "";
	struct endpoint *ep = NULL;

	CHECK_INT(endpoint_state_parse(text, &ep, why, sizeof(why)), -EINVAL, "refused: %s", want);
	CHECK_STR(why, want, "endpoint record's reason");
	CHECK(!ep, "nothing returned");
}

static void test_endpoint(void)
{
	struct endpoint *ep = NULL;

	CHECK_INT(endpoint_state_parse(EP_GOOD "}", &ep, NULL, 0), 0, "a good endpoint record");
	CHECK(ep && ep->id == 3 && ep->nr_ips == 1, "its id and address");
	endpoint_free(ep);
	ep_refused(EP_GOOD, "truncated: line 1: '}' expected near end of file");
	ep_refused("{\"id\": 3}", "field 'containerID' missing");
	ep_refused(EP_GOOD ", \"id\": \"3\"}", "field 'id' is not an integer");
	ep_refused(EP_GOOD ", \"id\": 0}", "field 'id' is out of range 1-65535");
	ep_refused(EP_GOOD ", \"ips\": \"10.244.1.3\"}", "field 'ips' is not an array");
	ep_refused(EP_GOOD ", \"ips\": [\"10.244.1.300\"]}",
		   "field 'ips': item 0 is not an IP address");
	ep_refused(EP_GOOD ", \"hostMAC\": \"02:00\"}", "field 'hostMAC' is not a MAC address");
	ep_refused(EP_GOOD ", \"ifname\": \"a/b\"}",
		   "field 'ifname' is not a valid interface name");
	ep_refused(EP_GOOD ", \"objectHash\": 7}", "field 'objectHash' is not a string");
}

static void test_datapath(void)
{
	char hash[17] = "old", why[STATE_WHY_MAX] = "";
	struct maps_layout layout = {0};

	CHECK_INT(upgrade_record_parse("{\"version\": 1, \"objectHash\": \"abc\", \"layouts\": {}}",
				       hash, sizeof(hash), &layout, NULL, 0),
		  0, "a good datapath.json");
	CHECK_STR(hash, "abc", "its object hash");
	CHECK_INT(upgrade_record_parse("{\"version\": 1}", hash, sizeof(hash), &layout, why,
				       sizeof(why)),
		  -EINVAL, "objectHash missing");
	CHECK_STR(why, "field 'objectHash' missing", "its reason");
	CHECK_INT(upgrade_record_parse("{\"objectHash\": \"x\", \"layouts\": [1]}", hash,
				       sizeof(hash), &layout, why, sizeof(why)),
		  -EINVAL, "layouts an array");
	CHECK_STR(why, "field 'layouts' is not an object", "its reason");
	CHECK_STR(hash, "abc", "a refused record writes no hash");
}

static void test_read_and_quarantine(const char *root)
{
	char path[300], *text = NULL, why[STATE_WHY_MAX];
	unsigned int before = state_quarantined();
	int dfd, fd, n = 0;
	struct dirent *de;
	DIR *dir;
	struct stat st;

	dfd = state_open_dir(root);
	CHECK(dfd >= 0, "open the temp dir");
	if (dfd < 0)
		return;
	fd = openat(dfd, "bad.json", O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "{", 1) == 1, "write bad.json");
	close(fd);
	CHECK(!symlinkat("bad.json", dfd, "link.json"), "a symlink");
	CHECK(!mkfifoat(dfd, "fifo.json", 0600), "a FIFO");
	CHECK(!mkdirat(dfd, "dir.json", 0700), "a directory");
	CHECK_INT(state_read(dfd, "link.json", &text, NULL), -ELOOP, "a symlink is not followed");
	CHECK(state_read_bad(-ELOOP, why, sizeof(why)), "and is a bad file");
	CHECK_STR(why, "a symbolic link (not followed)", "its reason");
	CHECK_INT(state_read(dfd, "fifo.json", &text, NULL), -EBADFD, "a FIFO: no hang, refused");
	CHECK_INT(state_read(dfd, "dir.json", &text, NULL), -EBADFD, "a directory refused");
	CHECK(state_read_bad(-EBADFD, why, sizeof(why)), "a bad file");
	CHECK_STR(why, "not a regular file", "its reason");
	CHECK(!state_read_bad(-EIO, why, sizeof(why)), "EIO is the system's, not the file's");
	CHECK_INT(state_read(dfd, "bad.json", &text, NULL), 0, "a regular file is read");
	free(text);

	/* The same name twice in the same second: two copies, none replaced. */
	CHECK_INT(state_quarantine(dfd, root, "bad.json", "test"), 0, "move bad.json aside");
	fd = openat(dfd, "bad.json", O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "[", 1) == 1, "bad.json again");
	close(fd);
	CHECK_INT(state_quarantine(dfd, root, "bad.json", "test"), 0, "move it aside again");
	CHECK_INT(state_quarantine(dfd, root, "link.json", "test"), 0, "the link itself moves");
	CHECK(fstatat(dfd, "bad.json", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT,
	      "bad.json is gone from its place");
	snprintf(path, sizeof(path), "%s/quarantine", root);
	dir = opendir(path);
	CHECK(dir != NULL, "quarantine/ made");
	while (dir && (de = readdir(dir)))
		n += !strncmp(de->d_name, "bad.json.", strlen("bad.json."));
	if (dir)
		closedir(dir);
	CHECK_INT(n, 2, "two quarantined copies of bad.json");
	CHECK_INT(state_quarantined() - before, 3, "three files counted");
	CHECK_INT(state_quarantine(dfd, root, "missing.json", "test"), -ENOENT,
		  "a file that is not there: -ENOENT");
	close(dfd);
}

int main(void)
{
	char root[] = "/tmp/weft-test-state.XXXXXX", cmd[64];

	log_set_level(LOG_LEVEL_WARN);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_json_why();
	test_endpoint();
	test_datapath();
	test_read_and_quarantine(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
	return test_done();
}
