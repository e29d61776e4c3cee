/* Locked, atomic changes of host state files (see host/common/include/cardforge/file_lock.h). */
#include "cardforge/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/clicommon.h"
#include "cardforge/crypto.h"

#define PATH_CAP 4096

static int path_plus(const char *path, const char *suffix, char *out, size_t cap, char *err, size_t errlen) {
  int n = snprintf(out, cap, "%s%s", path, suffix);
  if (n < 0 || (size_t)n >= cap) {
    snprintf(err, errlen, "%s: path too long", path);
    return -1;
  }
  return 0;
}

/* The directory part of path ("." for a bare name). */
static void dir_of(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    snprintf(out, cap, ".");
  else if (slash == path)
    snprintf(out, cap, "/");
  else
    snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

static long wait_limit_ms(void) {
  const char *v = getenv("CARDFORGE_LOCK_WAIT_MS");
  if (v != NULL && *v != '\0') {
    char *end;
    long n = strtol(v, &end, 10);
    if (*end == '\0' && n >= 0) return n;
  }
  return CF_STATE_LOCK_WAIT_MS;
}

int cf_state_lock_take(const char *path, cf_state_lock *lk, char *err, size_t errlen) {
  char lock_path[PATH_CAP], dir[PATH_CAP];
  lk->fd = -1;
  if (path_plus(path, ".lock", lock_path, sizeof lock_path, err, errlen) != 0) return -1;
  dir_of(path, dir, sizeof dir);
  if (cf_cli_mkdirs(dir) != 0) {
    snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return -1;
  }
  int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "cannot open the lock file %s: %s", lock_path, strerror(errno));
    return -1;
  }
  /* Poll rather than block: a holder that hangs must not hang every later command forever. */
  long limit = wait_limit_ms(), waited = 0;
  const struct timespec step = {0, 5 * 1000 * 1000};
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR) {
      snprintf(err, errlen, "cannot lock %s: %s", lock_path, strerror(errno));
      close(fd);
      return -1;
    }
    if (waited >= limit) {
      snprintf(err, errlen, "%s stays locked by another cardforge process (waited %ld ms)", path, waited);
      close(fd);
      return -1;
    }
    nanosleep(&step, NULL);
    waited += 5;
  }
  lk->fd = fd;
  return 0;
}

void cf_state_lock_release(cf_state_lock *lk) {
  if (lk->fd < 0) return;
  flock(lk->fd, LOCK_UN);
  close(lk->fd);
  lk->fd = -1;
}

/* A fresh temporary file beside path: "<path>.tmpXXXXXX", mode 0600. */
static int make_temp(const char *path, char *tmp, size_t cap, char *err, size_t errlen) {
  if (path_plus(path, ".tmpXXXXXX", tmp, cap, err, errlen) != 0) return -1;
  int fd = mkstemp(tmp); /* mode 0600 */
  if (fd < 0) {
    snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
    return -1;
  }
  return fd;
}

int cf_state_check_writable(const char *path, char *err, size_t errlen) {
  cf_state_lock lk;
  if (cf_state_lock_take(path, &lk, err, errlen) != 0) return -1;
  char tmp[PATH_CAP];
  int fd = make_temp(path, tmp, sizeof tmp, err, errlen);
  int rc = fd < 0 ? -1 : 0;
  if (fd >= 0) {
    close(fd);
    unlink(tmp);
  }
  struct stat st;
  /* an existing file we could not replace: a directory in its place, for one */
  if (rc == 0 && lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", path);
    rc = -1;
  }
  cf_state_lock_release(&lk);
  return rc;
}

static int fsync_dir(const char *path) {
  char dir[PATH_CAP];
  dir_of(path, dir, sizeof dir);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

int cf_state_replace(const char *path, bool no_clobber, cf_state_write_fn write_fn, void *ctx, char *err,
                     size_t errlen) {
  char tmp[PATH_CAP];
  int fd = make_temp(path, tmp, sizeof tmp, err, errlen);
  if (fd < 0) return -1;
  FILE *out = fdopen(fd, "w");
  if (out == NULL) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    return -1;
  }
  /* our own buffer, so that what passed through it can be wiped */
  static _Thread_local char buf[8192];
  setvbuf(out, buf, _IOFBF, sizeof buf);
  err[0] = '\0';
  int rc = write_fn(ctx, out, err, errlen);
  int saved = 0;
  if (rc == 0 && (fflush(out) != 0 || fsync(fd) != 0)) rc = -1, saved = errno;
  if (fclose(out) != 0 && rc == 0) rc = -1, saved = errno;
  cf_wipe(buf, sizeof buf);
  if (rc == 0) {
    if (no_clobber ? link(tmp, path) != 0 : rename(tmp, path) != 0) {
      saved = errno;
      rc = -1;
      if (saved == EEXIST) {
        snprintf(err, errlen, "%s exists already (not overwritten)", path);
        saved = 0;
      }
    }
  }
  if (rc != 0 && saved != 0) snprintf(err, errlen, "cannot write %s: %s", path, strerror(saved));
  if (rc != 0 && err[0] == '\0') snprintf(err, errlen, "cannot write %s", path);
  /* after a rename the temporary name is gone; after link (or a failure) it is removed here */
  if (rc != 0 || no_clobber) unlink(tmp);
  /* the rename itself is durable only once the directory is */
  if (rc == 0 && fsync_dir(path) != 0) {
    snprintf(err, errlen, "cannot sync the directory of %s: %s", path, strerror(errno));
    rc = -1;
  }
  return rc;
}

int cf_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}
