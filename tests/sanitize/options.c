// SPDX-License-Identifier: Apache-2.0
/*
 * The sanitizer build's defaults (make SANITIZE=1, docs/testing.md
 * "Sanitizers"), linked into every binary of that build and no other. They
 * are compiled in because the runtime runs the plugin with a bare
 * environment (env -i), where ASAN_OPTIONS would not reach it; a variable
 * that is set still overrides them flag by flag.
 *
 * Any report is fatal (exit code 86) and goes to a file under
 * WEFT_SAN_LOG_DIR (the runtime appends the pid), where tests/run.sh and the
 * bats teardown look for it: weftd's stderr is a log nobody reads, and a
 * plugin's exit code may be one a test expects to be non-zero.
 */

#ifndef WEFT_SAN_LOG_DIR
#error "tests/sanitize/options.c is only for the sanitizer build (make SANITIZE=1)"
#endif

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);

const char *__asan_default_options(void)
{
	return "halt_on_error=1:exitcode=86:detect_leaks=1:abort_on_error=0"
	       ":log_path=" WEFT_SAN_LOG_DIR "/report";
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:exitcode=86:print_stacktrace=1"
	       ":log_path=" WEFT_SAN_LOG_DIR "/report";
}

const char *__lsan_default_options(void)
{
	return "exitcode=86";
}
