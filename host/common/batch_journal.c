/* The journal of a batch (cardforge/batch_journal.h). */
#include "cardforge/batch_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/file_lock.h"

#define JOURNAL_MAGIC "cardforge-journal 1"
#define JOURNAL_MAX (1 << 24) /* a journal is one short line per card */

static int fail(cf_batch_journal *j, const char *fmt, const char *what) {
  snprintf(j->err, sizeof j->err, fmt, j->path, what);
  return -1;
}

static int remember(cf_batch_journal *j, const char *id) {
  if (strlen(id) >= sizeof j->ids[0]) return fail(j, "%s: %s", "a card id is too long");
  if (j->count == j->cap) {
    size_t cap = j->cap ? 2 * j->cap : 64;
    void *ids = realloc(j->ids, cap * sizeof j->ids[0]);
    if (ids == NULL) return fail(j, "%s: %s", "out of memory");
    j->ids = ids;
    j->cap = cap;
  }
  snprintf(j->ids[j->count++], sizeof j->ids[0], "%s", id);
  return 0;
}

/* Reads the journal: its header must name this batch; the done lines are remembered. */
static int load(cf_batch_journal *j, const char *header) {
  struct stat st;
  if (fstat(j->fd, &st) != 0) return fail(j, "%s: %s", strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(j, "%s: %s", "not a regular file");
  if (st.st_size > JOURNAL_MAX) return fail(j, "%s: %s", "too large for a journal");
  size_t size = (size_t)st.st_size;
  char *text = malloc(size + 1);
  if (text == NULL) return fail(j, "%s: %s", "out of memory");
  ssize_t got = pread(j->fd, text, size, 0);
  if (got != (ssize_t)size) {
    free(text);
    return fail(j, "%s: %s", "cannot read it");
  }
  text[size] = 0;
  /* a line whose write was cut short is dropped */
  char *end = strrchr(text, '\n');
  size_t whole = end ? (size_t)(end - text) + 1 : 0;
  if (whole < size && ftruncate(j->fd, (off_t)whole) != 0) {
    free(text);
    return fail(j, "%s: %s", strerror(errno));
  }
  text[whole] = 0;
  int rc = 0;
  if (whole == 0) {
    rc = cf_write_all(j->fd, header, strlen(header)) == 0 && fsync(j->fd) == 0
             ? 0
             : fail(j, "%s: %s", strerror(errno));
    free(text);
    return rc;
  }
  char *save = NULL;
  char *line = strtok_r(text, "\n", &save);
  if (line == NULL || strncmp(line, header, strlen(header) - 1) != 0 || line[strlen(header) - 1] != 0) {
    bool ours = line != NULL && strncmp(line, JOURNAL_MAGIC " ", sizeof JOURNAL_MAGIC) == 0;
    rc = fail(j, "%s: %s",
              ours ? "the journal of another batch (another kind, key or source): give a new file"
                   : "not a cardforge journal");
  }
  while (rc == 0 && (line = strtok_r(NULL, "\n", &save)) != NULL) {
    char id[96];
    if (sscanf(line, "done %95s", id) != 1) {
      rc = fail(j, "%s: %s", "malformed line");
      break;
    }
    rc = remember(j, id);
  }
  free(text);
  return rc;
}

int cf_batch_journal_open(cf_batch_journal *j, const char *path, const char *kind, const char *batch) {
  memset(j, 0, sizeof *j);
  j->fd = -1;
  j->path = path;
  pthread_mutex_init(&j->lock, NULL);
  if (path == NULL) return 0;
  j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (j->fd < 0) return fail(j, "%s: %s", strerror(errno));
  if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) return fail(j, "%s: %s", "in use by another cardforge process");
  char header[256];
  snprintf(header, sizeof header, JOURNAL_MAGIC " %s %s\n", kind, batch);
  return load(j, header);
}

bool cf_batch_journal_has(cf_batch_journal *j, const char *id) {
  pthread_mutex_lock(&j->lock);
  bool found = false;
  for (size_t i = 0; i < j->count && !found; i++)
    found = strcmp(j->ids[i], id) == 0;
  pthread_mutex_unlock(&j->lock);
  return found;
}

int cf_batch_journal_add(cf_batch_journal *j, const char *id, const char *name) {
  if (j->path == NULL) return 0;
  char line[512];
  int n = snprintf(line, sizeof line, "done %s %s\n", id, name);
  if (n < 0 || (size_t)n >= sizeof line || strchr(id, ' ')) {
    pthread_mutex_lock(&j->lock);
    int rc = fail(j, "%s: %s", "a journal line is too long");
    pthread_mutex_unlock(&j->lock);
    return rc;
  }
  /* a reader name holding a newline would start a line of its own */
  for (char *p = line; p < line + n - 1; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  pthread_mutex_lock(&j->lock);
  /* one write: a line is whole in the file or (cut by a crash) dropped at the next open */
  int rc = cf_write_all(j->fd, line, (size_t)n) == 0 && fdatasync(j->fd) == 0
               ? remember(j, id)
               : fail(j, "%s: %s", strerror(errno));
  pthread_mutex_unlock(&j->lock);
  return rc;
}

void cf_batch_journal_close(cf_batch_journal *j) {
  if (j->fd >= 0) close(j->fd);
  j->fd = -1;
  free(j->ids);
  j->ids = NULL;
  j->count = j->cap = 0;
  pthread_mutex_destroy(&j->lock);
}
