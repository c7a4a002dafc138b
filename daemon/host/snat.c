// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "daemon/host/snat.h"

extern char **environ;

static void put_prefix(FILE *fp, const struct weft_prefix *p)
{
	char buf[WEFT_PREFIX_STRLEN];

	fputs(weft_prefix_format(p, buf, sizeof(buf)), fp);
}

/* The ruleset as one nft transaction; NULL when out of memory. */
static char *ruleset(const struct weft_prefix *local, const struct weft_prefix *cidrs, size_t n,
		     size_t *len)
{
	char *buf = NULL;
	bool first = true;
	FILE *fp;

	fp = open_memstream(&buf, len);
	if (!fp)
		return NULL;
	/* "table" before "delete" so the delete never fails on a first run. */
	fprintf(fp, "table ip " SNAT_TABLE " {}\ndelete table ip " SNAT_TABLE "\n");
	fprintf(fp, "table ip " SNAT_TABLE " {\n"
		    "\tset cluster_pod_cidrs {\n\t\ttype ipv4_addr\n"
		    "\t\tflags interval\n\t\tauto-merge\n");
	for (size_t i = 0; i < n; i++) {
		/* Sorted: a range listed twice (this node's) is next to itself. */
		if (cidrs[i].addr.family != AF_INET ||
		    (i && weft_prefix_equal(&cidrs[i], &cidrs[i - 1])))
			continue;
		fprintf(fp, first ? "\t\telements = { " : ", ");
		put_prefix(fp, &cidrs[i]);
		first = false;
	}
	if (!first)
		fprintf(fp, " }\n");
	fprintf(fp, "\t}\n\tchain postrouting {\n"
		    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		    "\t\tip saddr ");
	put_prefix(fp, local);
	fprintf(fp, " ip daddr != @cluster_pod_cidrs masquerade\n\t}\n}\n");
	if (fclose(fp)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int snat_apply(const struct weft_prefix *local, const struct weft_prefix *cidrs, size_t n)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {"nft", "-f", "-", NULL};
	int pipefd[2], status, err;
	size_t len, off = 0;
	char *rules;
	pid_t pid;

	rules = ruleset(local, cidrs, n, &len);
	if (!rules)
		return -ENOMEM;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err = -errno;
		goto free_rules;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
	err = -posix_spawnp(&pid, "nft", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[0]);
	if (err) {
		close(pipefd[1]);
		pr_warn("snat: cannot run nft: %s", strerror(-err));
		goto free_rules;
	}
	while (off < len) {
		ssize_t w = write(pipefd[1], rules + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break; /* nft died early; its status says why */
		off += (size_t)w;
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			goto free_rules;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		/* 127: posix_spawnp's child could not exec nft. */
		err = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
		pr_warn("snat: nft -f - failed (%s) on:\n%s",
			err == -ENOENT ? "nft not found" : "exit status", rules);
	}
free_rules:
	free(rules);
	return err;
}
