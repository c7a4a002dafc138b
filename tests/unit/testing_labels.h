/* SPDX-License-Identifier: Apache-2.0 */
/* Label sets written the short way in test tables: "app=web,tier=db". */
#ifndef WEFT_TESTING_LABELS_H
#define WEFT_TESTING_LABELS_H

#include <stdlib.h>
#include <string.h>

#include "daemon/cluster/cluster.h"

/* Adds @s's labels to @out ("" adds none). */
static inline void labels_from(const char *s, struct cl_labels *out)
{
	char *copy = strdup(s), *save = NULL;

	for (char *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (eq) {
			*eq = '\0';
			cl_labels_add(out, kv, eq + 1);
		}
	}
	free(copy);
}

#endif
