/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CNI spec's names, checked the same way by the plugin and weftd: a
 * container ID and a network name are both [A-Za-z0-9][A-Za-z0-9_.-]*
 * (libcni's rule), and both end up in file names, so the alphabet matters.
 * An interface name follows the kernel's rule instead.
 */
#ifndef WEFT_NAMES_H
#define WEFT_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define WEFT_CONTAINER_ID_MAX 255
#define WEFT_NETWORK_NAME_MAX 128
#define WEFT_IFNAME_MAX	      15 /* IFNAMSIZ - 1 */

/* 1..@max characters of [A-Za-z0-9_.-], the first alphanumeric. */
bool weft_valid_name(const char *s, size_t max);
/* The kernel's dev_valid_name(): 1..WEFT_IFNAME_MAX characters, not "." or "..",
 * without '/', ':' or white space. */
bool weft_valid_ifname(const char *s);

#endif
