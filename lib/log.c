// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "log.h"

static enum weft_log_level cur_level = LOG_LEVEL_INFO;
static FILE *log_fp;
static char log_prefix[32] = "weft";

static const char *const level_names[] = {
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum weft_log_level level)
{
	cur_level = level;
}

enum weft_log_level log_get_level(void)
{
	return cur_level;
}

void log_set_prefix(const char *prefix)
{
	snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
}

int log_level_parse(const char *name, enum weft_log_level *level)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(name, level_names[i])) {
			*level = (enum weft_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_set_file(const char *path)
{
	int fd, err;
	FILE *fp;

	if (!path) {
		if (log_fp && log_fp != stderr)
			fclose(log_fp);
		log_fp = NULL;
		return 0;
	}
	/* Root opens it: a symlink planted at @path must not make it append
	 * (or create) anything anywhere else. -ELOOP then. */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	fp = fdopen(fd, "a");
	if (!fp) {
		err = -errno;
		close(fd);
		return err;
	}
	setvbuf(fp, NULL, _IOLBF, 0);
	if (log_fp && log_fp != stderr)
		fclose(log_fp);
	log_fp = fp;
	return 0;
}

void weft_vlog(enum weft_log_level level, const char *fmt, va_list ap)
{
	FILE *fp = log_fp ? log_fp : stderr;
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	int saved_errno = errno;

	if (level > cur_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One line, whole, even when two threads log at once (weftd's API
	 * watcher and its loop). */
	flockfile(fp);
	fprintf(fp, "%s.%03ldZ %s[%d] %s: ", stamp, ts.tv_nsec / 1000000, log_prefix, (int)getpid(),
		level_names[level]);
	vfprintf(fp, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', fp);
	funlockfile(fp);
	errno = saved_errno;
}

void weft_log(enum weft_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	weft_vlog(level, fmt, ap);
	va_end(ap);
}
