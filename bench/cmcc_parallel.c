/* Parallel user-card batches: cf_cmcc_user_batch with one reader against eight readers (workers),
 * each user card answering through the card timing model of tools/sim (sim_timing.h: "apdu=20ms",
 * the 20 ms per command of the real-card figure) and without it.
 *
 *   cmcc parallel batch, 1 reader, apdu=20ms     per card (CREATE + key 01 + proof by use)
 *   cmcc parallel batch, 8 readers, apdu=20ms    the same; ratio = its time per card over the
 *                                                1-reader row's (target <= 1/7: >= 7x throughput)
 *   ... no latency model                         the same pair without the model (target: ratio
 *                                                <= 1.0, eight readers no slower than one)
 *
 * The KMC and the authentication card are emulated in process without a model: the KMC is the one
 * card every worker shares (its commands are serialised), so a model on it would bound the speed-up
 * by (user-card commands + KMC commands) / KMC commands whatever the reader count; the row's note
 * gives the commands per card. Each configuration runs --rounds times (default 3), alternated
 * 1 reader / 8 readers, and the median round is reported. */
#include <pthread.h>

#include "bench_cards.h"
#include "bench_harness.h"
#include "cmcc_bench_values.h"

#include "sim_timing.h" /* tools/sim: the card timing model */
#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/hex.h"

static const char usage[] =
    "usage: bench_cmcc_parallel [options] [--readers N] [--rounds N] [--timed-cards N] [--cards N]\n"
    "cmcc user-update batches over 1 and N readers (default 8), with and without a 20 ms per-APDU model.\n"
    "  --readers N       workers of the parallel rows (default 8)\n"
    "  --rounds N        runs per configuration, the median reported (default 3)\n"
    "  --timed-cards N   cards per reader with the model (default 4)\n"
    "  --cards N         cards per run without the model (default 800)\n";

/* A user card behind a transport that answers no sooner than the model says. */
typedef struct timed_card {
  cf_transport t;
  cf_transport *inner;
  cf_store *store;
  cf_card *card;
  const cf_timing *model;
  unsigned long apdus;
} timed_card;

static int timed_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                          size_t *rlen) {
  timed_card *c = t->impl;
  cf_timing_mark m;
  cf_timing_begin(&m, c->store);
  int rc = c->inner->ops->exchange(c->inner, cmd, len, resp, cap, rlen);
  if (rc != 0) memcpy(t->err, c->inner->err, sizeof t->err);
  cf_timing_end(c->model, &m, c->store);
  c->apdus++;
  return rc;
}
static int timed_reset(cf_transport *t) {
  (void)t;
  return -1;
}
static void timed_close(cf_transport *t) {
  (void)t;
}
static const cf_transport_ops timed_ops = {timed_exchange, timed_reset, timed_close};

typedef struct worker {
  char emk_hex[33];
  const cf_timing *model;
  timed_card card;
  unsigned long apdus;
} worker;

static cf_transport *open_user(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  worker *w = ctx;
  timed_card *c = &w->card;
  char serial[17], params[128];
  cf_hex_encode(e->serial, 8, serial);
  snprintf(params, sizeof params, "serial=%s,emk=%s", serial, w->emk_hex);
  memset(c, 0, sizeof *c);
  const cf_card_profile *p = cf_card_profile_find("usercard");
  if (!p || cf_store_open_memory(&c->store) != CF_STORE_OK || !(c->card = p->create(c->store, params))) {
    snprintf(err, errlen, "cannot create an emulated user card");
    return NULL;
  }
  cf_card_power_on(c->card);
  c->inner = cf_transport_open_card(c->card);
  c->model = w->model;
  c->t.ops = &timed_ops;
  c->t.impl = c;
  snprintf(c->t.name, sizeof c->t.name, "timed user card");
  return &c->t;
}

static void close_user(void *ctx, cf_transport *t, const cf_cmcc_card_entry *e, bool ok) {
  (void)t, (void)e, (void)ok;
  worker *w = ctx;
  w->apdus += w->card.apdus;
  cf_transport_close(w->card.inner);
  cf_card_free(w->card.card);
  cf_store_close(w->card.store);
}

typedef struct setup {
  bench_card kmc, auth;
  cf_cmcc_host h;
  cf_cmcc_keysheet sheet;
  char emk_hex[33];
  cf_cmcc_user_job job;
} setup;

