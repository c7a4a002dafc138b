/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The weftd unix-socket API: one JSON request per connection, one JSON reply.
 *
 *   request: {"op": "<operation>", ...arguments}            then newline or EOF
 *   reply:   {"ok": true, ...results}                         then newline, close
 *            {"ok": false, "error": {"errno": N, "msg": "...", "details": "..."}}
 *
 * docs/api.md lists the operations. Requests larger than WEFT_API_MAX_MSG are
 * refused, and a client that sends nothing for WEFT_API_TIMEOUT_MS is dropped.
 */
#ifndef WEFT_API_H
#define WEFT_API_H

#include <jansson.h>

#define WEFT_API_MAX_MSG (256 * 1024)
/* Replies may be larger: `weftctl policy` of an endpoint with 262,144
 * entries is tens of MiB of JSON. Only clients read them. */
#define WEFT_API_MAX_REPLY  (64 * 1024 * 1024)
#define WEFT_API_TIMEOUT_MS 5000
#define WEFT_DEFAULT_SOCKET "/run/weft/weftd.sock"
/* An ENOSPC reply with this msg: weftd's state dir (its disk) is full, not
 * the pod CIDR, and the plugin says so rather than "pool exhausted". */
#define WEFT_API_MSG_STATE_FULL "weftd's state dir is full"

struct weft_api_error {
	int err;	   /* positive errno reported by weftd, or the local failure */
	char msg[256];	   /* what failed */
	char details[512]; /* which field or step */
};

/*
 * Send @req (borrowed) to the daemon at @socket_path and wait for the reply.
 * Returns 0 and *reply (owned by the caller) when weftd answered ok.
 * Returns -ECONNREFUSED/-ENOENT/-ETIMEDOUT/-EPIPE when weftd is not reachable
 * (the caller maps that to "try again later"), or -EREMOTEIO when weftd
 * answered with an error; @err is filled in both cases.
 */
int api_call(const char *socket_path, json_t *req, int timeout_ms, json_t **reply,
	     struct weft_api_error *err);

/*
 * One reply's text (what came before and up to its newline, NUL-terminated),
 * as api_call() reads it: 0 and *@reply (owned by the caller) when ok;
 * -EBADMSG when it is no JSON object, -EREMOTEIO when weftd answered with an
 * error; @err (may be NULL) filled in both cases.
 */
int api_reply_parse(const char *text, json_t **reply, struct weft_api_error *err);

/* Fill @e: @err (positive errno), @details (field or step, may be NULL) and
 * the message from @fmt. */
void api_err_set(struct weft_api_error *e, int err, const char *details, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Convenience: build {"ok": false, "error": {...}}. Returns a new reference. */
json_t *api_error_reply(int err, const char *msg, const char *details);

/* True when @e means weftd could not be reached at all. */
int api_unreachable(int e);

#endif
