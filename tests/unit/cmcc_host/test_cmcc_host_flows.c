/* Every chapter-4 flow of the China Mobile host, in-process against the emulated cards. Each result
 * is proved by use (a later command that needs the received key is accepted, or the card computes
 * with it what the host computes independently), and tampered MACs and wrong PINs are refused with
 * the spec's status word and change nothing. */
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
#include "cardforge/cmcc_crypto.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cmcc_host_world.h"

#define OK(w, call)                                                                                          \
  do {                                                                                                       \
    if ((call) != 0 || (w)->host.status != CF_CMCC_OK)                                                       \
      fail_msg("%s: %s", (w)->host.step, (w)->host.message);                                                 \
  } while (0)

/* The call must fail with this status, returned and recorded (and status word, when a card refused). */
#define REFUSED(w, call, st, sw_)                                                                            \
  do {                                                                                                       \
    assert_int_equal((call), (st));                                                                          \
    if ((w)->host.status != (st) || ((sw_) && (w)->host.sw != (sw_)))                                        \
      fail_msg("expected status %d SW %04X, got %d SW %04X (%s: %s)", (st), (unsigned)(sw_),                 \
               (w)->host.status, (w)->host.sw, (w)->host.step, (w)->host.message);                           \
    cf_cmcc_host_clear(&(w)->host);                                                                          \
  } while (0)

static uint8_t app_pin[8];

static void internal_auth(world *w, cf_cmcc_role r, uint8_t p1, uint8_t p2, const uint8_t key[16]) {
  /* The target encrypts a random block with its stored key; the host knows what that key must be. */
  uint8_t apdu[5 + 8], resp[256], expect[8];
  size_t rlen = 0;
  apdu[0] = 0x00, apdu[1] = CMCC_TGT_INS_INTERNAL_AUTH, apdu[2] = p1, apdu[3] = p2, apdu[4] = 8;
  assert_int_equal(cf_rand(apdu + 5, 8), 0);
  assert_int_equal(world_send(w, r, apdu, sizeof apdu, resp, &rlen), 0x9000);
  assert_int_equal(rlen, 8);
  assert_int_equal(cf_des3_ecb_encrypt(key, 16, apdu + 5, expect, 8), 0);
  assert_memory_equal(resp, expect, 8);
}

/* ---- 4.1.1 PIN verification ---- */

static void cmcc_host_pin_flow(void **state) {
  (void)state;
  world *w = world_new("");
  uint8_t wrong[8];
  memcpy(wrong, "00000000", 8);
  for (int r = CF_CMCC_KMC; r <= CF_CMCC_WORK; r++)
    OK(w, cf_cmcc_verify_pin(&w->host, r, CMCC_PIN_APP, app_pin));
  /* wrong PIN: 63C2, and after the right one the card is byte for byte as before (only the try
   * counter moved, and the right PIN restored it) */
  snapshot before;
  snapshot_take(w, CF_CMCC_KMC, &before);
  REFUSED(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_KMC, CMCC_PIN_APP, wrong), CF_CMCC_E_CARD, 0x63C2);
  /* the failed verification dropped the PIN state: key commands are refused and change nothing */
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_AUTH, CMCC_PIN_APP, app_pin));
  OK(w, cf_cmcc_auth_kmc_via_authcard(&w->host));
  REFUSED(w, cf_cmcc_generate(&w->host, &w->sheet), CF_CMCC_E_CARD, 0x6982);
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_KMC, CMCC_PIN_APP, app_pin));
  assert_true(snapshot_equal(w, CF_CMCC_KMC, &before));
  snapshot_free(&before);
  /* three wrong PINs block it (spec table 8-1-3: 6985); the operator reloads it through the HSM */
  REFUSED(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, wrong), CF_CMCC_E_CARD, 0x63C2);
  REFUSED(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, wrong), CF_CMCC_E_CARD, 0x63C1);
  REFUSED(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, wrong), CF_CMCC_E_CARD, 0x63C0);
  REFUSED(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, app_pin), CF_CMCC_E_CARD, 0x6985);
  uint8_t fresh[8];
  memcpy(fresh, "NEWPIN02", 8);
  REFUSED(w, cf_cmcc_reload_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, fresh), CF_CMCC_E_CARD, 0x6982);
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_WORK, CMCC_AUTH_P2_OPERATOR, -1, -1));
  OK(w, cf_cmcc_reload_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, fresh));
  REFUSED(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, app_pin), CF_CMCC_E_CARD, 0x63C2);
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, fresh));
  OK(w, cf_cmcc_change_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, fresh, app_pin));
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, app_pin));
  world_free(w);
}

