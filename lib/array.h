/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_ARRAY_H
#define WEFT_ARRAY_H

/* Elements of the array @a (an array, not a pointer to one). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
