/* The China Mobile key master card (KMC) and the user-card key update of spec 4.1.4, driven by the
 * host flows (cmcc_host.h) over transports.
 *
 *   cmcc KMC Export Keys&Data, 2 levels   one export (P1 00: 8-byte factors, session key, MAC
 *                                         9.19): the export key diversified over two levels and
 *                                         one target key diversified over two levels
 *   cmcc user-card key update batch       cf_cmcc_user_batch over N serials, one fresh emulated
 *                                         user card per serial as `cardforge cmcc user-update
 *                                         --user-sim` makes them: GET CHALLENGE, Export, CREATE
 *                                         SUB_APPLICATION with key 01 (per card); per card
 *   ... with proof by use                 the CLI's default: + READ, GET CHALLENGE, Inst_MAC
 *                                         Generate and VERIFY MAC
 * Through pcscd (--reader KMC_READER --user-reader USER_READER): the KMC and one user card (made
 * with the parameters --print-user-card prints) in readers; the batch repeats UPDATE
 * SUB_APPLICATION KEYS on that card N times. The authentication card stays in process: it only
 * serves the KMC's authentication at setup.
 *
 * Floors (3DES two-key; a diversification level = one 3DES-ECB pass of 2 blocks):
 *   Export, 2 levels: 2 + 2 levels, session key, 3 blocks of key data, MAC over 32 bytes.
 *   One card: GET CHALLENGE random; KMC: export key (1 level), session key, key 01 (1 level),
 *   4 blocks of data (eid + key record), MAC over 40 bytes; user card: its export key and session
 *   key, the same MAC, the decryption. Proof by use adds 2 randoms, the KMC's key + session key +
 *   MAC over 24 bytes, the card's session key + MAC. */
#include "bench_cards.h"
#include "bench_floor.h"
#include "bench_harness.h"
#include "cmcc_bench_values.h"

#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/hex.h"

static const char usage[] =
    "usage: bench_cmcc [options] [--cards N] [--reader KMC --user-reader USER] [--print-user-card]\n"
    "KMC Export Keys&Data and the user-card key update batch (cards per second).\n"
    "  --cards N           user cards per batch in process (default 500; through a reader: 1)\n"
    "  --reader R          the KMC is in PC/SC reader R (card kmc with --print-kmc-card's params)\n"
    "  --user-reader R     the user card is in PC/SC reader R (with --print-user-card's params)\n"
    "  --print-kmc-card    print the sim --card spec of the KMC and exit\n"
    "  --print-user-card   print the sim --card spec of the user card and exit\n"
    "  --store DIR         emulated cards in files under DIR (default: memory)\n";

#define USER_SERIAL "8600000000000001"

typedef struct cmcc_bench {
  const bench_cfg *cfg;
  cf_cmcc_host h;
  bench_card kmc, auth, user; /* user: only through PC/SC */
  cf_cmcc_keysheet sheet;
  char emk_hex[33];
  /* the batch */
  cf_cmcc_cardlist list;
  cf_cmcc_user_job job;
  cf_cmcc_batch batch;
  bench_card current; /* the emulated user card of the batch entry being done */
  long opened;
  /* Export Keys&Data */
  cf_cmcc_export_req export_req;
  cf_cmcc_target_key export_keys[1];
  uint8_t export_factors[16];
} cmcc_bench;

static int fail(cmcc_bench *b, const char *what) {
  fprintf(stderr, "%s: %s: %s: %s (SW %04X)\n", b->cfg->program, what, b->h.step, b->h.message, b->h.sw);
  return -1;
}

static void hex16(const char *hex, uint8_t out[16]) {
  cf_hex_decode(hex, out, 16);
}

static void card_params(char *out, size_t cap, bool kmc, const char *emk_hex) {
  if (kmc)
    cmcc_bench_master_params(out, cap, true);
  else
    snprintf(out, cap, "serial=%s,emk=%s", USER_SERIAL, emk_hex);
}

/* PIN 02 on the KMC and the authentication card, the KMC's authentication of the master-card
 * master key through the authentication card, then the sheet's keys (EMK 08, EAK 09). */
