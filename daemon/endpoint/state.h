/* SPDX-License-Identifier: Apache-2.0 */
/* Crash-safe files: a reader after a crash sees either the old or the new
 * content of a file, never a mix, because every write goes to a temp file that
 * is fsync'd and renamed over the target, and the directory is fsync'd. */
#ifndef WEFTD_STATE_H
#define WEFTD_STATE_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

/* Temp files start with this; loaders skip (and remove) them. */
#define STATE_TMP_PREFIX ".tmp."

/* mkdir -p with @mode for the directories it creates. 0 or -errno. */
int state_mkdir_p(const char *path, unsigned int mode);
/* Open a directory for the *at() calls below. fd or -errno. */
int state_open_dir(const char *path);
/* Replace @dirfd/@name by @data. @durable: fsync file and directory (skip for
 * hints whose loss after a crash is harmless). 0 or -errno. */
int state_write_atomic(int dirfd, const char *name, const void *data, size_t len, bool durable);
/* unlink + fsync of the directory; a missing file is fine. 0 or -errno. */
int state_remove(int dirfd, const char *name);
/* Read a whole (small) regular file into a NUL-terminated buffer, following
 * no symlink. 0 or -errno: -ELOOP a symlink, -EBADFD not a regular file,
 * -EFBIG too large. */
int state_read(int dirfd, const char *name, char **out, size_t *len);
/* Whether state_read()'s @err is about the file itself (a symlink, not a
 * regular file, too large), with the reason in @why: such a file is moved
 * aside like one that does not parse. Other errors are the system's. */
bool state_read_bad(int err, char *why, size_t sz);

/* Where bad files go: a directory of that name next to them (the same file
 * system, so the move is a rename), 0700. Loaders skip it. */
#define STATE_QUARANTINE_DIR "quarantine"
/* A state file that cannot be used: log "<@dir>/<@name>: <@why>" once and
 * move it to <@dir>/quarantine/<@name>.<UTC time>[.<n>], never over an
 * earlier one, so nothing is lost and the next start does not trip on it
 * again. @dir is @dirfd's path, for the log. 0 or -errno (logged; the file
 * stays where it was). */
int state_quarantine(int dirfd, const char *dir, const char *name, const char *why);
/* Files state_quarantine() moved since weftd started. */
unsigned int state_quarantined(void);
#define STATE_WHY_MAX 1024
bool state_is_tmp(const char *name);
/* A DIR stream over @dirfd's directory, on a dup of it (@dirfd stays open);
 * NULL with errno set. closedir() it. */
DIR *state_dir_stream(int dirfd);

#endif
