/* Batches of user cards: one job over a card list, by one worker or by one worker per reader.
 *
 * A worker takes the lowest-numbered card left that it may do, so the cards are begun in list
 * order; a card once begun is finished. A worker whose card fails (or whose reader cannot be
 * opened) stops; the others go on with the cards left, so a failure stops only the failing card and
 * the cards that only that reader may do (list lines naming it). An interrupt stops every worker
 * before its next card. What each card came to is recorded per card (outcome[]), so the caller's
 * resume line names exactly the cards left, whatever the order in which workers finished.
 *
 * The KMC (and any other card the host holds besides the user card) is shared by the workers: each
 * worker's host sees it through a transport that takes a mutex for one whole command exchange
 * (GET RESPONSE / resend included), inside the PC/SC transaction the command opened on it at the
 * start; other programs see the KMC held for the whole batch, as with one worker. */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP: glibc's spin-then-sleep mutex */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cmcc_host_internal.h"

/* The locks are held for one command exchange or a few stores: spinning a little before sleeping
 * spares a context switch each time another worker holds one (eight workers on two cores). */
static void lock_init(pthread_mutex_t *m) {
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
 * KMC behind a slow reader still puts the waiters to sleep after the yields. */
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

typedef struct shared_card {
  cf_transport t;
  cf_transport *inner;
  pthread_mutex_t *lock;
} shared_card;

static int shared_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                           size_t *rlen) {
  shared_card *s = t->impl;
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
  (void)t; /* the wrapper is part of its worker; the card stays the command's */
}

static const cf_transport_ops shared_ops = {shared_exchange, shared_reset, shared_close};

