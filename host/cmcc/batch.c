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
 * start; other programs see the KMC held for the whole batch, as with one worker.
 *
 * The scheduling, the per-card outcomes, the progress line and the shared-card wrapper are the
 * reader pool's (cardforge/reader_pool.h); this file holds what is the China Mobile job's. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/reader_pool.h"
#include "cmcc_host_internal.h"

_Static_assert((int)CF_CMCC_CARD_NOT_RUN == (int)CF_POOL_ITEM_NOT_RUN &&
                   (int)CF_CMCC_CARD_DONE == (int)CF_POOL_ITEM_DONE &&
                   (int)CF_CMCC_CARD_FAILED == (int)CF_POOL_ITEM_FAILED,
               "a batch's outcome[] is the pool's");
_Static_assert(CF_CMCC_BATCH_MAX_WORKERS <= CF_READER_POOL_MAX_WORKERS, "the pool runs every worker");

/* ---- the run: the pool's items are the list's cards ---- */

typedef struct batch_run {
  cf_cmcc_host *h;
  const cf_cmcc_user_job *job;
  const cf_cmcc_cardlist *l;
  cf_cmcc_batch *b;
  pthread_mutex_t role_lock[CF_CMCC_ROLES]; /* one per shared card */
  struct batch_worker *wk;
} batch_run;

typedef struct batch_worker {
  batch_run *run;
  size_t index;
  cf_cmcc_host host;
  cf_shared_card shared[CF_CMCC_ROLES];
} batch_worker;

/* One card: open, the job, close. Returns 0, or -1 with the failure in wk->host naming the card. */
static int one_card(void *arg, size_t worker, size_t i) {
  batch_run *r = arg;
  batch_worker *wk = &r->wk[worker];
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

static void worker_init(batch_worker *wk, batch_run *r, size_t index, bool share) {
  memset(wk, 0, sizeof *wk);
  wk->run = r;
  wk->index = index;
  wk->host = *r->h;
  cf_cmcc_host_clear(&wk->host);
  wk->host.card[CF_CMCC_USER] = NULL;
  if (!share) return;
  for (int role = 0; role < CF_CMCC_ROLES; role++) {
    if (role == CF_CMCC_USER || !r->h->card[role]) continue;
    cf_shared_card_init(&wk->shared[role], r->h->card[role], &r->role_lock[role]);
    wk->host.card[role] = &wk->shared[role].t;
  }
}

/* Runs the pool; while workers run, the shared cards' own traces (which would print unredacted
 * data) are off: the wrappers trace instead. */
static int run_pool(batch_run *r, cf_reader_pool *p) {
  FILE *trace[CF_CMCC_ROLES] = {0};
  if (p->workers > 1)
    for (int role = 0; role < CF_CMCC_ROLES; role++)
      if (role != CF_CMCC_USER && r->h->card[role]) {
        trace[role] = r->h->card[role]->trace;
        r->h->card[role]->trace = NULL;
      }
  char err[128] = "";
  int rc = cf_reader_pool_run(p, err, sizeof err);
  for (int role = 0; role < CF_CMCC_ROLES; role++)
    if (trace[role]) r->h->card[role]->trace = trace[role];
  if (rc != 0) return cmcch_fail(r->h, CF_CMCC_E_INTERNAL, 0, "batch", "%s", err);
  return 0;
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
  r.wk = calloc(n, sizeof *r.wk);
  long *failed_at = calloc(n, sizeof *failed_at);
  if (!r.wk || !failed_at) {
    free(r.wk);
    free(failed_at);
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "batch", "out of memory");
  }
  for (int role = 0; role < CF_CMCC_ROLES; role++)
    cf_reader_pool_lock_init(&r.role_lock[role]);
  for (size_t w = 0; w < n; w++)
    worker_init(&r.wk[w], &r, w, n > 1);
  cf_reader_pool p = {.items = l->count,
                      .workers = n,
                      .start = b->start,
                      .skip = b->skip,
                      .assign = b->assign,
                      .stop_requested = b->stop_requested,
                      .run_item = one_card,
                      .arg = &r,
                      .progress = b->progress,
                      .label = "cmcc user-update",
                      .unit = "cards",
                      .worker_name = b->worker_name,
                      .outcome = b->outcome,
                      .worker_of = b->worker_of,
                      .worker_done = b->worker_done,
                      .worker_failed = failed_at};
  int rc = run_pool(&r, &p);
  b->done = p.done;
  b->stopped = p.stopped;
  if (b->worker_failure)
    for (size_t w = 0; w < n; w++) {
      b->worker_failure[w] = r.wk[w].host;
      memset(b->worker_failure[w].card, 0, sizeof b->worker_failure[w].card); /* the wrappers end here */
    }
  /* the host reports the lowest-numbered card that failed */
  if (rc == 0 && p.first_failed >= 0) {
    size_t first = 0;
    while (failed_at[first] != p.first_failed)
      first++;
    b->failed = (size_t)p.first_failed;
    cf_cmcc_host keep = *h;
    *h = r.wk[first].host;
    memcpy(h->card, keep.card, sizeof h->card); /* the caller's transports, not the wrappers */
    h->hsm = keep.hsm;
    rc = cmcch_status(h); /* the failed card's code, as every flow returns it */
  }
  b->seconds = p.seconds;
  for (int role = 0; role < CF_CMCC_ROLES; role++)
    pthread_mutex_destroy(&r.role_lock[role]);
  for (size_t w = 0; w < n; w++)
    cf_wipe(&r.wk[w].host, sizeof r.wk[w].host);
  free(r.wk);
  free(failed_at);
  return rc;
}