/* ---- 4.1.2 external authentication ---- */

static void cmcc_host_auth_flow(void **state) {
  (void)state;
  world *w = world_new("");
  world_open_kmc(w);
  /* by use: an enterprise command the authentication opened */
  OK(w, cf_cmcc_generate(&w->host, &w->sheet));
  /* every operator key through the HSM */
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_KMC, CMCC_AUTH_P2_OPERATOR, -1, -1));
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_AUTH, CMCC_AUTH_P2_AUTHCARD, -1, -1));
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_WORK, CMCC_AUTH_P2_OPERATOR, -1, -1));
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_WORK, CMCC_AUTH_P2_SECOND, -1, -1));
  REFUSED(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_AUTH, CMCC_AUTH_P2_OPERATOR, -1, -1), CF_CMCC_E_INPUT, 0);
  world_free(w);

  /* an authentication card holding another master-card master key: 6304, and no rights */
  w = world_new("");
  char pin_hex[17], params[256];
  cf_hex_encode(app_pin, 8, pin_hex);
  snprintf(params, sizeof params, "pin2=%s,k02=%s,k03=%s", pin_hex, "00112233445566778899AABBCCDDEEFF",
           W_K03);
  world_replace(w, CF_CMCC_AUTH, params);
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_KMC, CMCC_PIN_APP, app_pin));
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_AUTH, CMCC_PIN_APP, app_pin));
  snapshot before;
  /* spec table 8-1-14: 63 0x, x tries left */
  REFUSED(w, cf_cmcc_auth_kmc_via_authcard(&w->host), CF_CMCC_E_CARD, CMCC_SW_AUTH_FAIL(4));
  snapshot_take(w, CF_CMCC_KMC, &before);
  REFUSED(w, cf_cmcc_generate(&w->host, &w->sheet), CF_CMCC_E_CARD, 0x6982);
  assert_true(snapshot_equal(w, CF_CMCC_KMC, &before));
  snapshot_free(&before);
  world_free(w);
}

/* ---- 4.1.3 key generation ---- */

static void cmcc_host_generate_flow(void **state) {
  (void)state;
  world *w = world_new("");
  world_open_kmc(w);
  OK(w, cf_cmcc_generate(&w->host, &w->sheet));
  size_t checked = 0, skipped = 0;
  OK(w, cf_cmcc_check_generated(&w->host, &w->sheet, &checked, &skipped));
  assert_int_equal(checked, 5); /* 07, 08, 09, 0B x2 */
  assert_int_equal(skipped, 1); /* usage 3: the KMC may not compute with it */
  uint8_t attrs[64][11];
  int n = cf_cmcc_read_keyinfo(&w->host, CF_CMCC_KMC, attrs, 64);
  assert_int_equal(n, 2 + 6);
  for (size_t i = 0; i < w->sheet.count; i++)
    assert_memory_equal(attrs[2 + i], w->sheet.attrs[i], 11);
  /* the proof fails for a sheet whose seed the card did not use */
  cf_cmcc_keysheet other = w->sheet;
  other.seed[0] ^= 0x80; /* not the low bit: DES ignores parity bits */
  REFUSED(w, cf_cmcc_check_generated(&w->host, &other, &checked, &skipped), CF_CMCC_E_VERIFY, 0);
  /* the same sheet again gives the same keys (spec 1.2.2.1), and the proof still holds */
  OK(w, cf_cmcc_generate(&w->host, &w->sheet));
  OK(w, cf_cmcc_check_generated(&w->host, &w->sheet, &checked, &skipped));
  assert_int_equal(cf_cmcc_read_keyinfo(&w->host, CF_CMCC_KMC, attrs, 64), 8);
  world_free(w);
}

