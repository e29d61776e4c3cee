/* One worker thread per reader over a batch of items (cardforge/reader_pool.h). The bookkeeping
 * (next item, outcomes, counters, progress) is under one lock taken once per item; the items
 * themselves run outside it. */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP: glibc's spin-then-sleep mutex */
#include "cardforge/reader_pool.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The locks are held for one command exchange or a few stores: spinning a little before sleeping
 * spares a context switch each time another worker holds one (eight workers on two cores). */
void cf_reader_pool_lock_init(pthread_mutex_t *m) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
#ifdef PTHREAD_MUTEX_ADAPTIVE_NP
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
  pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
}

/* Taking a shared card's lock: a worker that finds it held yields its CPU to the holder a bounded
 * number of times before it sleeps. Eight workers on two cores otherwise pay a futex sleep and a
 * wake-up for most KMC commands, and the KMC stands idle during each wake-up (measured: 8 workers
 * without a latency model at 0.83-1.16x one worker with a plain mutex, 1.45-1.62x with this). A
 * card behind a slow reader still puts the waiters to sleep after the yields. */
#define SHARED_LOCK_YIELDS 200
static void shared_lock(pthread_mutex_t *m) {
  for (int i = 0; i < SHARED_LOCK_YIELDS; i++) {
    if (pthread_mutex_trylock(m) == 0) return;
    sched_yield();
  }
  pthread_mutex_lock(m);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the shared card: one command exchange at a time ---- */

static int shared_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                           size_t *rlen) {
  cf_shared_card *s = t->impl;
  if (cap < 2) return -1;
  uint16_t sw = 0;
  size_t got = 0;
  shared_lock(s->lock);
  /* the whole logical exchange under the lock: no other worker's command between a 61XX and its
   * GET RESPONSE */
  int rc = cf_transceive_raw(s->inner, cmd, len, 0, resp, cap - 2, &got, &sw);
  if (rc != 0) {
    memcpy(t->err, s->inner->err, sizeof t->err);
    t->fault = s->inner->fault;
  }
  t->established = s->inner->established;
  pthread_mutex_unlock(s->lock);
  if (rc != 0) return -1;
  resp[got] = (uint8_t)(sw >> 8);
  resp[got + 1] = (uint8_t)sw;
  *rlen = got + 2;
  return 0;
}

static int shared_reset(cf_transport *t) {
  (void)t;
  return -1; /* a worker never resets the shared card */
}

static void shared_close(cf_transport *t) {
  (void)t; /* the wrapper is part of its worker; the card stays its owner's */
}

static const cf_transport_ops shared_ops = {shared_exchange, shared_reset, shared_close};

void cf_shared_card_init(cf_shared_card *s, cf_transport *inner, pthread_mutex_t *lock) {
  memset(s, 0, sizeof *s);
  s->inner = inner;
  s->lock = lock;
  s->t.ops = &shared_ops;
  s->t.impl = s;
  memcpy(s->t.name, inner->name, sizeof s->t.name);
  s->t.trace = inner->trace; /* traced once, here, with the flows' redaction flags */
  s->t.secured = inner->secured;
  s->t.established = inner->established;
  s->t.max_command = inner->max_command;
}

/* ---- the run ---- */

typedef struct pool_run {
  cf_reader_pool *p;
  pthread_mutex_t lock; /* next item, outcomes, counters, progress */
  uint8_t *taken;
  size_t *per_worker;
  double t0, last;
  bool tty;
  int stop; /* >0: stop_requested's value; <0: the run could not start every worker */
} pool_run;

typedef struct pool_worker {
  pool_run *run;
  size_t index;
  size_t cursor; /* every item below it is taken */
} pool_worker;

static void progress_line(pool_run *r, bool final) {
  cf_reader_pool *p = r->p;
  FILE *f = p->progress;
  const char *unit = p->unit ? p->unit : "items";
  double elapsed = now_seconds() - r->t0;
  double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
  double eta = rate > 0 ? (double)(p->todo - p->done) / rate : 0;
  /* a terminal gets one line rewritten in place; a log gets one line per report */
  fprintf(f, "%s%s: %zu/%zu %s (%.1f%%), %.0f %s/s, %s %.0f s", r->tty ? "\r" : "",
          p->label ? p->label : "batch", p->done, p->todo, unit,
          p->todo ? 100.0 * (double)p->done / (double)p->todo : 100.0, rate, unit, final ? "elapsed" : "ETA",
          final ? elapsed : eta);
  if (p->workers > 1) {
    /* every reader: its items done */
    fputs(";", f);
    for (size_t w = 0; w < p->workers; w++) {
      if (p->worker_name)
        fprintf(f, " %s", p->worker_name[w]);
      else
        fprintf(f, " w%zu", w + 1);
      fprintf(f, ":%zu", r->per_worker[w]);
    }
  }
  fputs(r->tty && !final ? "   " : "\n", f);
  fflush(f);
}

/* Records the item the worker finished (prev >= 0) and takes the next one it may do: one lock per
 * item. Returns the item, or -1 when none is left, the batch stops, or prev failed. */
