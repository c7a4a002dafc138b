// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct table {
	int ncols;
	size_t nrows, cap;
	char **cells; /* row-major, row 0 = headers */
};

struct table *table_new(int ncols, const char *const *headers)
{
	struct table *t;

	if (ncols < 1 || ncols > TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	if (table_add(t, headers)) {
		table_free(t);
		return NULL;
	}
	return t;
}

int table_add(struct table *t, const char *const *cells)
{
	char **tmp;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		tmp = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		t->cells = tmp;
		t->cap = cap;
	}
	for (int c = 0; c < t->ncols; c++) {
		t->cells[t->nrows * (size_t)t->ncols + (size_t)c] =
			strdup(cells[c] ? cells[c] : "");
		if (!t->cells[t->nrows * (size_t)t->ncols + (size_t)c]) {
			while (c--)
				free(t->cells[t->nrows * (size_t)t->ncols + (size_t)c]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

void table_print(const struct table *t, FILE *fp)
{
	size_t width[TABLE_MAX_COLS] = {0};

	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			size_t len = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);

			if (len > width[c])
				width[c] = len;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * (size_t)t->ncols + (size_t)c];

			/* No trailing blanks after the last column. */
			if (c == t->ncols - 1)
				fprintf(fp, "%s\n", cell);
			else
				fprintf(fp, "%-*s  ", (int)width[c], cell);
		}
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int table_print_rows(int ncols, const char *const *headers, json_t *rows, table_fill_fn fill)
{
	struct table *t = table_new(ncols, headers);
	size_t i;
	json_t *r;

	if (!t)
		goto nomem;
	json_array_foreach (rows, i, r)
		if (fill(t, r))
			goto free_table;
	table_print(t, stdout);
	table_free(t);
	return 0;
free_table:
	table_free(t);
nomem:
	fprintf(stderr, "weftctl: out of memory\n");
	return 1;
}