/* A sheet larger than the KMC's key file: the card refuses the first key that does not fit (6A84)
 * and the step names it, so the command can say how many keys were written before it. */
static void cmcc_host_generate_fills_key_file(void **state) {
  (void)state;
  world *w = world_new("");
  world_open_kmc(w);
  cf_cmcc_keysheet big = w->sheet;
  big.count = 40;
  for (size_t i = 0; i < big.count; i++) {
    static const uint8_t base[11] = {0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0xAA, 0, 0, 0, 0};
    memcpy(big.attrs[i], base, 11);
    big.attrs[i][CMCC_ATTR_INDEX] = (uint8_t)(i + 1); /* 40 different keys */
  }
  assert_int_equal(cf_cmcc_generate(&w->host, &big), CF_CMCC_E_CARD);
  assert_int_equal(w->host.status, CF_CMCC_E_CARD);
  assert_int_equal(w->host.sw, 0x6A84);
  /* the KMC holds its 2 keys: 30 fit, key 31 is refused */
  assert_non_null(strstr(w->host.step, "Generate Key 31/40"));
  assert_int_equal(w->host.done, 30);
  cf_cmcc_host_clear(&w->host);
  uint8_t attrs[64][11];
  assert_int_equal(cf_cmcc_read_keyinfo(&w->host, CF_CMCC_KMC, attrs, 64), 32);
  assert_memory_equal(attrs[31], big.attrs[29], 11);
  world_free(w);
}

/* ---- 4.1.4 user-card key update ---- */

static cf_cmcc_user_job user_job(void) {
  cf_cmcc_user_job job;
  memset(&job, 0, sizeof job);
  job.subapp = 0x03;
  job.emk_vit[0] = 0x01, job.emk_vit[1] = 0x01, job.emk_vit[2] = CMCC_KEY_ENTERPRISE_MGMT;
  job.create = true;
  hexb("0A0B0C0D0E0F", job.eid, 6);
  job.data_len = 5;
  memcpy(job.data, "\x01\x02\x03\x04\x05", 5);
  job.nkeys = 2;
  job.keys[0] = (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 1};
  job.keys[1] = (cf_cmcc_target_key){.id = 0x02, .version = 0x07, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 0};
  job.verify = true;
  return job;
}

static void cmcc_host_user_update_flow(void **state) {
  (void)state;
  world *w = world_new("");
  world_enterprise(w);
  cf_cmcc_user_job job = user_job();
  uint8_t serial[8], eak[16], per_card[16];
  hexb(W_SERIAL, serial, 8);
  OK(w, cf_cmcc_user_update(&w->host, &job, serial));
  /* independent proof: the card's key 01 is the enterprise application key diversified by its
   * serial, key 02 the key itself */
  world_sheet_key(w, W_ATTR_EAK, eak);
  assert_int_equal(cmcc_diversify8(eak, serial, per_card), 0);
  internal_auth(w, CF_CMCC_USER, 0x03, 0x01, per_card);
  internal_auth(w, CF_CMCC_USER, 0x03, 0x02, eak);
  /* creating it again: the card refuses (6A89) */
  REFUSED(w, cf_cmcc_user_update(&w->host, &job, serial), CF_CMCC_E_CARD, 0x6A89);
  /* UPDATE SUB_APPLICATION KEYS: a new version of key 01, proved again */
  job.create = false;
  job.data_len = 0;
  job.nkeys = 1;
  job.keys[0].version = 0x02;
  OK(w, cf_cmcc_user_update(&w->host, &job, serial));

  /* a tampered MAC (and a tampered cipher) is refused with 6988 and changes nothing */
  for (int tamper = 0; tamper < 2; tamper++) {
    cf_cmcc_target_key keys[1] = {job.keys[0]};
    memcpy(keys[0].factors, serial, 8);
    cf_cmcc_export_req req = {.p1 = 0x00,
                              .cipp = {0x84, CMCC_UC_INS_UPDATE_SUBAPP_KEYS, 0x03, 0x00},
                              .export_levels = 1,
                              .export_factors = serial,
                              .export_vit = {0x01, 0x01, 0x08},
                              .nkeys = 1,
                              .keys = keys,
                              .tattr_len = 2};
    uint8_t apdu[300], resp[16];
    size_t len = 0, rlen = 0;
    assert_int_equal(world_send_hex(w, CF_CMCC_USER, "0084000004", resp, &rlen), 0x9000);
    memcpy(req.random, resp, 4);
    OK(w, cf_cmcc_export(&w->host, &req, apdu, sizeof apdu, &len));
    apdu[tamper ? 6 : len - 1] ^= 0x01;
    snapshot before;
    snapshot_take(w, CF_CMCC_USER, &before);
    assert_int_equal(world_send(w, CF_CMCC_USER, apdu, len, NULL, NULL), 0x6988);
    assert_true(snapshot_equal(w, CF_CMCC_USER, &before));
    snapshot_free(&before);
  }
  /* a card whose serial is not the one the host uses: it reports its own (GET DATA) and nothing is
   * exported to it; without that check its first write is refused (6988) */
  uint8_t other[8];
  hexb("8600112233445567", other, 8);
  job = user_job();
  job.subapp = 0x04;
  snapshot before;
  snapshot_take(w, CF_CMCC_USER, &before);
  REFUSED(w, cf_cmcc_user_update(&w->host, &job, other), CF_CMCC_E_VERIFY, 0);
  job.skip_serial_check = true;
  REFUSED(w, cf_cmcc_user_update(&w->host, &job, other), CF_CMCC_E_CARD, 0x6988);
  assert_true(snapshot_equal(w, CF_CMCC_USER, &before));
  snapshot_free(&before);
  world_free(w);
}

