/* SPDX-License-Identifier: Apache-2.0 */
/* Aligned text columns for weftctl's table output. */
#ifndef WEFTCTL_TABLE_H
#define WEFTCTL_TABLE_H

#include <jansson.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table;

struct table *table_new(int ncols, const char *const *headers);
/* Copies @cells (ncols strings). 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *fp);
void table_free(struct table *t);

/* Add the row @fill makes of one element of a reply's array. 0 or -ENOMEM. */
typedef int (*table_fill_fn)(struct table *t, json_t *elem);
/* A table of @ncols under @headers, one row per element of @rows, printed to
 * stdout. weftctl's exit status: 0, or 1 after saying it ran out of memory. */
int table_print_rows(int ncols, const char *const *headers, json_t *rows, table_fill_fn fill);

#endif