static int kmc_setup(const bench_cfg *cfg, setup *s) {
  char params[256];
  if (cmcc_bench_sheet(&s->sheet, s->emk_hex) != 0) return -1;
  cmcc_bench_master_params(params, sizeof params, true);
  if (bench_card_emulated(cfg, "kmc", params, "kmc", &s->kmc) != 0) return -1;
  cmcc_bench_master_params(params, sizeof params, false);
  if (bench_card_emulated(cfg, "authcard", params, "authcard", &s->auth) != 0) return -1;
  cf_cmcc_host_init(&s->h);
  s->h.card[CF_CMCC_KMC] = s->kmc.t;
  s->h.card[CF_CMCC_AUTH] = s->auth.t;
  uint8_t pin[8];
  memcpy(pin, PIN, 8);
  if (cf_cmcc_verify_pin(&s->h, CF_CMCC_KMC, CMCC_PIN_APP, pin) != 0 ||
      cf_cmcc_verify_pin(&s->h, CF_CMCC_AUTH, CMCC_PIN_APP, pin) != 0 ||
      cf_cmcc_auth_kmc_via_authcard(&s->h) != 0 || cf_cmcc_generate(&s->h, &s->sheet) != 0) {
    fprintf(stderr, "%s: KMC setup: %s: %s\n", cfg->program, s->h.step, s->h.message);
    return -1;
  }
  s->job.subapp = 0x01;
  s->job.emk_vit[0] = 0x01, s->job.emk_vit[1] = 0x01, s->job.emk_vit[2] = CMCC_KEY_ENTERPRISE_MGMT;
  s->job.create = true;
  cf_hex_decode("A1B2C3D4E5F6", s->job.eid, 6);
  s->job.nkeys = 1;
  s->job.keys[0] =
      (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 1};
  s->job.verify = true;
  return 0;
}

/* One batch of cards over readers workers; returns the wall time per card in us, or -1. */
static double one_run(const bench_cfg *cfg, setup *s, size_t readers, long cards, const cf_timing *model,
                      unsigned long *apdus_per_card) {
  static unsigned serial_base = 0x1000;
  cf_cmcc_cardlist list = {0};
  size_t cap = (size_t)cards * 18 + 1;
  char *text = malloc(cap), err[200];
  if (!text) return -1;
  size_t len = 0;
  for (long i = 0; i < cards; i++)
    len += (size_t)snprintf(text + len, cap - len, "86%014X\n", serial_base++);
  int rc = cf_cmcc_cardlist_parse(text, len, "bench", &list, err, sizeof err);
  free(text);
  if (rc != 0) return -1;
  worker *w = calloc(readers, sizeof *w);
  void **ctx = calloc(readers, sizeof *ctx);
  if (!w || !ctx) return -1;
  for (size_t k = 0; k < readers; k++) {
    memcpy(w[k].emk_hex, s->emk_hex, sizeof w[k].emk_hex);
    w[k].model = model;
    ctx[k] = &w[k];
  }
  cf_cmcc_batch b = {
      .open_card = open_user, .close_card = close_user, .ctx = &w[0], .workers = readers, .worker_ctx = ctx};
  cf_cmcc_host_clear(&s->h);
  double t0 = bench_now_us();
  rc = cf_cmcc_user_batch(&s->h, &s->job, &list, &b);
  double us = bench_now_us() - t0;
  unsigned long apdus = 0;
  for (size_t k = 0; k < readers; k++)
    apdus += w[k].apdus;
  free(w);
  free(ctx);
  cf_cmcc_cardlist_free(&list);
  if (rc != 0 || b.done != (size_t)cards) {
    fprintf(stderr, "%s: batch over %zu readers: %s: %s\n", cfg->program, readers, s->h.step, s->h.message);
    return -1;
  }
  *apdus_per_card = apdus / (unsigned long)cards;
  return us / (double)cards;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  return v[n / 2];
}

