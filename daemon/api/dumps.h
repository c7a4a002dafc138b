/* SPDX-License-Identifier: Apache-2.0 */
/* The map and state dumps behind `weftctl ct`, `ipcache` and `identities`:
 * what the kernel's maps hold now, with addresses and identities named. */
#ifndef WEFTD_API_DUMPS_H
#define WEFTD_API_DUMPS_H

#include <jansson.h>

#include "daemon/weftd.h"

json_t *dumps_conntrack(struct weftd *d, json_t *req);
json_t *dumps_ipcache(struct weftd *d, json_t *req);
json_t *dumps_identities(struct weftd *d, json_t *req);

#endif