static int setup_kmc(cmcc_bench *b) {
  char params[256];
  card_params(params, sizeof params, true, NULL);
  if (bench_card_open(b->cfg, "kmc", params, "kmc", &b->kmc) != 0) return -1;
  cmcc_bench_master_params(params, sizeof params, false);
  bench_cfg in_process = *b->cfg;
  in_process.reader = NULL;
  if (bench_card_emulated(&in_process, "authcard", params, "authcard", &b->auth) != 0) return -1;
  cf_cmcc_host_init(&b->h);
  b->h.card[CF_CMCC_KMC] = b->kmc.t;
  b->h.card[CF_CMCC_AUTH] = b->auth.t;
  uint8_t pin[8];
  memcpy(pin, PIN, 8);
  if (cf_cmcc_verify_pin(&b->h, CF_CMCC_KMC, CMCC_PIN_APP, pin) != 0 ||
      cf_cmcc_verify_pin(&b->h, CF_CMCC_AUTH, CMCC_PIN_APP, pin) != 0 ||
      cf_cmcc_auth_kmc_via_authcard(&b->h) != 0 || cf_cmcc_generate(&b->h, &b->sheet) != 0)
    return fail(b, "KMC setup");
  return 0;
}

/* ---- Export Keys&Data ---- */
static int op_export(void *p) {
  cmcc_bench *b = p;
  uint8_t apdu[300];
  size_t len = 0;
  return cf_cmcc_export(&b->h, &b->export_req, apdu, sizeof apdu, &len) == 0 ? 0
                                                                             : fail(b, "Export Keys&Data");
}

/* ---- the batch ---- */
static cf_transport *open_user(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  cmcc_bench *b = ctx;
  if (b->user.t != NULL) return b->user.t; /* the card in the reader */
  char serial[17], params[128], tag[40];
  cf_hex_encode(e->serial, 8, serial);
  snprintf(params, sizeof params, "serial=%s,emk=%s", serial, b->emk_hex);
  /* file stores: a handful of files reused in turn, each created afresh */
  snprintf(tag, sizeof tag, "usercard-%ld", b->opened++ % 8);
  if (bench_card_emulated(b->cfg, "usercard", params, tag, &b->current) != 0) {
    snprintf(err, errlen, "cannot create an emulated user card");
    return NULL;
  }
  return b->current.t;
}

static void close_user(void *ctx, cf_transport *t, const cf_cmcc_card_entry *e, bool ok) {
  cmcc_bench *b = ctx;
  if (b->user.t == NULL) bench_card_close(&b->current);
}

static int op_batch(void *p) {
  cmcc_bench *b = p;
  cf_cmcc_host_clear(&b->h);
  if (cf_cmcc_user_batch(&b->h, &b->job, &b->list, &b->batch) != 0) return fail(b, "user-card batch");
  return b->batch.done == b->list.count ? 0 : -1;
}

/* ---- floors ---- */
static struct {
  uint8_t key[16], buf[512], out[512], iv[8], mac[8];
  long cards;
} F;

static void floor_div(void) {
  floor_des3(F.key, false, NULL, 1, F.buf, F.out, 16);
}
static void floor_ecb(size_t len, int enc) {
  floor_des3(F.key, false, NULL, enc, F.buf, F.out, len);
}
static void floor_mac(size_t padded) {
  floor_retail_mac(F.key, F.iv, F.buf, padded, F.mac);
}
static void floor_rand(size_t n) {
  if (RAND_bytes(F.out, (int)n) != 1) floor_fail("random");
}

static int floor_export(void *p) {
  for (int i = 0; i < 5; i++)
    floor_div(); /* export key 2 levels, session key, target key 2 levels */
  floor_div();
  floor_ecb(24, 1); /* id || version || key (18 bytes) padded */
  floor_mac(32);    /* CIPP || Lc || 24 bytes of cipher, padded */
  return 0;
}

