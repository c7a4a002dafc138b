/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEFT_STEPS_H
#define WEFT_STEPS_H

#include <jansson.h>
#include <stddef.h>

/*
 * Where a request's time goes: a timer started once, then marked at the end of
 * each step. The plugin logs its ADD and DEL steps (and weftd's, which come
 * back in weftd's replies) at info level; bench/add_latency.sh reads them, so a
 * regression shows as the step that grew. Marks on a NULL timer do nothing, so
 * callers that are not timed pass NULL.
 */
#define STEPS_MAX 16

struct steps {
	long long start_us, last_us;
	int n;
	struct {
		const char *name; /* a string literal: kept, not copied */
		long long us;
	} step[STEPS_MAX];
};

/* Microseconds on CLOCK_MONOTONIC. */
long long now_us(void);
void steps_start(struct steps *s);
/* The same, from an earlier now_us() (e.g. the process start). */
void steps_start_at(struct steps *s, long long start_us);
/* The time since the previous mark (or the start) is step @name; a name used
 * again adds to its step. */
void steps_mark(struct steps *s, const char *name);
/* Add @us to step @name without touching the clock (a sub-step another
 * process measured). */
void steps_add(struct steps *s, const char *name, long long us);
/* "name 1.23, name 0.40, ..." in milliseconds; returns @buf. */
const char *steps_format(const struct steps *s, char *buf, size_t len);
/* {"name": ms, ...}, for a reply that tells its caller where the time went. */
json_t *steps_json(const struct steps *s);
/* @timings ({"name": ms, ...}, e.g. merged from replies) as steps_format()
 * prints steps; returns @buf. */
const char *steps_json_format(json_t *timings, char *buf, size_t len);
/* Milliseconds since steps_start(). */
double steps_total_ms(const struct steps *s);

#endif
