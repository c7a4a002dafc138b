/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A kubeconfig file (weftd --kubeconfig), read with libyaml: the current
 * context's cluster (server, certificate authority as a file or inline data)
 * and user (a token or token file, a client certificate and key as files or
 * inline data). Relative paths are relative to the file's directory, as
 * kubectl reads them.
 *
 * Refused with the reason, never half-used: insecure-skip-tls-verify (weftd
 * always verifies the server), exec and auth-provider plugins, basic auth, a
 * missing context, cluster or user, a server that is not https://.
 */
#ifndef WEFTD_K8S_KUBECONFIG_H
#define WEFTD_K8S_KUBECONFIG_H

#include <stddef.h>

/* Inline data (decoded from base64) or a file path: at most one is set. */
struct k8s_pem {
	char *file;
	char *data;
	size_t len;
};

struct k8s_kubeconfig {
	char *context; /* the names, for messages */
	char *cluster;
	char *user;
	char *server; /* https://host[:port][/prefix], without a trailing slash */
	struct k8s_pem ca;
	char *token;	  /* a literal token, or NULL */
	char *token_file; /* re-read when it changes, or NULL */
	struct k8s_pem cert, key;
};

/* Parse kubeconfig text; @dir anchors relative paths. 0, -EINVAL with @err
 * saying what and where, or -ENOMEM. *@kc is filled only on success. */
int k8s_kubeconfig_parse(const char *text, size_t len, const char *dir, struct k8s_kubeconfig *kc,
			 char *err, size_t errlen);
/* The same from a file. -errno when it cannot be read. */
int k8s_kubeconfig_load(const char *path, struct k8s_kubeconfig *kc, char *err, size_t errlen);
void k8s_kubeconfig_free(struct k8s_kubeconfig *kc);

/* Decode standard base64 (padding optional, whitespace skipped) into a fresh
 * NUL-terminated buffer. 0, -EINVAL, -ENOMEM. */
int k8s_base64_decode(const char *in, char **out, size_t *len);

#endif
