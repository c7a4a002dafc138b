/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny TAP producer for the C unit tests: every CHECK is one "ok"/"not ok"
 * line, so tests/run.sh counts C and bats results the same way.
 */
#ifndef WEFT_TESTING_H
#define WEFT_TESTING_H

#include <stdio.h>
#include <string.h>

/* Weak, not static: a test binary made of several objects (a BPF test and
 * tests/bpf/harness.c) keeps one count, and a single-file unit test still
 * needs no definition of its own. */
int t_count __attribute__((weak)), t_failed __attribute__((weak));

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		int ok_ = !!(cond);                                                                \
		t_count++;                                                                         \
		if (!ok_)                                                                          \
			t_failed++;                                                                \
		printf("%s %d - ", ok_ ? "ok" : "not ok", t_count);                                \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!ok_)                                                                          \
			printf("# %s:%d: failed: %s\n", __FILE__, __LINE__, #cond);                \
	} while (0)

#define CHECK_STR(got, want, ...)                                                                  \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		CHECK(g_ &&w_ && !strcmp(g_, w_), __VA_ARGS__);                                    \
		if (!(g_ && w_ && !strcmp(g_, w_)))                                                \
			printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_);               \
	} while (0)

#define CHECK_INT(got, want, ...)                                                                  \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		CHECK(g_ == w_, __VA_ARGS__);                                                      \
		if (g_ != w_)                                                                      \
			printf("#   got %lld, want %lld\n", g_, w_);                               \
	} while (0)

/* Call last in main(): prints the plan and makes the exit code. */
static inline int test_done(void)
{
	printf("1..%d\n", t_count);
	return t_failed ? 1 : 0;
}

#endif
