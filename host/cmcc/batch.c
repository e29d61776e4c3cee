/* Batches of user cards: one job over a card list, a progress line at most once a second, a clean
 * stop at the first card that refuses (nothing after it is touched), and between two cards when the
 * caller asks (an interrupt). */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/hex.h"
#include "cmcc_host_internal.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_line(FILE *f, bool tty, size_t done, size_t total, double elapsed, bool final) {
  double rate = elapsed > 0 ? (double)done / elapsed : 0;
  double eta = rate > 0 ? (double)(total - done) / rate : 0;
  /* a terminal gets one line rewritten in place; a log gets one line per report */
  fprintf(f, "%scmcc user-update: %zu/%zu cards (%.1f%%), %.0f cards/s, %s %.0f s%s", tty ? "\r" : "", done,
          total, total ? 100.0 * (double)done / (double)total : 100.0, rate, final ? "elapsed" : "ETA",
          final ? elapsed : eta, tty && !final ? "   " : "\n");
  fflush(f);
}

int cf_cmcc_user_batch(cf_cmcc_host *h, const cf_cmcc_user_job *job, const cf_cmcc_cardlist *l,
                       cf_cmcc_batch *b) {
  b->done = 0;
  b->failed = 0;
  b->stopped = 0;
  b->seconds = 0;
  if (b->start > l->count)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "batch", "start index %zu is past the list's %zu cards",
                      b->start + 1, l->count);
  bool tty = b->progress && isatty(fileno(b->progress));
  double t0 = now_seconds(), last = t0;
  size_t todo = l->count - b->start;
  int rc = 0;
  for (size_t i = b->start; i < l->count; i++) {
    /* between two cards only: a card once begun is finished */
    if (b->stop_requested && (b->stopped = b->stop_requested()) != 0) break;
    const cf_cmcc_card_entry *e = &l->cards[i];
    char serial[17], err[256] = "";
    cf_hex_encode(e->serial, 8, serial);
    cf_transport *t = b->open_card(b->ctx, e, err, sizeof err);
    if (t == NULL) {
      rc = cmcch_fail(h, CF_CMCC_E_TRANSPORT, 0, "batch", "card %zu (serial %s): %s", i + 1, serial,
                      err[0] ? err : "cannot reach the card");
      b->failed = i;
      break;
    }
    h->card[CF_CMCC_USER] = t;
    rc = cf_cmcc_user_update(h, job, e->serial);
    h->card[CF_CMCC_USER] = NULL;
    b->close_card(b->ctx, t, e, rc == 0);
    if (rc != 0) {
      /* name the card in the step, keep the card's own message */
      char step[sizeof h->step + 64] = {0};
      snprintf(step, sizeof step, "card %zu (serial %s): %s", i + 1, serial, h->step);
      memcpy(h->step, step, sizeof h->step - 1);
      h->step[sizeof h->step - 1] = 0;
      b->failed = i;
      break;
    }
    b->done++;
    double now = now_seconds();
    if (b->progress && now - last >= 1.0) {
      progress_line(b->progress, tty, b->done, todo, now - t0, false);
      last = now;
    }
  }
  b->seconds = now_seconds() - t0;
  if (b->progress && tty) progress_line(b->progress, tty, b->done, todo, b->seconds, true);
  return rc;
}