/* Batch: one fresh emulated user card per serial, created when the batch opens it. */
typedef struct batch_ctx {
  world *w;
  char emk_hex[33];
  size_t opened, bad_index;
  loose_card user;
} batch_ctx;

static cf_transport *batch_open(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  (void)err, (void)errlen;
  batch_ctx *b = ctx;
  char params[128], serial[17];
  cf_hex_encode(e->serial, 8, serial);
  /* the card at bad_index holds another enterprise's management key */
  snprintf(params, sizeof params, "serial=%s,emk=%s", serial,
           b->opened == b->bad_index ? "00112233445566778899AABBCCDDEEFF" : b->emk_hex);
  b->opened++;
  return loose_card_open(&b->user, "usercard", params);
}

static void batch_close(void *ctx, cf_transport *t, const cf_cmcc_card_entry *e, bool ok) {
  (void)e, (void)ok;
  batch_ctx *b = ctx;
  loose_card_close(&b->user, t);
}

static int polls;
static int stop_at_fourth_poll(void) {
  return ++polls >= 4 ? SIGINT : 0;
}

static void cmcc_host_user_batch(void **state) {
  (void)state;
  world *w = world_new("");
  world_enterprise(w);
  cf_cmcc_cardlist list = {0};
  size_t cap = 300 * 18;
  char *text = malloc(cap);
  size_t n = 0;
  for (int i = 0; i < 300; i++)
    n += (size_t)snprintf(text + n, cap - n, "86000000%08X\n", 0x100 + i);
  char err[200];
  assert_int_equal(cf_cmcc_cardlist_parse(text, n, "list", &list, err, sizeof err), 0);
  free(text);
  batch_ctx bc = {.w = w, .bad_index = (size_t)-1};
  uint8_t emk[16];
  world_sheet_key(w, W_ATTR_EMK, emk);
  cf_hex_encode(emk, 16, bc.emk_hex);
  FILE *progress = tmpfile();
  cf_cmcc_batch b = {.open_card = batch_open, .close_card = batch_close, .ctx = &bc, .progress = progress};
  cf_cmcc_user_job job = user_job();
  OK(w, cf_cmcc_user_batch(&w->host, &job, &list, &b));
  assert_int_equal(b.done, 300);
  assert_int_equal(bc.opened, 300);
  fclose(progress);
  /* the 6th card refuses: the batch stops there, the 7th is never touched */
  bc.opened = 0;
  bc.bad_index = 5;
  b.progress = NULL;
  REFUSED(w, cf_cmcc_user_batch(&w->host, &job, &list, &b), CF_CMCC_E_CARD, 0x6988);
  assert_int_equal(b.done, 5);
  assert_int_equal(b.failed, 5);
  assert_int_equal(bc.opened, 6);
  /* resuming at the failed card, with the card fixed */
  bc.opened = 0;
  bc.bad_index = (size_t)-1;
  b.start = 5;
  OK(w, cf_cmcc_user_batch(&w->host, &job, &list, &b));
  assert_int_equal(b.done, 295);
  /* an interrupt (SIGINT) arriving during the 3rd card: that card is finished, the 4th never
   * opened, and the batch reports where to resume */
  bc.opened = 0;
  b.start = 10;
  b.stop_requested = stop_at_fourth_poll;
  polls = 0;
  OK(w, cf_cmcc_user_batch(&w->host, &job, &list, &b));
  assert_int_equal(b.stopped, SIGINT);
  assert_int_equal(b.done, 3);
  assert_int_equal(bc.opened, 3);
  assert_int_equal(b.start + b.done, 13); /* --from 14 */
  cf_cmcc_cardlist_free(&list);
  world_free(w);
}

