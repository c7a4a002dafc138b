/* SPDX-License-Identifier: Apache-2.0 */
/* weftctl's map and state dumps: `ct`, `ipcache`, `identities`. */
#ifndef WEFTCTL_DUMPS_H
#define WEFTCTL_DUMPS_H

#include <jansson.h>

struct ctl;

/* Each prints weftd's reply as a table. 0, or 1 on failure. */
int dumps_print_ct(const struct ctl *ctl, json_t *reply);
int dumps_print_ipcache(const struct ctl *ctl, json_t *reply);
int dumps_print_identities(const struct ctl *ctl, json_t *reply);

#endif