/* The pair of rows of one model: 1 reader, then N readers with the ratio of their times. */
static int pair(const bench_cfg *cfg, setup *s, size_t readers, int rounds, long cards_one, long cards_many,
                const char *model_text, double max_ratio) {
  cf_timing model;
  char err[200];
  if (cf_timing_parse(model_text, &model, err, sizeof err) != 0) {
    fprintf(stderr, "%s: %s\n", cfg->program, err);
    return -1;
  }
  double one[16], many[16];
  unsigned long apdus = 0;
  for (int r = 0; r < rounds; r++) {
    if ((one[r] = one_run(cfg, s, 1, cards_one, &model, &apdus)) < 0) return -1;
    if ((many[r] = one_run(cfg, s, readers, cards_many, &model, &apdus)) < 0) return -1;
  }
  bool timed = cf_timing_enabled(&model);
  char name1[120], name2[120], note[200];
  snprintf(name1, sizeof name1, "cmcc parallel batch, 1 reader, %s", timed ? model_text : "no model");
  snprintf(name2, sizeof name2, "cmcc parallel batch, %zu readers, %s", readers,
           timed ? model_text : "no model");
  bench_stats st1 = {.ops = cards_one * rounds, .median_us = median(one, rounds)};
  st1.min_us = one[0], st1.p90_us = one[rounds - 1], st1.per_s = 1e6 / st1.median_us;
  bench_stats st2 = {.ops = cards_many * rounds, .median_us = median(many, rounds)};
  st2.min_us = many[0], st2.p90_us = many[rounds - 1], st2.per_s = 1e6 / st2.median_us;
  st2.ratio = st2.median_us / st1.median_us;
  snprintf(
      note, sizeof note,
      "wall time per card over %ld (1 reader) / %ld (%zu readers) cards, median of %d rounds; %lu user-card "
      "APDUs + 2 KMC commands (Export, Inst_MAC) per card; ratio = %zu readers over 1 reader (throughput "
      "x%.2f)",
      cards_one, cards_many, readers, rounds, apdus, readers, 1.0 / st2.ratio);
  bench_target target = {BENCH_MAX_RATIO, max_ratio, NULL};
  bench_row(cfg, name1, "inproc", "card", &st1, NULL, NULL, note);
  bench_row(cfg, name2, "inproc", "card", &st2, &st1, &target, note);
  printf("  %s: %zu readers give x%.2f the throughput of one (%lu user-card APDUs a card)\n", model_text,
         readers, 1.0 / st2.ratio, apdus);
  return 0;
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--readers", "--rounds", "--timed-cards", "--cards", NULL};
  const char *vals[4] = {NULL, NULL, NULL, NULL};
  bench_cfg cfg;
  bench_parse(&cfg, "bench_cmcc_parallel", usage, argc, argv, extra, vals);
  long readers = vals[0] ? strtol(vals[0], NULL, 10) : 8, rounds = vals[1] ? strtol(vals[1], NULL, 10) : 3;
  long timed_cards = vals[2] ? strtol(vals[2], NULL, 10) : 4,
       cards = vals[3] ? strtol(vals[3], NULL, 10) : 800;
  if (readers < 2 || readers > CF_CMCC_BATCH_MAX_WORKERS || rounds < 1 || rounds > 16 || timed_cards < 1 ||
      timed_cards > 1000 || cards < 1 || cards > 100000) {
    fprintf(stderr,
            "bench_cmcc_parallel: --readers 2..%d, --rounds 1..16, --timed-cards 1..1000, --cards "
            "1..100000\n",
            CF_CMCC_BATCH_MAX_WORKERS);
    return 2;
  }
  if (!bench_selected(&cfg, "cmcc parallel batch")) return 0;
  if (cfg.iters > 0) return 0; /* wall-clock scenarios: nothing for callgrind to count */
  setup *s = calloc(1, sizeof *s);
  if (!s || kmc_setup(&cfg, s) != 0) return 3;
  bench_header();
  int rc = 0;
  /* the model: one reader does timed_cards x readers cards too, so both rows do the same work */
  if (pair(&cfg, s, (size_t)readers, (int)rounds, timed_cards * readers, timed_cards * readers, "apdu=20ms",
           1.0 / 7.0) != 0)
    rc = 3;
  if (rc == 0 && pair(&cfg, s, (size_t)readers, (int)rounds, cards, cards, "off", 1.0) != 0) rc = 3;
  bench_card_close(&s->auth);
  bench_card_close(&s->kmc);
  free(s);
  return rc;
}
