/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_REASONS_H
#define WEFT_REASONS_H

/* "local-delivery", "drop-spoofed-ip", ...; NULL for an unknown reason. */
const char *weft_reason_name(int reason);
/* "from-pod", "to-pod", "from-overlay", "to-overlay"; NULL for an unknown direction. */
const char *weft_direction_name(int dir);

#endif
