/* Parallel user-card batches (cf_cmcc_user_batch with workers > 1): every card is written and
 * proved by use through the one shared KMC, the per-card outcome equals a one-worker run's, a
 * failing card stops only its worker (and, with cards assigned to readers, only that reader's
 * cards), and an interrupt leaves exactly a suffix of the list to do. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/cmcc.h"
#include "cardforge/hex.h"
#include "cmcc_host_world.h"

#define CARDS 120
#define WORKERS 4

/* Per worker: its own emulated user card at a time. */
typedef struct worker_ctx {
  char emk_hex[33];
  long bad_index; /* the card at this list index holds another enterprise's key (-1: none) */
  const cf_cmcc_cardlist *list;
  loose_card user;
  size_t opened;
} worker_ctx;

static cf_transport *batch_open(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  (void)err, (void)errlen;
  worker_ctx *b = ctx;
  char params[128], serial[17];
  cf_hex_encode(e->serial, 8, serial);
  long index = (long)(e - b->list->cards);
  snprintf(params, sizeof params, "serial=%s,emk=%s", serial,
           index == b->bad_index ? "00112233445566778899AABBCCDDEEFF" : b->emk_hex);
  b->opened++;
  return loose_card_open(&b->user, "usercard", params);
}

static void batch_close(void *ctx, cf_transport *t, const cf_cmcc_card_entry *e, bool ok) {
  (void)e, (void)ok;
  loose_card_close(&((worker_ctx *)ctx)->user, t);
}

static cf_cmcc_user_job user_job(void) {
  cf_cmcc_user_job job;
  memset(&job, 0, sizeof job);
  job.subapp = 0x03;
  job.emk_vit[0] = 0x01, job.emk_vit[1] = 0x01, job.emk_vit[2] = CMCC_KEY_ENTERPRISE_MGMT;
  job.create = true;
  hexb("0A0B0C0D0E0F", job.eid, 6);
  job.nkeys = 1;
  job.keys[0] = (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 1};
  job.verify = true; /* READ back and VERIFY MAC through the shared KMC: a card done is a card proved */
  return job;
}

typedef struct fixture {
  world *w;
  cf_cmcc_cardlist list;
  worker_ctx wc[WORKERS];
  void *ctx[WORKERS];
  uint8_t outcome[CARDS];
  int worker_of[CARDS];
  cf_cmcc_host failure[WORKERS];
  size_t worker_done[WORKERS];
  cf_cmcc_batch b;
  cf_cmcc_user_job job;
} fixture;

static fixture *fixture_new(size_t workers, long bad_index) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->w = world_new("");
  world_enterprise(f->w);
  char text[CARDS * 18 + 1];
  size_t n = 0;
  for (int i = 0; i < CARDS; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "86000000%08X\n", 0x500 + i);
  char err[200];
  assert_int_equal(cf_cmcc_cardlist_parse(text, n, "list", &f->list, err, sizeof err), 0);
  uint8_t emk[16];
  world_sheet_key(f->w, W_ATTR_EMK, emk);
  for (size_t k = 0; k < WORKERS; k++) {
    cf_hex_encode(emk, 16, f->wc[k].emk_hex);
    f->wc[k].bad_index = bad_index;
    f->wc[k].list = &f->list;
    f->ctx[k] = &f->wc[k];
  }
  f->b = (cf_cmcc_batch){.open_card = batch_open,
                         .close_card = batch_close,
                         .ctx = &f->wc[0],
                         .workers = workers,
                         .worker_ctx = f->ctx,
                         .outcome = f->outcome,
                         .worker_of = f->worker_of,
                         .worker_failure = f->failure,
                         .worker_done = f->worker_done};
  f->job = user_job();
  return f;
}

static void fixture_free(fixture *f) {
  cf_cmcc_cardlist_free(&f->list);
  world_free(f->w);
  free(f);
}

static void parallel_equals_sequential(void **state) {
  (void)state;
  fixture *seq = fixture_new(1, -1), *par = fixture_new(WORKERS, -1);
  assert_int_equal(cf_cmcc_user_batch(&seq->w->host, &seq->job, &seq->list, &seq->b), 0);
  cf_transport *kmc = par->w->host.card[CF_CMCC_KMC];
  if (cf_cmcc_user_batch(&par->w->host, &par->job, &par->list, &par->b) != 0)
    fail_msg("%s: %s", par->w->host.step, par->w->host.message);
  assert_int_equal(seq->b.done, CARDS);
  assert_int_equal(par->b.done, CARDS);
  assert_memory_equal(seq->outcome, par->outcome, CARDS);
  size_t sum = 0, opened = 0;
  for (size_t k = 0; k < WORKERS; k++)
    sum += par->worker_done[k], opened += par->wc[k].opened;
  assert_int_equal(sum, CARDS);
  assert_int_equal(opened, CARDS); /* each card opened once, by one worker */
  for (size_t i = 0; i < CARDS; i++)
    assert_true(par->worker_of[i] >= 0 && par->worker_of[i] < WORKERS);
  /* the KMC the caller holds is its own transport again, still usable */
  assert_ptr_equal(par->w->host.card[CF_CMCC_KMC], kmc);
  uint8_t attrs[64][CF_CMCC_ATTR_LEN];
  assert_true(cf_cmcc_read_keyinfo(&par->w->host, CF_CMCC_KMC, attrs, 64) > 0);
  fixture_free(seq);
  fixture_free(par);
}

