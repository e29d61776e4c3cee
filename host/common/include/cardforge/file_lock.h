/* Host state files (Keycard pairing store, CMCC HSM vault, ...): changed under a lock and replaced
 * atomically, so concurrent `cardforge` processes wait for each other instead of losing each other's
 * changes, and a crash never leaves half a file.
 *
 * The lock is an flock(2) on "<path>.lock" beside the file (created 0600, never removed: removing
 * a lock file lets two processes lock two different files). A read-modify-write takes the lock,
 * reads, writes the new content with cf_state_replace and releases it. Readers need no lock: they
 * see the old file or the new one, never a mix. */
#ifndef CARDFORGE_FILE_LOCK_H
#define CARDFORGE_FILE_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct cf_state_lock {
  int fd; /* -1 when not held */
} cf_state_lock;

/* How long cf_state_lock_take waits for another holder before giving up (milliseconds). The
 * environment variable CARDFORGE_LOCK_WAIT_MS overrides it. */
#define CF_STATE_LOCK_WAIT_MS 60000

/* Takes the exclusive lock of the state file path, creating the lock file (and the missing parent
 * directories, 0700) as needed; waits while another process holds it. Returns 0, or -1 with err
 * filled (one line naming the file). */
int cf_state_lock_take(const char *path, cf_state_lock *lk, char *err, size_t errlen);
/* Releases a held lock (a no-op for one not held). */
void cf_state_lock_release(cf_state_lock *lk);

/* Whether path can be replaced now: the lock can be taken and the directory takes a new file (a
 * temporary file is created and removed). The lock is released again. Returns 0 or -1 with err. */
int cf_state_check_writable(const char *path, char *err, size_t errlen);

/* Writes the new content of path: write_fn gets a stream on a temporary file (mode 0600, same
 * directory) and returns 0 or -1 (with its own err); then fsync, rename over path (or, with
 * no_clobber, link: refuses an existing path), fsync of the directory. The caller holds the lock.
 * The stream's buffer is wiped afterwards: the content may be key material. Returns 0, or -1 with
 * err filled; the temporary file never stays behind. */
typedef int (*cf_state_write_fn)(void *ctx, FILE *out, char *err, size_t errlen);
int cf_state_replace(const char *path, bool no_clobber, cf_state_write_fn write_fn, void *ctx, char *err,
                     size_t errlen);

/* Writes all len bytes to fd (append-only files: the ceremony log, batch journals), going on after
 * EINTR and short writes. Returns 0, or -1 with errno set. */
int cf_write_all(int fd, const void *data, size_t len);

#endif