/* ---- 4.1.5 initial key import ---- */

static void cmcc_host_import_flow(void **state) {
  (void)state;
  world *w = world_new("");
  world_open_kmc(w);
  uint8_t attrs[11], value[16];
  hexb(W_ATTR_SAMINIT, attrs, 11);
  hexb(W_SAMINIT, value, 16);
  OK(w, cf_cmcc_import_via_authcard(&w->host, attrs, value));
  /* by use: the KMC computes with the imported key what the host computes with the value */
  assert_int_equal(cf_cmcc_prove_kmc_key(&w->host, attrs, value), 1);
  uint8_t wrong[16];
  memcpy(wrong, value, 16);
  wrong[3] ^= 0x40;
  REFUSED(w, cf_cmcc_prove_kmc_key(&w->host, attrs, wrong), CF_CMCC_E_VERIFY, 0);
  /* the terminal initial key: the KMC never computes with it (proved later by the terminal) */
  hexb(W_ATTR_TIK, attrs, 11);
  hexb(W_TIK, value, 16);
  OK(w, cf_cmcc_import_via_authcard(&w->host, attrs, value));
  assert_int_equal(cf_cmcc_prove_kmc_key(&w->host, attrs, value), 0);
  uint8_t list[64][11];
  int n = cf_cmcc_read_keyinfo(&w->host, CF_CMCC_KMC, list, 64);
  assert_int_equal(n, 4);
  assert_memory_equal(list[3], attrs, 11);

  /* a record with a tampered MAC: 6988, nothing changes */
  char err[200];
  const cf_cmcc_key *k01 = cf_cmcc_hsm_find(w->hsm, 0x01, -1, -1, err, sizeof err);
  const cf_cmcc_key *k05 = cf_cmcc_hsm_find(w->hsm, 0x05, -1, -1, err, sizeof err);
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_KMC, CMCC_AUTH_P2_OPERATOR, -1, -1));
  uint8_t random[4], resp[16], apdu[5 + 36] = {0x80, 0xD8, 0x00, 0x01, 0x24};
  size_t rlen;
  assert_int_equal(world_send_hex(w, CF_CMCC_KMC, "F084000004", resp, &rlen), 0x9000);
  memcpy(random, resp, 4);
  assert_int_equal(cf_cmcc_hsm_wrap_record(w->hsm, k01, apdu, random, k05->attrs, k05->value, apdu + 5), 0);
  apdu[5 + 33] ^= 0x80;
  snapshot before;
  snapshot_take(w, CF_CMCC_KMC, &before);
  assert_int_equal(world_send(w, CF_CMCC_KMC, apdu, sizeof apdu, NULL, NULL), 0x6988);
  assert_true(snapshot_equal(w, CF_CMCC_KMC, &before));
  /* the terminal initial key is level 2: offered at level 1 under the operator key, refused */
  REFUSED(w, cf_cmcc_import_via_hsm(&w->host, CF_CMCC_KMC, CMCC_IMPORT_P2_LEVEL1, k01, attrs, value),
          CF_CMCC_E_CARD, 0x6982);
  assert_true(snapshot_equal(w, CF_CMCC_KMC, &before));
  snapshot_free(&before);
  /* the untampered record goes in */
  OK(w, cf_cmcc_import_via_hsm(&w->host, CF_CMCC_KMC, CMCC_IMPORT_P2_LEVEL1, k01, k05->attrs, k05->value));
  assert_int_equal(cf_cmcc_read_keyinfo(&w->host, CF_CMCC_KMC, list, 64), 5);
  world_free(w);
}

