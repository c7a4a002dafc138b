// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "steps.h"

long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void steps_start_at(struct steps *s, long long start_us)
{
	memset(s, 0, sizeof(*s));
	s->start_us = s->last_us = start_us;
}

void steps_start(struct steps *s)
{
	steps_start_at(s, now_us());
}

void steps_add(struct steps *s, const char *name, long long us)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->step[i].name, name)) {
			s->step[i].us += us;
			return;
		}
	}
	/* A full table drops the step rather than failing what is timed. */
	if (s->n == STEPS_MAX)
		return;
	s->step[s->n].name = name;
	s->step[s->n].us = us;
	s->n++;
}

void steps_mark(struct steps *s, const char *name)
{
	long long now;

	if (!s)
		return;
	now = now_us();
	steps_add(s, name, now - s->last_us);
	s->last_us = now;
}

const char *steps_format(const struct steps *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->n && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s %.2f", i ? ", " : "", s->step[i].name,
				 s->step[i].us / 1000.0);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

double steps_total_ms(const struct steps *s)
{
	return (now_us() - s->start_us) / 1000.0;
}

json_t *steps_json(const struct steps *s)
{
	json_t *o = json_object();

	for (int i = 0; o && i < s->n; i++)
		json_object_set_new(o, s->step[i].name, json_real(s->step[i].us / 1000.0));
	return o;
}

const char *steps_json_format(json_t *timings, char *buf, size_t len)
{
	size_t off = 0;
	const char *name;
	json_t *ms;

	buf[0] = '\0';
	json_object_foreach (timings, name, ms) {
		int n;

		if (off >= len || !json_is_number(ms))
			continue;
		n = snprintf(buf + off, len - off, "%s%s %.2f", off ? ", " : "", name,
			     json_number_value(ms));
		if (n > 0)
			off += (size_t)n;
	}
	return buf;
}