/* Any worker may take any card: the bad card stops its worker only, every other card is done. */
static void failure_stops_only_that_card(void **state) {
  (void)state;
  fixture *f = fixture_new(WORKERS, 37);
  assert_int_equal(cf_cmcc_user_batch(&f->w->host, &f->job, &f->list, &f->b), CF_CMCC_E_CARD);
  assert_int_equal(f->w->host.status, CF_CMCC_E_CARD);
  assert_int_equal(f->w->host.sw, 0x6988);
  assert_non_null(strstr(f->w->host.step, "card 38 "));
  assert_int_equal(f->b.failed, 37);
  for (size_t i = 0; i < CARDS; i++)
    assert_int_equal(f->outcome[i], i == 37 ? CF_CMCC_CARD_FAILED : CF_CMCC_CARD_DONE);
  assert_int_equal(f->b.done, CARDS - 1);
  int bad_worker = f->worker_of[37];
  assert_int_equal(f->failure[bad_worker].status, CF_CMCC_E_CARD);
  fixture_free(f);
}

/* Cards assigned to readers (line i to reader i mod 4): the reader whose card fails stops; its later
 * cards are left, every other reader's cards are done. */
static void failure_stops_only_that_reader(void **state) {
  (void)state;
  fixture *f = fixture_new(WORKERS, 42);
  int assign[CARDS];
  for (int i = 0; i < CARDS; i++)
    assign[i] = i % WORKERS;
  f->b.assign = assign;
  assert_int_equal(cf_cmcc_user_batch(&f->w->host, &f->job, &f->list, &f->b), CF_CMCC_E_CARD);
  assert_int_equal(f->b.failed, 42);
  size_t left = 0;
  for (size_t i = 0; i < CARDS; i++) {
    uint8_t want = CF_CMCC_CARD_DONE;
    if (i % WORKERS == 42 % WORKERS && i >= 42) want = i == 42 ? CF_CMCC_CARD_FAILED : CF_CMCC_CARD_NOT_RUN;
    assert_int_equal(f->outcome[i], want);
    if (f->outcome[i] == CF_CMCC_CARD_DONE) assert_int_equal(f->worker_of[i], (int)(i % WORKERS));
    left += want != CF_CMCC_CARD_DONE;
  }
  assert_int_equal(f->b.done, CARDS - left);
  assert_int_equal(f->wc[42 % WORKERS].opened, 42 / WORKERS + 1); /* nothing after its failure */
  fixture_free(f);
}

static int polls;
static int stop_at_tenth_poll(void) {
  return ++polls >= 10 ? SIGINT : 0;
}

/* An interrupt: the cards begun are finished, none is begun after it, and what is left is a
 * suffix of the list (cards are begun in list order), so --from names it exactly. */
static void interrupt_leaves_a_suffix(void **state) {
  (void)state;
  fixture *f = fixture_new(WORKERS, -1);
  f->b.start = 5;
  f->b.stop_requested = stop_at_tenth_poll;
  polls = 0;
  assert_int_equal(cf_cmcc_user_batch(&f->w->host, &f->job, &f->list, &f->b), 0);
  assert_int_equal(f->b.stopped, SIGINT);
  assert_int_equal(f->b.done, 9); /* the 10th poll stops; the 9 cards taken before it are finished */
  for (size_t i = 0; i < CARDS; i++)
    assert_int_equal(f->outcome[i], i >= 5 && i < 14 ? CF_CMCC_CARD_DONE : CF_CMCC_CARD_NOT_RUN);
  fixture_free(f);
}

/* Lines left out (skip) are never opened; the batch does exactly the others. */
static void skip_leaves_lines_out(void **state) {
  (void)state;
  fixture *f = fixture_new(WORKERS, -1);
  uint8_t skip[CARDS];
  for (size_t i = 0; i < CARDS; i++)
    skip[i] = i % 3 != 0;
  f->b.skip = skip;
  assert_int_equal(cf_cmcc_user_batch(&f->w->host, &f->job, &f->list, &f->b), 0);
  assert_int_equal(f->b.done, CARDS / 3);
  for (size_t i = 0; i < CARDS; i++)
    assert_int_equal(f->outcome[i], skip[i] ? CF_CMCC_CARD_NOT_RUN : CF_CMCC_CARD_DONE);
  fixture_free(f);
}

static void too_many_workers_refused(void **state) {
  (void)state;
  fixture *f = fixture_new(CF_CMCC_BATCH_MAX_WORKERS + 1, -1);
  assert_int_equal(cf_cmcc_user_batch(&f->w->host, &f->job, &f->list, &f->b), CF_CMCC_E_INPUT);
  assert_int_equal(f->w->host.status, CF_CMCC_E_INPUT);
  for (size_t i = 0; i < CARDS; i++)
    assert_int_equal(f->outcome[i], CF_CMCC_CARD_NOT_RUN);
  fixture_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parallel_equals_sequential),     cmocka_unit_test(failure_stops_only_that_card),
      cmocka_unit_test(failure_stops_only_that_reader), cmocka_unit_test(interrupt_leaves_a_suffix),
      cmocka_unit_test(skip_leaves_lines_out),          cmocka_unit_test(too_many_workers_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