/* ---- 4.1.6 working-card production, 4.1.7 terminal key writing ---- */

static void make_working(world *w) {
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, app_pin));
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_WORK, CMCC_AUTH_P2_SECOND, -1, -1));
  cf_cmcc_copy_job job = {
      .export_vit = {0x01, 0x01, 0x05}, .nkeys = 2, .key_vit = {{0x01, 0x01, 0x06}, {0x01, 0x01, 0x07}}};
  OK(w, cf_cmcc_make_working_card(&w->host, &job));
}

static void cmcc_host_working_and_terminal_flow(void **state) {
  (void)state;
  world *w = world_new("");
  world_enterprise(w);
  /* without the working card's authentication the copy is refused and nothing changes */
  OK(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_WORK, CMCC_PIN_APP, app_pin));
  cf_cmcc_copy_job job = {.export_vit = {0x01, 0x01, 0x05}, .nkeys = 1, .key_vit = {{0x01, 0x01, 0x07}}};
  snapshot before;
  snapshot_take(w, CF_CMCC_WORK, &before);
  REFUSED(w, cf_cmcc_make_working_card(&w->host, &job), CF_CMCC_E_CARD, 0x6982);
  assert_true(snapshot_equal(w, CF_CMCC_WORK, &before));
  snapshot_free(&before);
  make_working(w);

  /* verify: the KMC's Inst_MAC with its terminal application key diversified by the factor must
   * pass the terminal's VERIFY MAC with the key it received from the working card */
  cf_cmcc_terminal_job tj = {
      .subapp_index = 0x05, .key_version = 0x01, .verify = true, .tak_vit = {0x01, 0x01, 0x07}};
  OK(w, cf_cmcc_terminal_write(&w->host, &tj));
  /* by use: the terminal's sub-application key is the KMC's terminal application key (from the
   * sheet) diversified by index || version || 80 00..00, proved by INTERNAL AUTHENTICATE */
  uint8_t tak[16], factor[8], sub[16];
  world_sheet_key(w, W_ATTR_TAK, tak);
  cmcc_terminal_factor(0x05, 0x01, factor);
  assert_int_equal(cmcc_diversify8(tak, factor, sub), 0);
  internal_auth(w, CF_CMCC_TERMINAL, 0x05, 0x00, sub);
  uint8_t resp[64], eid[6];
  size_t rlen = 0;
  assert_int_equal(world_send_hex(w, CF_CMCC_TERMINAL, "00B0000000", resp, &rlen), 0x9000);
  hexb(W_EID, eid, 6);
  assert_memory_equal(resp, eid, 6);

  /* the operator changes the working card's enterprise ID through the HSM; the next terminal gets it */
  char err[200];
  const cf_cmcc_key *k04 = cf_cmcc_hsm_find(w->hsm, 0x04, -1, -1, err, sizeof err);
  uint8_t new_eid[6] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60};
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_WORK, CMCC_AUTH_P2_OPERATOR, -1, -1));
  OK(w, cf_cmcc_update_info_via_hsm(&w->host, CF_CMCC_WORK, k04, CMCC_INFO_ENTERPRISE_ID, new_eid, 6));
  tj.subapp_index = 0x06;
  OK(w, cf_cmcc_terminal_write(&w->host, &tj));
  assert_int_equal(world_send_hex(w, CF_CMCC_TERMINAL, "00B0000000", resp, &rlen), 0x9000);
  assert_memory_equal(resp, new_eid, 6);

  /* the proof can fail: checked against another KMC key, the terminal refuses the MAC (6988) and
   * the host reports a failed verification */
  cf_cmcc_terminal_job other = tj;
  other.subapp_index = 0x07;
  other.tak_vit[2] = 0x09;
  REFUSED(w, cf_cmcc_terminal_write(&w->host, &other), CF_CMCC_E_VERIFY, 0x6988);
  /* a terminal holding another initial key: the working card refuses MAC1, the terminal is unchanged */
  world_replace(w, CF_CMCC_TERMINAL, "tik=00112233445566778899AABBCCDDEEFF");
  snapshot_take(w, CF_CMCC_TERMINAL, &before);
  REFUSED(w, cf_cmcc_terminal_write(&w->host, &tj), CF_CMCC_E_CARD, 0x6982);
  assert_true(snapshot_equal(w, CF_CMCC_TERMINAL, &before));
  snapshot_free(&before);
  /* a copy whose second key the KMC does not hold: the first goes through, and the flow says so
   * (host.done, the partial result `cmcc make-working` prints) */
  OK(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_WORK, CMCC_AUTH_P2_SECOND, -1, -1));
  cf_cmcc_copy_job part = {
      .export_vit = {0x01, 0x01, 0x05}, .nkeys = 2, .key_vit = {{0x01, 0x01, 0x07}, {0x09, 0x01, 0x07}}};
  assert_int_equal(cf_cmcc_make_working_card(&w->host, &part), CF_CMCC_E_CARD);
  assert_int_equal(w->host.status, CF_CMCC_E_CARD);
  assert_int_equal(w->host.done, 1);
  cf_cmcc_host_clear(&w->host);
  world_free(w);
}

