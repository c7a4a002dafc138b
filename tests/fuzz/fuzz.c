// SPDX-License-Identifier: Apache-2.0
#include <ftw.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tests/fuzz/fuzz.h"

char *fuzz_cstr(const void *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_ASSERT(s, "out of memory for %zu bytes", size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Not even warnings: a line costs two system calls (getpid, a
 * line-buffered write), more than most parses. */
__attribute__((constructor)) static void fuzz_quiet(void)
{
	log_set_level(LOG_LEVEL_QUIET);
}

static char tmpdir[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tmpdir(void)
{
	nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_tmpdir(void)
{
	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/weft-fuzz.XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	FUZZ_ASSERT(mkdtemp(tmpdir), "mkdtemp %s", tmpdir);
	atexit(remove_tmpdir);
	return tmpdir;
}

int fuzz_next_record(const uint8_t *data, size_t size, size_t *off, uint8_t sep,
		     const uint8_t **rec, size_t *len)
{
	const uint8_t *end;

	if (*off >= size)
		return 0;
	*rec = data + *off;
	end = memchr(*rec, sep, size - *off);
	*len = end ? (size_t)(end - *rec) : size - *off;
	*off += *len + 1;
	return 1;
}