static long finish_and_take(pool_worker *wk, long prev, bool prev_ok) {
  pool_run *r = wk->run;
  cf_reader_pool *p = r->p;
  long found = -1;
  pthread_mutex_lock(&r->lock);
  if (prev >= 0) {
    if (p->outcome) p->outcome[prev] = prev_ok ? CF_POOL_ITEM_DONE : CF_POOL_ITEM_FAILED;
    if (p->worker_of) p->worker_of[prev] = (int)wk->index;
    if (prev_ok) {
      p->done++;
      r->per_worker[wk->index]++;
      double now = now_seconds();
      if (p->progress && now - r->last >= 1.0) {
        progress_line(r, false);
        r->last = now;
      }
    } else {
      if (p->worker_failed) p->worker_failed[wk->index] = prev;
      if (p->first_failed < 0 || prev < p->first_failed) p->first_failed = prev;
    }
  }
  bool take = prev < 0 || prev_ok;
  if (take && !r->stop && p->stop_requested) r->stop = p->stop_requested();
  if (take && !r->stop) {
    for (size_t i = wk->cursor; i < p->items; i++) {
      if (r->taken[i]) {
        if (i == wk->cursor) wk->cursor++;
        continue;
      }
      if (p->assign && p->assign[i] >= 0 && (size_t)p->assign[i] != wk->index) continue;
      r->taken[i] = 1;
      found = (long)i;
      break;
    }
  }
  pthread_mutex_unlock(&r->lock);
  return found;
}

static void *worker_main(void *arg) {
  pool_worker *wk = arg;
  cf_reader_pool *p = wk->run->p;
  long i = finish_and_take(wk, -1, true);
  while (i >= 0) {
    int rc = p->run_item(p->arg, wk->index, (size_t)i);
    i = finish_and_take(wk, i, rc == 0); /* a failure stops this worker only */
  }
  return NULL;
}

static int start_workers(pool_run *r, pool_worker *wk, size_t n, char *err, size_t errlen) {
  if (n == 1) {
    worker_main(&wk[0]);
    return 0;
  }
  pthread_t tid[CF_READER_POOL_MAX_WORKERS];
  size_t started = 0;
  int rc = 0;
  for (; started < n; started++)
    if (pthread_create(&tid[started], NULL, worker_main, &wk[started]) != 0) {
      snprintf(err, errlen, "cannot start worker %zu", started + 1);
      pthread_mutex_lock(&r->lock);
      r->stop = -1;
      pthread_mutex_unlock(&r->lock);
      rc = -1;
      break;
    }
  for (size_t w = 0; w < started; w++)
    pthread_join(tid[w], NULL);
  return rc;
}

int cf_reader_pool_run(cf_reader_pool *p, char *err, size_t errlen) {
  p->done = p->todo = 0;
  p->stopped = 0;
  p->first_failed = -1;
  p->seconds = 0;
  size_t n = p->workers ? p->workers : 1;
  if (n > CF_READER_POOL_MAX_WORKERS || p->run_item == NULL) {
    snprintf(err, errlen, "at most %d workers", CF_READER_POOL_MAX_WORKERS);
    return -1;
  }
  if (p->start > p->items) {
    snprintf(err, errlen, "start index %zu is past the list's %zu items", p->start + 1, p->items);
    return -1;
  }
  p->workers = n;
  pool_run r = {.p = p};
  pool_worker *wk = calloc(n, sizeof *wk);
  r.taken = calloc(p->items + 1, 1);
  r.per_worker = p->worker_done ? p->worker_done : calloc(n, sizeof *r.per_worker);
  if (!wk || !r.taken || !r.per_worker) {
    free(wk);
    free(r.taken);
    if (!p->worker_done) free(r.per_worker);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memset(r.per_worker, 0, n * sizeof *r.per_worker);
  cf_reader_pool_lock_init(&r.lock);
  for (size_t i = 0; i < p->items; i++) {
    if (p->outcome) p->outcome[i] = CF_POOL_ITEM_NOT_RUN;
    if (p->worker_of) p->worker_of[i] = -1;
    if (i < p->start || (p->skip && p->skip[i]))
      r.taken[i] = 1;
    else
      p->todo++;
  }
  for (size_t w = 0; w < n; w++) {
    wk[w].run = &r;
    wk[w].index = w;
    wk[w].cursor = p->start;
    if (p->worker_failed) p->worker_failed[w] = -1;
  }
  r.tty = p->progress && isatty(fileno(p->progress));
  r.t0 = r.last = now_seconds();
  int rc = start_workers(&r, wk, n, err, errlen);
  p->stopped = r.stop > 0 ? r.stop : 0;
  p->seconds = now_seconds() - r.t0;
  /* a log of a parallel run ends with every reader's count */
  if (p->progress && (r.tty || n > 1)) progress_line(&r, true);
  pthread_mutex_destroy(&r.lock);
  free(wk);
  free(r.taken);
  if (!p->worker_done) free(r.per_worker);
  return rc;
}
