/* Card files on disk: who owns one, who may read it, how a new one appears.
 *
 * The owner lock is an flock(2) on the database file. SQLite's own locks are POSIX record locks,
 * which are tied to the process and dropped when any descriptor of the file closes, so they
 * cannot guard the steps before SQLite opens the file (erasing it for --fresh, checking what it
 * is). flock locks belong to an open file description and do not interact with them on Linux.
 * Since erasing replaces the file (a new inode under the same name), a lock taken on a name that
 * has meanwhile been replaced is worthless: after locking, the descriptor must still be the file
 * the name points to, else the open is retried. */
#define _GNU_SOURCE /* mkostemp */
#include "store_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/store.h"

#define OPEN_TRIES 8
#define CARD_FILE_MODE 0600

static const char *const companions[] = {"-wal", "-journal", "-shm"};
#define COMPANION_COUNT (sizeof companions / sizeof companions[0])

static char *path_with(const char *path, const char *suffix) {
  size_t n = strlen(path), m = strlen(suffix);
  char *s = malloc(n + m + 1);
  if (s) {
    memcpy(s, path, n);
    memcpy(s + n, suffix, m + 1);
  }
  return s;
}

/* The files hold PINs and keys in clear: owner only, whatever the umask made of them. */
static void restrict_modes(int fd, const char *path) {
  struct stat st;
  if (fstat(fd, &st) == 0 && (st.st_mode & 07777) != CARD_FILE_MODE) fchmod(fd, CARD_FILE_MODE);
  for (size_t i = 0; i < COMPANION_COUNT; i++) {
    char *name = path_with(path, companions[i]);
    if (name && stat(name, &st) == 0 && (st.st_mode & 07777) != CARD_FILE_MODE) chmod(name, CARD_FILE_MODE);
    free(name);
  }
}

static void remove_companions(const char *path) {
  for (size_t i = 0; i < COMPANION_COUNT; i++) {
    char *name = path_with(path, companions[i]);
    if (name) unlink(name);
    free(name);
  }
}

/* True when fd is still the file path names (it was not replaced or removed meanwhile). */
static bool still_named(int fd, const char *path) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void sync_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

/* Makes a new card file under a temporary name and moves it into place: linked when path must
 * not exist yet (-EEXIST when another process was faster), renamed over it when replacing. The
 * new file is locked before it gets its name, so it is never visible unlocked. */
static int create_card_file(const char *path, bool replace, cf_store_file_init_fn init, int *out_fd) {
  char *tmp = path_with(path, ".new-XXXXXX");
  if (!tmp) return CF_STORE_EIO;
  int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 whatever the umask */
  if (fd < 0) {
    free(tmp);
    return CF_STORE_EIO;
  }
  int rc = CF_STORE_OK;
  if (fchmod(fd, CARD_FILE_MODE) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) rc = CF_STORE_EIO;
  if (rc == CF_STORE_OK) rc = init(tmp);
  if (rc == CF_STORE_OK && fsync(fd) != 0) rc = CF_STORE_EIO;
  if (rc == CF_STORE_OK && replace) {
    /* The old WAL would be replayed into the new database: it goes first. */
    remove_companions(path);
    if (rename(tmp, path) != 0) rc = CF_STORE_EIO;
  } else if (rc == CF_STORE_OK) {
    if (link(tmp, path) != 0) rc = errno == EEXIST ? -EEXIST : CF_STORE_EIO;
  }
  if (rc != CF_STORE_OK || !replace) {
    remove_companions(tmp);
    unlink(tmp);
  }
  free(tmp);
  if (rc != CF_STORE_OK) {
    close(fd);
    return rc;
  }
  sync_parent(path);
  *out_fd = fd;
  return CF_STORE_OK;
}

/* What an existing file is, from its first bytes: SQLite's header starts with this string. */
static int check_header(int fd) {
  static const char magic[16] = "SQLite format 3";
  char head[16];
  struct stat st;
  if (fstat(fd, &st) != 0) return CF_STORE_EIO;
  if (st.st_size == 0) return CF_STORE_EMPTY;
  ssize_t n = pread(fd, head, sizeof head, 0);
  if (n < 0) return CF_STORE_EIO;
  return n == (ssize_t)sizeof head && memcmp(head, magic, sizeof head) == 0 ? CF_STORE_OK
                                                                            : CF_STORE_NOT_SQLITE;
}

int cf_store_file_lock(const char *path, bool fresh, cf_store_file_init_fn init, int *lock_fd) {
  *lock_fd = -1;
  for (int tries = 0; tries < OPEN_TRIES; tries++) {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno != ENOENT) return CF_STORE_EIO;
      int rc = create_card_file(path, false, init, lock_fd);
      if (rc == -EEXIST) continue;
      return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      close(fd);
      return e == EWOULDBLOCK ? CF_STORE_BUSY : CF_STORE_EIO;
    }
    if (!still_named(fd, path)) {
      close(fd);
      continue;
    }
    int rc;
    if (fresh) {
      /* Erased only now that it is ours: a running owner made the flock above fail. */
      rc = create_card_file(path, true, init, lock_fd);
      close(fd);
      return rc;
    }
    restrict_modes(fd, path);
    rc = check_header(fd);
    if (rc != CF_STORE_OK) {
      close(fd);
      return rc;
    }
    *lock_fd = fd;
    return CF_STORE_OK;
  }
  return CF_STORE_BUSY; /* the name kept pointing at new files: someone else is making it */
}
