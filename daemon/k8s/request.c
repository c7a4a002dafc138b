// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/k8s/request.h"
#include "log.h"

#define CONNECT_TIMEOUT_MS 10000L
/* A list page that trickles slower than this for this long is given up. */
#define LOW_SPEED_BYTES	  1L
#define LOW_SPEED_SECONDS 60L
/* Keepalive probes on a quiet watch: a dead server is noticed in ~1 minute. */
#define KEEPIDLE_S  30L
#define KEEPINTVL_S 10L

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	struct k8s_buf *body = ctx;

	return k8s_buf_append(body, data, size * n) ? 0 : size * n;
}

static void set_blob(CURL *e, CURLoption opt, const struct k8s_pem *pem)
{
	struct curl_blob blob = {.data = pem->data, .len = pem->len, .flags = CURL_BLOB_COPY};

	curl_easy_setopt(e, opt, &blob);
}

/* TLS and who we are. */
static int set_auth(struct k8s_request *req, struct k8s_creds *creds)
{
	const struct k8s_kubeconfig *kc = &creds->kc;
	const char *token;
	char *header;

	curl_easy_setopt(req->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(req->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (kc->ca.data)
		set_blob(req->easy, CURLOPT_CAINFO_BLOB, &kc->ca);
	else if (kc->ca.file)
		curl_easy_setopt(req->easy, CURLOPT_CAINFO, kc->ca.file);
	if (kc->cert.data) {
		set_blob(req->easy, CURLOPT_SSLCERT_BLOB, &kc->cert);
		set_blob(req->easy, CURLOPT_SSLKEY_BLOB, &kc->key);
	} else if (kc->cert.file) {
		curl_easy_setopt(req->easy, CURLOPT_SSLCERT, kc->cert.file);
		curl_easy_setopt(req->easy, CURLOPT_SSLKEY, kc->key.file);
	}
	req->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (!req->hdrs)
		return -ENOMEM;
	token = k8s_creds_token(creds);
	if (token) {
		struct curl_slist *h;

		if (asprintf(&header, "Authorization: Bearer %s", token) < 0)
			return -ENOMEM;
		h = curl_slist_append(req->hdrs, header);
		explicit_bzero(header, strlen(header));
		free(header);
		if (!h)
			return -ENOMEM;
		req->hdrs = h;
	}
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, req->hdrs);
	return 0;
}

static int build_url(CURL *e, const struct k8s_creds *creds, const char *path, const char *query,
		     const char *key, const char *value, char **url)
{
	char *escaped = NULL;
	int n;

	if (key && value) {
		escaped = curl_easy_escape(e, value, 0);
		if (!escaped)
			return -ENOMEM;
	}
	n = asprintf(url, "%s%s?%s%s%s%s%s", creds->kc.server, path, query, escaped ? "&" : "",
		     escaped ? key : "", escaped ? "=" : "", escaped ? escaped : "");
	curl_free(escaped);
	if (n < 0) {
		*url = NULL;
		return -ENOMEM;
	}
	return 0;
}

int k8s_request_start(struct k8s_request *req, struct k8s_creds *creds, CURLM *multi,
		      const char *path, const char *query, const char *key, const char *value,
		      curl_write_callback on_data, void *priv)
{
	char *url = NULL;
	int err;

	k8s_request_end(req, multi);
	k8s_buf_reset(&req->body);
	req->errbuf[0] = '\0';
	req->easy = curl_easy_init();
	if (!req->easy)
		return -ENOMEM;
	err = build_url(req->easy, creds, path, query, key, value, &url);
	if (!err)
		err = set_auth(req, creds);
	if (err)
		goto end_request;
	curl_easy_setopt(req->easy, CURLOPT_URL, url);
	curl_easy_setopt(req->easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(req->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(req->easy, CURLOPT_PRIVATE, priv);
	curl_easy_setopt(req->easy, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(req->easy, CURLOPT_USERAGENT, "weftd/" WEFT_VERSION);
	curl_easy_setopt(req->easy, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(req->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(req->easy, CURLOPT_TCP_KEEPIDLE, KEEPIDLE_S);
	curl_easy_setopt(req->easy, CURLOPT_TCP_KEEPINTVL, KEEPINTVL_S);
	/* Wait for the HTTP/2 connection in the making rather than open more. */
	curl_easy_setopt(req->easy, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(req->easy, CURLOPT_ACCEPT_ENCODING, "");
	if (on_data) {
		curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, priv);
	} else {
		curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, &req->body);
		curl_easy_setopt(req->easy, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
		curl_easy_setopt(req->easy, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECONDS);
	}
	if (curl_multi_add_handle(multi, req->easy) != CURLM_OK) {
		err = -ENOMEM;
		goto end_request;
	}
	free(url);
	return 0;

end_request:
	free(url);
	curl_slist_free_all(req->hdrs);
	req->hdrs = NULL;
	curl_easy_cleanup(req->easy);
	req->easy = NULL;
	return err;
}

void k8s_request_end(struct k8s_request *req, CURLM *multi)
{
	if (req->easy) {
		curl_multi_remove_handle(multi, req->easy);
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
	}
	curl_slist_free_all(req->hdrs);
	req->hdrs = NULL;
}

const char *k8s_request_error(struct k8s_request *req, CURLcode res)
{
	snprintf(req->msg, sizeof(req->msg), "%s%s%s", curl_easy_strerror(res),
		 req->errbuf[0] ? ": " : "", req->errbuf);
	return req->msg;
}

const char *k8s_request_status(struct k8s_request *req, long code)
{
	const char *message = NULL;
	json_t *status = NULL;

	/* The API server explains an error in a metav1.Status. */
	if (req->body.len)
		status = json_loadb(req->body.p, req->body.len, 0, NULL);
	message = json_string_value(json_object_get(status, "message"));
	snprintf(req->msg, sizeof(req->msg), "HTTP %ld%s%s", code, message ? ": " : "",
		 message ? message : "");
	json_decref(status);
	return req->msg;
}
