/* SPDX-License-Identifier: Apache-2.0 */
/* Aligned text columns for weftctl's table output. */
#ifndef WEFTCTL_TABLE_H
#define WEFTCTL_TABLE_H

#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table;

struct table *table_new(int ncols, const char *const *headers);
/* Copies @cells (ncols strings). 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *fp);
void table_free(struct table *t);

#endif
