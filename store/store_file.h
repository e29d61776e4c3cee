/* Card files on disk (internal to cf_store): the owner lock, permissions, atomic creation and
 * erasure. SQLite itself is driven by store_sqlite.c. */
#ifndef CF_STORE_FILE_H
#define CF_STORE_FILE_H

#include <stdbool.h>

/* Writes the empty card store schema into the new file at path (mode 0600, already locked).
 * Returns CF_STORE_OK or an error code. */
typedef int (*cf_store_file_init_fn)(const char *path);

/* Takes the owner lock of the card file at path, creating the file (through init, under a
 * temporary name, then linked into place: the path never names a half-made file) if it does not
 * exist, or replacing it by a new one if fresh is set. The lock is an flock(2) on the file
 * itself, taken before anything is read or erased; another owner makes this fail with
 * CF_STORE_BUSY and changes nothing. The file and its -wal/-journal/-shm companions are made
 * 0600. An existing file must start with the SQLite header: CF_STORE_EMPTY for a 0-byte file,
 * CF_STORE_NOT_SQLITE for anything else. On success *lock_fd holds the lock until closed (close
 * it only after SQLite has closed the file: closing any descriptor of a file drops the process's
 * POSIX locks on it, SQLite's included). */
int cf_store_file_lock(const char *path, bool fresh, cf_store_file_init_fn init, int *lock_fd);

#endif
