/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_REASONS_H
#define WEFT_REASONS_H

#include <stddef.h>

/* "local-delivery", "drop-spoofed-ip", ...; NULL for an unknown reason. */
const char *weft_reason_name(int reason);
/* "from-pod", "to-pod", "from-overlay", "to-overlay"; NULL for an unknown direction. */
const char *weft_direction_name(int dir);

/* The name, or "reason-N" / "direction-N" in @buf for a number this build
 * does not know (a newer object's): never NULL. */
const char *weft_reason_label(int reason, char *buf, size_t len);
const char *weft_direction_label(int dir, char *buf, size_t len);

#endif
