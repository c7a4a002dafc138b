// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "daemon/k8s/creds.h"
#include "fdio.h"
#include "log.h"

/* client-go's period for re-reading a token file it was given. */
#define TOKEN_REREAD_MS 60000
/* A JWT is a few kilobytes. */
#define TOKEN_MAX 65536

bool k8s_creds_in_cluster(void)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");

	return host && *host;
}

int k8s_creds_from_cluster(struct k8s_creds *c, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"),
		   *port = getenv("KUBERNETES_SERVICE_PORT");
	int ret;

	memset(c, 0, sizeof(*c));
	if (!host || !*host || !port || !*port) {
		snprintf(err, errlen,
			 "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both "
			 "be set");
		return -EINVAL;
	}
	/* An IPv6 service address needs brackets in a URL. */
	ret = asprintf(&c->kc.server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		       port);
	if (ret < 0) {
		c->kc.server = NULL;
		return -ENOMEM;
	}
	c->kc.ca.file = strdup(K8S_SA_DIR "/ca.crt");
	c->kc.token_file = strdup(K8S_SA_DIR "/token");
	if (!c->kc.ca.file || !c->kc.token_file) {
		k8s_creds_free(c);
		return -ENOMEM;
	}
	if (access(c->kc.token_file, R_OK) || access(c->kc.ca.file, R_OK)) {
		ret = -errno;
		snprintf(err, errlen, "the service account's %s/{token,ca.crt}: %s", K8S_SA_DIR,
			 strerror(-ret));
		k8s_creds_free(c);
		return ret;
	}
	snprintf(c->origin, sizeof(c->origin), "in-cluster service account (%s)", K8S_SA_DIR);
	return 0;
}

int k8s_creds_from_kubeconfig(const char *path, struct k8s_creds *c, char *err, size_t errlen)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = k8s_kubeconfig_load(path, &c->kc, err, errlen);
	if (ret)
		return ret;
	snprintf(c->origin, sizeof(c->origin), "kubeconfig %s (context %s)", path, c->kc.context);
	return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Read the token file into c->file_token. 0 or -errno (logged). */
static int read_token(struct k8s_creds *c, const struct stat *st)
{
	char *text;
	size_t len;
	int fd, ret;

	fd = open(c->kc.token_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_warn("Kubernetes API: token file %s: %s", c->kc.token_file, strerror(-ret));
		return ret;
	}
	ret = read_fd_all(fd, TOKEN_MAX, &text, &len);
	close(fd);
	if (ret) {
		pr_warn("Kubernetes API: token file %s: %s", c->kc.token_file, strerror(-ret));
		return ret;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (c->file_token) {
		if (strcmp(c->file_token, text))
			pr_info("Kubernetes API: token file %s changed; using the new token",
				c->kc.token_file);
		explicit_bzero(c->file_token, strlen(c->file_token));
		free(c->file_token);
	}
	c->file_token = text;
	c->seen = *st;
	return 0;
}

const char *k8s_creds_token(struct k8s_creds *c)
{
	long long now = now_ms();
	bool force = c->token_stale;
	struct stat st;

	c->token_stale = false;
	if (c->kc.token)
		return c->kc.token;
	if (!c->kc.token_file)
		return NULL;
	/* stat() follows kubelet's ..data symlink: a swap is a new inode. */
	if (stat(c->kc.token_file, &st) < 0) {
		if (!c->file_token || force)
			pr_warn("Kubernetes API: token file %s: %s", c->kc.token_file,
				strerror(errno));
		return c->file_token;
	}
	if (force || !c->file_token || !same_file(&st, &c->seen) ||
	    now - c->read_ms >= TOKEN_REREAD_MS) {
		if (!read_token(c, &st))
			c->read_ms = now;
	}
	return c->file_token;
}

void k8s_creds_free(struct k8s_creds *c)
{
	if (c->file_token) {
		explicit_bzero(c->file_token, strlen(c->file_token));
		free(c->file_token);
	}
	k8s_kubeconfig_free(&c->kc);
	memset(c, 0, sizeof(*c));
}
