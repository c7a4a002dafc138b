/* SPDX-License-Identifier: Apache-2.0 */
/* Request dispatch and argument validation, independent of the socket so the
 * unit tests can drive it directly. */
#ifndef WEFTD_HANDLERS_H
#define WEFTD_HANDLERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/weftd.h"

/* One raw request (without its newline) -> one reply, never NULL unless out of
 * memory. */
json_t *handlers_dispatch(struct weftd *d, const char *buf, size_t len);

/* The status op's reply: "brief" leaves out the map walks (docs/api.md). */
json_t *handlers_status(struct weftd *d, bool brief);

#endif
