/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One GET to the API server on a libcurl multi handle, set up the one way
 * weftd talks to it: TLS verified against the configured CA (never turned
 * off), the bearer token read fresh for each request or the client
 * certificate, JSON accepted, TCP keepalive so a vanished server is noticed
 * on a quiet watch.
 */
#ifndef WEFTD_K8S_REQUEST_H
#define WEFTD_K8S_REQUEST_H

#include <curl/curl.h>

#include "daemon/k8s/creds.h"
#include "daemon/k8s/lines.h"

struct k8s_request {
	CURL *easy; /* NULL when none is in flight */
	struct curl_slist *hdrs;
	struct k8s_buf body; /* the response, when no data callback takes it */
	char errbuf[CURL_ERROR_SIZE];
	char msg[384];
};

/*
 * GET <server><path>?<query>[&<key>=<value, escaped>] on @multi. @on_data
 * (called with @priv) takes the body as it streams; NULL collects it into
 * req->body. CURLINFO_PRIVATE is @priv. 0 or -errno.
 */
int k8s_request_start(struct k8s_request *req, struct k8s_creds *creds, CURLM *multi,
		      const char *path, const char *query, const char *key, const char *value,
		      curl_write_callback on_data, void *priv);
/* Take the request off @multi and free it; req->body stays. */
void k8s_request_end(struct k8s_request *req, CURLM *multi);
/* "Couldn't connect to server: Failed to connect to ... Connection refused". */
const char *k8s_request_error(struct k8s_request *req, CURLcode res);
/* "HTTP 403 Forbidden: <the Status message the server sent>". */
const char *k8s_request_status(struct k8s_request *req, long code);

#endif