/* ---- 4.1.8 SAM key update ---- */

static void cmcc_host_sam_flow(void **state) {
  (void)state;
  world *w = world_new("");
  world_enterprise(w);
  cf_cmcc_sam_job job;
  memset(&job, 0, sizeof job);
  hexb(W_SAMFACTOR, job.factor, 16);
  job.imk_vit[0] = 0x01, job.imk_vit[1] = 0x01, job.imk_vit[2] = CMCC_KEY_SAM_INIT;
  job.verify = true;
  job.nkeys = 2;
  job.keys[0] = (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x0B}, .levels = 0};
  job.keys[1] = (cf_cmcc_target_key){.id = 0x02, .version = 0x03, .kmc_vit = {0x01, 0x01, 0x0B}, .levels = 1};
  hexb("1122334455667788", job.keys[1].factors, 8);

  /* a tampered WRITE_KEY: 6988, the SAM unchanged */
  {
    cf_cmcc_export_req req = {.p1 = 0x41,
                              .cipp = {0x84, 0xD4, 0x00, 0x00},
                              .export_levels = 1,
                              .export_factors = job.factor,
                              .export_vit = {0x01, 0x01, 0x0A},
                              .nkeys = 1,
                              .keys = job.keys,
                              .tattr_len = 2};
    uint8_t apdu[300], resp[16];
    size_t len = 0, rlen = 0;
    assert_int_equal(world_send_hex(w, CF_CMCC_SAM, "0084000004", resp, &rlen), 0x9000);
    memcpy(req.random, resp, 4);
    OK(w, cf_cmcc_export(&w->host, &req, apdu, sizeof apdu, &len));
    apdu[len - 2] ^= 0x10;
    snapshot before;
    snapshot_take(w, CF_CMCC_SAM, &before);
    assert_int_equal(world_send(w, CF_CMCC_SAM, apdu, len, NULL, NULL), 0x6988);
    assert_true(snapshot_equal(w, CF_CMCC_SAM, &before));
    snapshot_free(&before);
  }
  OK(w, cf_cmcc_sam_update(&w->host, &job));
  uint8_t k1[16], k2[16];
  world_sheet_key(w, W_ATTR_SAMKEY1, k1);
  internal_auth(w, CF_CMCC_SAM, 0x00, 0x01, k1);
  assert_int_equal(cmcc_diversify8(k1, job.keys[1].factors, k2), 0);
  internal_auth(w, CF_CMCC_SAM, 0x00, 0x02, k2);

  /* the SAM master key last (id 00): replaced by the second SAM key, so the KMC's export under the
   * SAM initial master key no longer opens the SAM */
  cf_cmcc_sam_job mk = job;
  mk.nkeys = 1;
  mk.keys[0] = (cf_cmcc_target_key){.id = 0x00, .version = 0x02, .kmc_vit = {0x02, 0x01, 0x0B}, .levels = 0};
  OK(w, cf_cmcc_sam_update(&w->host, &mk));
  uint8_t newmk[16];
  world_sheet_key(w, W_ATTR_SAMKEY2, newmk);
  internal_auth(w, CF_CMCC_SAM, 0x00, 0x00, newmk);
  assert_int_equal(cf_cmcc_sam_update(&w->host, &job), CF_CMCC_E_CARD);
  assert_int_equal(w->host.sw, 0x6988);
  assert_int_equal(w->host.done, 0); /* refused at its first key: none written (sam-update says so) */
  cf_cmcc_host_clear(&w->host);
  /* the master key must come last in a job */
  cf_cmcc_sam_job order = job;
  order.keys[0].id = 0x00;
  REFUSED(w, cf_cmcc_sam_update(&w->host, &order), CF_CMCC_E_INPUT, 0);
  world_free(w);
}

