/* The journal of a batch over cards: one line per card done, written (and synced) as the card is
 * done, so a rerun with the same journal leaves out exactly the cards recorded, whichever worker did
 * them and whenever the previous run stopped (an interrupt, a failure, SIGKILL).
 *
 *   cardforge-journal 1 KIND BATCH       first line: what the batch writes (e.g. the key it copies)
 *   done ID NAME                         one per card: its identity (hex) and where it was done
 *
 * A journal of another kind or batch is refused, so a journal never skips a card for a batch it
 * did not record. The file is created with mode 0600 and held with an exclusive flock while open (a
 * second process using it is refused). A last line without its newline (the write was cut) is
 * dropped when the journal is opened. A journal holds no secret. */
#ifndef CARDFORGE_BATCH_JOURNAL_H
#define CARDFORGE_BATCH_JOURNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cf_batch_journal {
  const char *path; /* NULL: no journal (every call succeeds, nothing is recorded) */
  int fd;
  pthread_mutex_t lock;
  char (*ids)[96];
  size_t count, cap;
  char err[512];
} cf_batch_journal;

/* Opens (or creates) path for the batch; path NULL gives the no-journal journal. Returns 0 or -1
 * (err says why). */
int cf_batch_journal_open(cf_batch_journal *j, const char *path, const char *kind, const char *batch);
/* Whether the card with this id is recorded done. */
bool cf_batch_journal_has(cf_batch_journal *j, const char *id);
/* Records a card done (thread-safe): the line is on disk when it returns 0; -1: err says why. */
int cf_batch_journal_add(cf_batch_journal *j, const char *id, const char *name);
void cf_batch_journal_close(cf_batch_journal *j);

#endif