static void shared_card_init(shared_card *s, cf_transport *inner, pthread_mutex_t *lock) {
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

typedef struct batch_run {
  cf_cmcc_host *h;
  const cf_cmcc_user_job *job;
  const cf_cmcc_cardlist *l;
  cf_cmcc_batch *b;
  pthread_mutex_t lock;                     /* next card, outcomes, counters, progress */
  pthread_mutex_t role_lock[CF_CMCC_ROLES]; /* one per shared card */
  uint8_t *taken;
  size_t done, todo, active;
  size_t *per_worker;
  double t0, last;
  bool tty;
  int stop;
} batch_run;

typedef struct batch_worker {
  batch_run *run;
  size_t index;
  cf_cmcc_host host;
  shared_card shared[CF_CMCC_ROLES];
  size_t cursor;
  int failed_card; /* -1: none */
} batch_worker;

static void progress_line(batch_run *r, bool final) {
  cf_cmcc_batch *b = r->b;
  FILE *f = b->progress;
  double elapsed = now_seconds() - r->t0;
  double rate = elapsed > 0 ? (double)r->done / elapsed : 0;
  double eta = rate > 0 ? (double)(r->todo - r->done) / rate : 0;
  /* a terminal gets one line rewritten in place; a log gets one line per report */
  fprintf(f, "%scmcc user-update: %zu/%zu cards (%.1f%%), %.0f cards/s, %s %.0f s", r->tty ? "\r" : "",
          r->done, r->todo, r->todo ? 100.0 * (double)r->done / (double)r->todo : 100.0, rate,
          final ? "elapsed" : "ETA", final ? elapsed : eta);
  if (b->workers > 1) {
    /* every reader: its cards done, and whether it stopped on a failure */
    fputs(";", f);
    for (size_t w = 0; w < b->workers; w++) {
      if (b->worker_name)
        fprintf(f, " %s", b->worker_name[w]);
      else
        fprintf(f, " w%zu", w + 1);
      fprintf(f, ":%zu", r->per_worker[w]);
    }
  }
  fputs(r->tty && !final ? "   " : "\n", f);
  fflush(f);
}

/* Records the card the worker finished (prev >= 0) and takes the next card it may do: one lock per
 * card. Returns the card's index, or -1 when none is left, the batch stops, or prev failed. */
static long finish_and_take(batch_worker *wk, long prev, bool prev_ok) {
  batch_run *r = wk->run;
  cf_cmcc_batch *b = r->b;
  long found = -1;
  pthread_mutex_lock(&r->lock);
  if (prev >= 0) {
    if (b->outcome) b->outcome[prev] = prev_ok ? CF_CMCC_CARD_DONE : CF_CMCC_CARD_FAILED;
    if (b->worker_of) b->worker_of[prev] = (int)wk->index;
    if (prev_ok) {
      r->done++;
      r->per_worker[wk->index]++;
      double now = now_seconds();
      if (b->progress && now - r->last >= 1.0) {
        progress_line(r, false);
        r->last = now;
      }
    }
  }
  bool take = prev < 0 || prev_ok;
  if (take && !r->stop && b->stop_requested) r->stop = b->stop_requested();
  if (take && !r->stop) {
    for (size_t i = wk->cursor; i < r->l->count; i++) {
      if (r->taken[i]) {
        if (i == wk->cursor) wk->cursor++;
        continue;
      }
      if (b->assign && b->assign[i] >= 0 && (size_t)b->assign[i] != wk->index) continue;
      r->taken[i] = 1;
      found = (long)i;
      break;
    }
  }
  pthread_mutex_unlock(&r->lock);
  return found;
}

/* One card: open, the job, close. Returns 0, or -1 with the failure in wk->host naming the card. */
static int one_card(batch_worker *wk, size_t i) {
  batch_run *r = wk->run;
  cf_cmcc_batch *b = r->b;
  cf_cmcc_host *h = &wk->host;
  void *ctx = b->worker_ctx ? b->worker_ctx[wk->index] : b->ctx;
  const cf_cmcc_card_entry *e = &r->l->cards[i];
  char serial[17], err[256] = "";
  cf_hex_encode(e->serial, 8, serial);
  cf_transport *t = b->open_card(ctx, e, err, sizeof err);
  if (t == NULL)
    return cmcch_fail(h, CF_CMCC_E_TRANSPORT, 0, "batch", "card %zu (serial %s): %s", i + 1, serial,
                      err[0] ? err : "cannot reach the card");
  h->card[CF_CMCC_USER] = t;
  int rc = cf_cmcc_user_update(h, r->job, e->serial);
  h->card[CF_CMCC_USER] = NULL;
  b->close_card(ctx, t, e, rc == 0);
  if (rc != 0) {
    /* name the card in the step, keep the card's own message */
    char step[sizeof h->step + 64] = {0};
    snprintf(step, sizeof step, "card %zu (serial %s): %s", i + 1, serial, h->step);
    memcpy(h->step, step, sizeof h->step - 1);
    h->step[sizeof h->step - 1] = 0;
  }
  return rc;
}

static void *worker_main(void *arg) {
  batch_worker *wk = arg;
  long i = finish_and_take(wk, -1, true);
  while (i >= 0) {
    int rc = one_card(wk, (size_t)i);
    if (rc != 0) wk->failed_card = (int)i; /* this reader stops; the others go on */
    i = finish_and_take(wk, i, rc == 0);
  }
  return NULL;
}

static void worker_init(batch_worker *wk, batch_run *r, size_t index, bool share) {
  memset(wk, 0, sizeof *wk);
  wk->run = r;
  wk->index = index;
  wk->cursor = r->b->start;
  wk->failed_card = -1;
  wk->host = *r->h;
  cf_cmcc_host_clear(&wk->host);
  wk->host.card[CF_CMCC_USER] = NULL;
  if (!share) return;
  for (int role = 0; role < CF_CMCC_ROLES; role++) {
    if (role == CF_CMCC_USER || !r->h->card[role]) continue;
    shared_card_init(&wk->shared[role], r->h->card[role], &r->role_lock[role]);
    wk->host.card[role] = &wk->shared[role].t;
  }
}

static int run_workers(batch_run *r, batch_worker *wk, size_t n) {
  if (n == 1) {
    worker_main(&wk[0]);
    return 0;
  }
  /* the shared cards' own traces would print unredacted data: the wrappers trace instead */
  FILE *trace[CF_CMCC_ROLES] = {0};
  for (int role = 0; role < CF_CMCC_ROLES; role++)
    if (role != CF_CMCC_USER && r->h->card[role]) {
      trace[role] = r->h->card[role]->trace;
      r->h->card[role]->trace = NULL;
    }
  pthread_t tid[CF_CMCC_BATCH_MAX_WORKERS];
  size_t started = 0;
  int rc = 0;
  for (; started < n; started++)
    if (pthread_create(&tid[started], NULL, worker_main, &wk[started]) != 0) {
      rc = cmcch_fail(r->h, CF_CMCC_E_INTERNAL, 0, "batch", "cannot start worker %zu", started + 1);
      pthread_mutex_lock(&r->lock);
      r->stop = -1;
      pthread_mutex_unlock(&r->lock);
      break;
    }
  for (size_t w = 0; w < started; w++)
    pthread_join(tid[w], NULL);
  for (int role = 0; role < CF_CMCC_ROLES; role++)
    if (trace[role]) r->h->card[role]->trace = trace[role];
  return rc;
}

int cf_cmcc_user_batch(cf_cmcc_host *h, const cf_cmcc_user_job *job, const cf_cmcc_cardlist *l,
                       cf_cmcc_batch *b) {
  b->done = 0;
  b->failed = 0;
  b->stopped = 0;
  b->seconds = 0;
  size_t n = b->workers ? b->workers : 1;
  if (b->start > l->count)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "batch", "start index %zu is past the list's %zu cards",
                      b->start + 1, l->count);
  if (n > CF_CMCC_BATCH_MAX_WORKERS)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "batch", "at most %d workers", CF_CMCC_BATCH_MAX_WORKERS);
  batch_run r = {.h = h, .job = job, .l = l, .b = b};
  batch_worker *wk = calloc(n, sizeof *wk);
  r.taken = calloc(l->count + 1, 1);
  r.per_worker = b->worker_done ? b->worker_done : calloc(n, sizeof *r.per_worker);
  if (!wk || !r.taken || !r.per_worker) {
    free(wk);
    free(r.taken);
    if (!b->worker_done) free(r.per_worker);
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "batch", "out of memory");
  }
  memset(r.per_worker, 0, n * sizeof *r.per_worker);
  lock_init(&r.lock);
  for (int role = 0; role < CF_CMCC_ROLES; role++)
    lock_init(&r.role_lock[role]);
  for (size_t i = 0; i < l->count; i++) {
    if (b->outcome) b->outcome[i] = CF_CMCC_CARD_NOT_RUN;
    if (b->worker_of) b->worker_of[i] = -1;
    if (i < b->start || (b->skip && b->skip[i]))
      r.taken[i] = 1;
    else
      r.todo++;
  }
  for (size_t w = 0; w < n; w++)
    worker_init(&wk[w], &r, w, n > 1);
  r.tty = b->progress && isatty(fileno(b->progress));
  r.t0 = r.last = now_seconds();
  int rc = run_workers(&r, wk, n);
  b->done = r.done;
  b->stopped = r.stop > 0 ? r.stop : 0;
  /* the host reports the lowest-numbered card that failed */
  int first = -1;
  for (size_t w = 0; w < n; w++) {
    if (b->worker_failure) {
      b->worker_failure[w] = wk[w].host;
      memset(b->worker_failure[w].card, 0, sizeof b->worker_failure[w].card); /* the wrappers end here */
    }
    if (wk[w].failed_card >= 0 && (first < 0 || wk[w].failed_card < wk[first].failed_card)) first = (int)w;
  }
  if (rc == 0 && first >= 0) {
    b->failed = (size_t)wk[first].failed_card;
    cf_cmcc_host keep = *h;
    *h = wk[first].host;
    memcpy(h->card, keep.card, sizeof h->card); /* the caller's transports, not the wrappers */
    h->hsm = keep.hsm;
    rc = -1;
  }
  b->seconds = now_seconds() - r.t0;
  /* a log of a parallel run ends with every reader's count */
  if (b->progress && (r.tty || n > 1)) progress_line(&r, true);
  for (int role = 0; role < CF_CMCC_ROLES; role++)
    pthread_mutex_destroy(&r.role_lock[role]);
  pthread_mutex_destroy(&r.lock);
  for (size_t w = 0; w < n; w++)
    cf_wipe(&wk[w].host, sizeof wk[w].host);
  free(wk);
  free(r.taken);
  if (!b->worker_done) free(r.per_worker);
  return rc;
}
