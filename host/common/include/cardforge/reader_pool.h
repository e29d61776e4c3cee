/* A pool of workers over card readers: one POSIX thread per reader (worker), each running the items
 * of a batch (a card each) on its own reader, inside the PC/SC transaction its item opens there.
 *
 * What the pool guarantees, whatever the batch does with its cards:
 * - order: a worker takes the lowest-numbered item left that it may do (assign[i] == its index, or
 *   -1 / assign NULL: any worker), so items are begun in list order; an item once begun is finished;
 * - failure: a worker whose item fails stops; the others go on with the items left, so a failure
 *   stops the failing item and the items only that worker may do;
 * - interrupt: stop_requested (a SIGINT / SIGTERM flag) is polled before each item; once it returns
 *   nonzero every worker stops before its next item;
 * - results: per item (outcome[], worker_of[]), so a caller's journal, report and resume line are
 *   exact and in list order, whatever the order in which the workers finished;
 * - progress: at most one line a second on progress, with every worker's count.
 *
 * A card every worker needs (a KMC, a source card) is shared through cf_shared_card: one command
 * exchange at a time under a mutex, inside the one PC/SC transaction its owner holds on it. */
#ifndef CARDFORGE_READER_POOL_H
#define CARDFORGE_READER_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardforge/transport.h"

#define CF_READER_POOL_MAX_WORKERS 64

enum { CF_POOL_ITEM_NOT_RUN = 0, CF_POOL_ITEM_DONE, CF_POOL_ITEM_FAILED };

typedef struct cf_reader_pool {
  size_t items;        /* the batch's items (cards), 0..items-1 */
  size_t workers;      /* 1..CF_READER_POOL_MAX_WORKERS; 1 runs in the calling thread */
  size_t start;        /* items before this one are left out (resume with --from) */
  const uint8_t *skip; /* items entries or NULL: nonzero leaves the item out */
  const int *assign;   /* items entries or NULL: the worker that must do it, or -1 */
  int (*stop_requested)(void);
  /* Runs item on worker: 0 done, anything else failed (the worker then stops). Called from the
   * worker's thread; calls on different workers run at the same time. */
  int (*run_item)(void *arg, size_t worker, size_t item);
  void *arg;
  /* progress: "<label>: D/T <unit> (P%), R <unit>/s, ETA S s; name:count ..." */
  FILE *progress;
  const char *label, *unit;
  const char *const *worker_name; /* workers entries, or NULL: "w1", "w2", ... */
  /* results (each array optional) */
  uint8_t *outcome;    /* items entries: CF_POOL_ITEM_* */
  int *worker_of;      /* items entries: the worker that ran it, or -1 */
  size_t *worker_done; /* workers entries: items each completed */
  long *worker_failed; /* workers entries: the item it stopped at, or -1 */
  size_t done;         /* items completed in this run */
  size_t todo;         /* items this run was to do */
  long first_failed;   /* lowest-numbered failed item, or -1 */
  int stopped;         /* what stop_requested returned when it stopped the batch, or 0 */
  double seconds;      /* wall time */
} cf_reader_pool;

/* Runs the batch. Returns 0 (look at first_failed / stopped), or -1 when it could not start
 * (bad arguments, no memory, no thread: err says which; items already begun are finished). */
int cf_reader_pool_run(cf_reader_pool *p, char *err, size_t errlen);

/* A card shared by the workers: a transport over inner whose every exchange (GET RESPONSE and a
 * resend on 6CXX included) runs under lock. Reset is refused, close does nothing (the card stays its
 * owner's). Traces on the wrapper; the caller clears inner->trace while workers run. */
typedef struct cf_shared_card {
  cf_transport t;
  cf_transport *inner;
  pthread_mutex_t *lock;
} cf_shared_card;

void cf_shared_card_init(cf_shared_card *s, cf_transport *inner, pthread_mutex_t *lock);
/* A mutex for cf_shared_card and pool bookkeeping: spins a little before it sleeps. */
void cf_reader_pool_lock_init(pthread_mutex_t *m);

#endif
