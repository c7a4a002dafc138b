/* SPDX-License-Identifier: Apache-2.0 */
/* Argument checks shared by the request handlers and the stores that key on
 * the same names (IPAM files, endpoint state files), so a name that passed
 * here is always safe to put in a path. */
#ifndef WEFTD_VALIDATE_H
#define WEFTD_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#define CONTAINER_ID_RULE "must be 1-255 chars of [A-Za-z0-9_.-], first alphanumeric"
#define IFNAME_RULE	  "must be 1-15 chars, not . or .., without / : or white space"
#define NETWORK_RULE	  "must be 1-128 chars of [A-Za-z0-9_.-], first alphanumeric"

bool valid_container_id(const char *s);
bool valid_ifname(const char *s);
bool valid_network_name(const char *s);
/* "aa:bb:cc:dd:ee:ff" -> 0, else -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);
/* Needs 18 bytes. */
void mac_format(const uint8_t mac[6], char *buf);

#endif