/* ---- secrets never reach a trace ---- */

static bool trace_has(FILE *f, const uint8_t *secret, size_t n) {
  /* the trace prints bytes as " XX": look for the secret's run of bytes */
  char needle[3 * 32 + 1] = "", *p = needle;
  for (size_t i = 0; i < n; i++)
    p += sprintf(p, " %02X", secret[i]);
  fflush(f);
  long size = ftell(f);
  char *text = calloc(1, (size_t)size + 1);
  rewind(f);
  assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
  fseek(f, 0, SEEK_END);
  bool found = strstr(text, needle) != NULL;
  free(text);
  return found;
}

static void cmcc_host_trace_redacts_secrets(void **state) {
  (void)state;
  world *w = world_new("");
  FILE *trace = tmpfile();
  for (int r = 0; r < CF_CMCC_ROLES; r++)
    w->t[r]->trace = trace;
  world_enterprise(w);
  cf_cmcc_user_job job = user_job();
  uint8_t serial[8];
  hexb(W_SERIAL, serial, 8);
  OK(w, cf_cmcc_user_update(&w->host, &job, serial));
  uint8_t fresh[8];
  memcpy(fresh, "NEWPIN02", 8);
  OK(w, cf_cmcc_change_pin(&w->host, CF_CMCC_KMC, CMCC_PIN_APP, app_pin, fresh));
  uint8_t tik[16], saminit[16], seed[16];
  hexb(W_TIK, tik, 16);
  hexb(W_SAMINIT, saminit, 16);
  hexb(W_SEED, seed, 16);
  /* the trace is real: it shows the commands (the Get Challenge header at least) */
  const uint8_t get_challenge[5] = {0xF0, 0x84, 0x00, 0x00, 0x04};
  assert_true(trace_has(trace, get_challenge, 5));
  assert_false(trace_has(trace, app_pin, 8));
  assert_false(trace_has(trace, fresh, 8));
  assert_false(trace_has(trace, seed, 8));
  assert_false(trace_has(trace, tik, 8));
  assert_false(trace_has(trace, saminit, 8));
  fclose(trace);
  for (int r = 0; r < CF_CMCC_ROLES; r++)
    w->t[r]->trace = NULL;
  world_free(w);
}

static int setup(void **state) {
  (void)state;
  memcpy(app_pin, W_PIN, 8);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cmcc_host_pin_flow),      cmocka_unit_test(cmcc_host_auth_flow),
      cmocka_unit_test(cmcc_host_generate_flow), cmocka_unit_test(cmcc_host_user_update_flow),
      cmocka_unit_test(cmcc_host_user_batch),    cmocka_unit_test(cmcc_host_generate_fills_key_file),
      cmocka_unit_test(cmcc_host_import_flow),   cmocka_unit_test(cmcc_host_working_and_terminal_flow),
      cmocka_unit_test(cmcc_host_sam_flow),      cmocka_unit_test(cmcc_host_trace_redacts_secrets),
  };
  return cmocka_run_group_tests_name("cmcc_host_flows", tests, setup, NULL);
}
