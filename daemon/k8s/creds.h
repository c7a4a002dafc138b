/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the API server is and how weftd proves who it is: a kubeconfig
 * (--kubeconfig), or the pod's service account when weftd runs in the cluster
 * (KUBERNETES_SERVICE_HOST/PORT, and the token and CA kubelet mounts under
 * K8S_SA_DIR).
 *
 * Projected service-account tokens expire and kubelet rewrites the file well
 * before they do, so a token file is never read once: it is read again when
 * it changes (another inode, size or time: kubelet swaps a symlink), at least
 * every minute, and at once after the server said 401.
 */
#ifndef WEFTD_K8S_CREDS_H
#define WEFTD_K8S_CREDS_H

#include <stdbool.h>
#include <sys/stat.h>

#include "daemon/k8s/kubeconfig.h"

#define K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct k8s_creds {
	struct k8s_kubeconfig kc; /* server, CA, token or token file, client cert */
	char origin[512];	  /* for logs and status: which file, which context */
	/* The token file as last read. */
	char *file_token;
	struct stat seen;
	long long read_ms;
	/* The server said 401: the next token is read from the file afresh. */
	bool token_stale;
};

/* True when the environment says weftd runs in a pod. */
bool k8s_creds_in_cluster(void);
/* 0, or -errno with @err saying what is missing. */
int k8s_creds_from_cluster(struct k8s_creds *c, char *err, size_t errlen);
int k8s_creds_from_kubeconfig(const char *path, struct k8s_creds *c, char *err, size_t errlen);
/* The bearer token for the next request, or NULL for none (client certificate
 * only, or an unreadable token file). After a 401 (token_stale) the file is
 * read now. The pointer is good until the next call. */
const char *k8s_creds_token(struct k8s_creds *c);
void k8s_creds_free(struct k8s_creds *c);

#endif