static void floor_one_card(bool verify) {
  floor_rand(4); /* GET CHALLENGE */
  for (int i = 0; i < 3; i++)
    floor_div();    /* KMC: export key, session key, key 01 */
  floor_ecb(32, 1); /* eid (6) + 01 01 + key (16), padded */
  floor_mac(40);    /* CIPP || Lc || 32 bytes, padded */
  floor_div();      /* user card: export key, session key */
  floor_div();
  floor_mac(40);
  floor_ecb(32, 0);
  if (!verify) return;
  floor_rand(16); /* the probe */
  floor_rand(4);  /* GET CHALLENGE */
  for (int i = 0; i < 3; i++)
    floor_div(); /* KMC key 01 for the serial and session key; card's session key */
  floor_mac(24); /* CIPP || Lc || probe, padded: KMC, then the card */
  floor_mac(24);
}

static int floor_batch(void *p) {
  for (long i = 0; i < F.cards; i++)
    floor_one_card(false);
  return 0;
}

static int floor_batch_verify(void *p) {
  for (long i = 0; i < F.cards; i++)
    floor_one_card(true);
  return 0;
}

/* In process, one serial per emulated card; through a reader, the one card in it (a list may not
 * name a card twice, so each batch is that card once). */
static int build_list(cmcc_bench *b, long n) {
  if (b->user.t != NULL) n = 1;
  size_t cap = (size_t)n * 18 + 1;
  char *text = malloc(cap), err[256];
  if (text == NULL) return -1;
  size_t len = 0;
  for (long i = 0; i < n; i++)
    len += b->user.t ? (size_t)snprintf(text + len, cap - len, "%s\n", USER_SERIAL)
                     : (size_t)snprintf(text + len, cap - len, "86000000%08lX\n", 0x1000 + i);
  int rc = cf_cmcc_cardlist_parse(text, len, "bench", &b->list, err, sizeof err);
  if (rc != 0) fprintf(stderr, "%s: %s\n", b->cfg->program, err);
  free(text);
  return rc;
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--cards", "--user-reader", "--print-user-card", "--print-kmc-card",
                                      NULL};
  const char *vals[4] = {NULL, NULL, NULL, NULL};
  /* the two --print options take no value: accept them bare */
  for (int i = 1; i < argc; i++) {
    bool user = strcmp(argv[i], "--print-user-card") == 0, kmc = strcmp(argv[i], "--print-kmc-card") == 0;
    if (!user && !kmc) continue;
    cmcc_bench tmp;
    memset(&tmp, 0, sizeof tmp);
    uint8_t seed[16], emk[16];
    hex16(SEED, seed);
    if (cmcc_generated_key(seed, attr_emk, emk) != 0) return 3;
    cf_hex_encode(emk, 16, tmp.emk_hex);
    char params[256];
    card_params(params, sizeof params, kmc, tmp.emk_hex);
    printf("%s:%s\n", kmc ? "kmc" : "usercard", params);
    return 0;
  }
  bench_cfg cfg;
  bench_parse(&cfg, "bench_cmcc", usage, argc, argv, extra, vals);
  long cards = vals[0] ? strtol(vals[0], NULL, 10) : 500;
  if (cards < 1 || cards > 1000000) {
    fprintf(stderr, "bench_cmcc: --cards wants 1..1000000\n");
    return 2;
  }
  bool pcsc = cfg.reader != NULL;
  if (pcsc != (vals[1] != NULL)) {
    fprintf(stderr, "bench_cmcc: --reader (KMC) and --user-reader go together\n");
    return 2;
  }
  char names[3][160];
  snprintf(names[0], sizeof names[0], "cmcc KMC Export Keys&Data (2-level diversification)");
  snprintf(names[1], sizeof names[1], "cmcc user-card key update batch (%s)",
           pcsc ? "UPDATE KEYS, one card" : "CREATE + key 01, fresh card per serial");
  snprintf(names[2], sizeof names[2], "cmcc user-card key update batch + proof by use");
  bool want[3], any = false;
  for (int i = 0; i < 3; i++)
    any |= want[i] = bench_selected(&cfg, names[i]);
  if (!any) return 0;
  bench_header();
  floor_init();
  for (size_t i = 0; i < sizeof F.buf; i++)
    F.buf[i] = (uint8_t)(i * 5 + 1);
  hex16(K01, F.key);

  cmcc_bench *b = calloc(1, sizeof *b);
  if (b == NULL) return 3;
  b->cfg = &cfg;
  if (cmcc_bench_sheet(&b->sheet, b->emk_hex) != 0) return 3;
  if (setup_kmc(b) != 0) return 3;
  if (pcsc && bench_card_pcsc(&cfg, vals[1], &b->user) != 0) return 3;

  /* Export Keys&Data: both diversifications over two levels */
  static const uint8_t cipp[4] = {CMCC_TGT_CLA_SECURE, CMCC_UC_INS_UPDATE_SUBAPP_KEYS, 0x01, 0x00};
  cf_hex_decode("11223344556677888600000000000001", b->export_factors, 16);
  b->export_keys[0] =
      (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 2};
  memcpy(b->export_keys[0].factors, b->export_factors, 16);
  b->export_req = (cf_cmcc_export_req){.p1 = 0x00,
                                       .random = {1, 2, 3, 4},
                                       .export_levels = 2,
                                       .export_factors = b->export_factors,
                                       .export_vit = {0x01, 0x01, CMCC_KEY_ENTERPRISE_MGMT},
                                       .nkeys = 1,
                                       .keys = b->export_keys,
                                       .tattr_len = CMCC_TGT_KEY_ATTR_LEN};
  memcpy(b->export_req.cipp, cipp, 4);

  /* the job: sub-application 01, key 01 version 01 = the enterprise application key per card */
  b->job.subapp = 0x01;
  b->job.emk_vit[0] = 0x01, b->job.emk_vit[1] = 0x01, b->job.emk_vit[2] = CMCC_KEY_ENTERPRISE_MGMT;
  b->job.nkeys = 1;
  b->job.keys[0] =
      (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 1};
  cf_hex_decode("A1B2C3D4E5F6", b->job.eid, 6);
  b->batch = (cf_cmcc_batch){.open_card = open_user, .close_card = close_user, .ctx = b};
  if (build_list(b, cards) != 0) return 3;
  cards = (long)b->list.count;
  F.cards = cards;
  if (pcsc) {
    /* the card in the reader gets its sub-application once (a kept card may have it already) */
    b->job.create = true;
    cf_cmcc_card_entry *first = &b->list.cards[0];
    cf_cmcc_cardlist one = {.cards = first, .count = 1, .cap = 1};
    cf_cmcc_host_clear(&b->h);
    if (cf_cmcc_user_batch(&b->h, &b->job, &one, &b->batch) != 0 && b->h.sw != CMCC_SW_ALREADY_EXISTS) {
      fail(b, "CREATE SUB_APPLICATION");
      return 3;
    }
    b->job.create = false;
  } else {
    b->job.create = true;
  }

  const char *path = bench_path(&cfg);
  static const bench_target within_2x = {BENCH_MAX_RATIO, 2.0, "inproc"};
  static const bench_target per_s_10k = {BENCH_MIN_PER_S, 10000, "inproc"};
  int rc = 0;
  if (want[0] &&
      bench_run(&cfg, names[0], path, "apdu", op_export, b, floor_export, NULL, &within_2x,
                "cf_cmcc_export (command + GET RESPONSE); floor = 7 3DES passes + retail MAC") != 0)
    rc = 3;
  char note[200];
  snprintf(note, sizeof note, "cf_cmcc_user_batch over %ld cards; figures per card", cards);
  b->job.verify = false;
  if (rc == 0 && want[1] &&
      bench_run_n(&cfg, names[1], path, "card", (double)cards, op_batch, b, floor_batch, NULL, &per_s_10k,
                  note) != 0)
    rc = 3;
  b->job.verify = true;
  if (rc == 0 && want[2] &&
      bench_run_n(&cfg, names[2], path, "card", (double)cards, op_batch, b, floor_batch_verify, NULL, NULL,
                  note) != 0)
    rc = 3;
  cf_cmcc_cardlist_free(&b->list);
  bench_card_close(&b->user);
  bench_card_close(&b->auth);
  bench_card_close(&b->kmc);
  free(b);
  return rc;
}
