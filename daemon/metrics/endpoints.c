// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api/handlers.h"
#include "daemon/metrics/endpoints.h"
#include "daemon/metrics/http.h"
#include "daemon/metrics/prometheus.h"
#include "log.h"

#define PROMETHEUS_TEXT "text/plain; version=0.0.4; charset=utf-8"

static int text_reply(struct http_reply *r, int status, const char *text)
{
	r->status = status;
	r->body = strdup(text);
	r->len = r->body ? strlen(r->body) : 0;
	return r->body ? 0 : -ENOMEM;
}

static int serve_metrics(struct weftd *d, struct http_reply *r)
{
	FILE *out = open_memstream(&r->body, &r->len);
	int err;

	if (!out)
		return -errno;
	err = prometheus_write(d, out);
	if (fclose(out) && !err)
		err = -ENOMEM;
	if (err) {
		pr_warn("metrics: %s", strerror(-err));
		return err;
	}
	r->status = 200;
	r->content_type = PROMETHEUS_TEXT;
	return 0;
}

/* Ready as `weftctl ready` is, and with the programs it was asked to run. */
static int serve_readyz(struct weftd *d, struct http_reply *r)
{
	json_t *st = handlers_status(d, true);
	const char *wait, *dp_err;
	char buf[1536];
	int err;

	if (!st)
		return -ENOMEM;
	wait = json_string_value(json_object_get(st, "waitingFor"));
	dp_err = json_string_value(json_object_get(json_object_get(st, "datapath"), "error"));
	if (wait)
		snprintf(buf, sizeof(buf), "not ready: waiting for %s\n", wait);
	else if (dp_err)
		snprintf(buf, sizeof(buf), "not ready: the datapath upgrade at start failed: %s\n",
			 dp_err);
	else
		snprintf(buf, sizeof(buf), "ready\n");
	err = text_reply(r, wait || dp_err ? 503 : 200, buf);
	json_decref(st);
	return err;
}

static int serve(void *ctx, const char *path, struct http_reply *r)
{
	struct weftd *d = ctx;

	if (!strcmp(path, "/metrics"))
		return serve_metrics(d, r);
	if (!strcmp(path, "/healthz"))
		return text_reply(r, 200, "ok\n");
	if (!strcmp(path, "/readyz"))
		return serve_readyz(d, r);
	return text_reply(r, 404, "not found: /metrics, /healthz or /readyz\n");
}

int metrics_open(struct weftd *d)
{
	int err = http_open(&d->metrics, d->cfg.metrics_addr, serve, d);

	if (!err)
		pr_info("metrics: serving http://%s/metrics, /healthz, /readyz",
			d->cfg.metrics_addr);
	return err;
}

void metrics_run(void *weftd)
{
	struct weftd *d = weftd;

	http_run(d->metrics);
}

void metrics_tick(struct weftd *d)
{
	if (d->metrics)
		http_expire(d->metrics);
}

void metrics_close(struct weftd *d)
{
	http_close(d->metrics);
	d->metrics = NULL;
}
