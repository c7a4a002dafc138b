/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every libFuzzer harness in tests/fuzz/ shares (docs/testing.md,
 * "Fuzzing"). A harness defines LLVMFuzzerTestOneInput() and, when it needs
 * set-up, LLVMFuzzerInitialize(); it aborts (FUZZ_ASSERT) when an invariant
 * of the code under test does not hold, which libFuzzer reports as a crash.
 */
#ifndef WEFT_TESTS_FUZZ_H
#define WEFT_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* fuzz.c silences weft's log before any harness runs: the parsers warn
 * about every bad input, and writing that would cost more than the parsing. */

#define FUZZ_ASSERT(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz invariant broken: " __VA_ARGS__);                    \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A NUL-terminated copy of @size bytes (what a file read or getenv() hands
 * the parsers); aborts when out of memory. free() it. */
char *fuzz_cstr(const void *data, size_t size);

/* A private directory for the run, on tmpfs where there is one (IPAM and
 * state writes fsync), removed with its content at exit. Aborts when it
 * cannot be made. */
const char *fuzz_tmpdir(void);

/* The next record of @data: the bytes up to @sep (not included) or the end.
 * *@off moves past the separator; false once nothing is left. */
int fuzz_next_record(const uint8_t *data, size_t size, size_t *off, uint8_t sep,
		     const uint8_t **rec, size_t *len);

#endif
