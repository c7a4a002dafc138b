/* SPDX-License-Identifier: Apache-2.0 */
/* One small log module for every weft binary; libbpf's output goes through it too. */
#ifndef WEFT_LOG_H
#define WEFT_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum weft_log_level {
	LOG_LEVEL_QUIET = -1, /* nothing at all (the fuzz harnesses); no message has it */
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

/* Default: warnings and info to stderr. The CNI plugin sends logs to a file (or
 * nowhere) because its stdout is reserved for the result. */
void log_set_level(enum weft_log_level level);
enum weft_log_level log_get_level(void);
/* Returns 0 or -errno. A NULL path means stderr. */
int log_set_file(const char *path);
void log_set_prefix(const char *prefix);
/* "warn", "info", "debug" -> 0 and *level set, else -EINVAL. */
int log_level_parse(const char *name, enum weft_log_level *level);
/* Route libbpf's messages into this module, one level lower than libbpf's. */
void log_route_libbpf(void);

void weft_log(enum weft_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void weft_vlog(enum weft_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define pr_warn(fmt, ...)  weft_log(LOG_LEVEL_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  weft_log(LOG_LEVEL_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) weft_log(LOG_LEVEL_DEBUG, fmt, ##__VA_ARGS__)

#endif
