// SPDX-License-Identifier: Apache-2.0
/* lib/steps.c: the step timings the plugin logs and bench/add_latency.sh
 * parses; the line's shape is what the bench relies on. */
#include <string.h>

#include "steps.h"
#include "testing.h"

int main(void)
{
	struct steps s;
	char buf[128];
	json_t *j, *merged, *reply;

	steps_start(&s);
	steps_add(&s, "ipam", 2500);
	steps_add(&s, "veth", 1000);
	steps_add(&s, "ipam", 500);
	CHECK_INT(s.n, 2, "a name used again adds to its step");
	CHECK_STR(steps_format(&s, buf, sizeof(buf)), "ipam 3.00, veth 1.00",
		  "formatted in milliseconds, in the order first seen");
	steps_format(&s, buf, 8);
	CHECK(strlen(buf) < 8, "a short buffer is cut, never overrun");

	steps_mark(&s, "wait");
	CHECK(s.step[2].us >= 0 && s.step[2].us < 1000000, "a mark takes the time since the start");
	steps_mark(NULL, "nothing");
	steps_add(NULL, "nothing", 1);
	/* (a timer that touched NULL would crash the binary: the run fails) */
	CHECK(1, "marks on a NULL timer do nothing");

	for (int i = 0; i < STEPS_MAX + 4; i++)
		steps_add(&s, i % 2 ? "odd" : "even", 1);
	CHECK_INT(s.n, 5, "steps are merged by name, not appended");

	j = steps_json(&s);
	CHECK(json_is_object(j) && json_object_size(j) == 5, "steps_json has one key a step");
	CHECK(json_real_value(json_object_get(j, "ipam")) == 3.0, "steps_json in milliseconds");
	merged = json_pack("{s:f}", "allocate", 2.25);
	reply = json_pack("{s:f, s:s}", "state", 1.5, "bad", "x");
	json_object_update(merged, reply);
	json_decref(reply);
	CHECK_STR(steps_json_format(merged, buf, sizeof(buf)), "allocate 2.25, state 1.50",
		  "weftd's timings from replies, non-numbers skipped");
	json_decref(j);
	json_decref(merged);
	return test_done();
}
