/* The host and what the targets report about themselves (GET DATA, docs/cmcc-profile.md 2.1): the
 * user card's serial is checked before anything is exported to it (one card, and a batch that
 * meets a wrong card), the SAM's factor is read instead of being given, and cards that cannot
 * report either (a transport that answers 6D00 to GET DATA, as an older card would) are handled as
 * documented. Every refusal leaves the cards byte for byte as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/cli.h"
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

/* The call fails with this status (and status word when not 0); the message contains text. */
static void refused(world *w, int rc, int status, uint16_t sw, const char *text) {
  assert_int_equal(rc, status); /* the failure's code is returned and recorded */
  if (w->host.status != status || (sw && w->host.sw != sw) || !strstr(w->host.message, text))
    fail_msg("expected status %d SW %04X \"%s\", got %d SW %04X (%s: %s)", status, sw, text, w->host.status,
             w->host.sw, w->host.step, w->host.message);
  cf_cmcc_host_clear(&w->host);
}

/* ---- a card without GET DATA: the in-process card behind a transport that refuses 00 CA ---- */

typedef struct legacy {
  cf_transport t; /* first: the transport functions get this back */
  cf_transport *inner;
  size_t refused;
} legacy;

static int legacy_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                           size_t *rlen) {
  legacy *l = (legacy *)t;
  if (len >= 2 && cmd[0] == 0x00 && cmd[1] == CMCC_TGT_INS_GET_DATA) {
    l->refused++;
    resp[0] = 0x6D, resp[1] = 0x00;
    *rlen = 2;
    return 0;
  }
  return l->inner->ops->exchange(l->inner, cmd, len, resp, cap, rlen);
}

static int legacy_reset(cf_transport *t) {
  legacy *l = (legacy *)t;
  return l->inner->ops->reset ? l->inner->ops->reset(l->inner) : -1;
}

static void legacy_close(cf_transport *t) {
  (void)t;
}

static const cf_transport_ops legacy_ops = {legacy_exchange, legacy_reset, legacy_close};

/* Puts the role's card behind a legacy transport (until legacy_off). */
static void legacy_on(world *w, cf_cmcc_role r, legacy *l) {
  memset(l, 0, sizeof *l);
  l->t.ops = &legacy_ops;
  snprintf(l->t.name, sizeof l->t.name, "legacy");
  l->inner = w->t[r];
  w->host.card[r] = &l->t;
}

static void legacy_off(world *w, cf_cmcc_role r) {
  w->host.card[r] = w->t[r];
}

static cf_cmcc_user_job user_job(void) {
  cf_cmcc_user_job job;
  memset(&job, 0, sizeof job);
  job.subapp = 0x02;
  job.emk_vit[0] = 0x01, job.emk_vit[1] = 0x01, job.emk_vit[2] = CMCC_KEY_ENTERPRISE_MGMT;
  job.create = true;
  hexb("0A0B0C0D0E0F", job.eid, 6);
  job.nkeys = 1;
  job.keys[0] = (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x09}, .levels = 1};
  job.verify = true;
  return job;
}

static void cmcc_host_reads_target_data(void **state) {
  (void)state;
  world *w = world_new("");
  uint8_t serial[8], want_serial[8], factor[16], want_factor[16];
  hexb(W_SERIAL, want_serial, 8);
  hexb(W_SAMFACTOR, want_factor, 16);
  OK(w, cf_cmcc_read_serial(&w->host, serial));
  assert_memory_equal(serial, want_serial, 8);
  OK(w, cf_cmcc_read_factor(&w->host, factor));
  assert_memory_equal(factor, want_factor, 16);
  /* a card that has no such command: the card's own status word */
  legacy l;
  legacy_on(w, CF_CMCC_USER, &l);
  refused(w, cf_cmcc_read_serial(&w->host, serial), CF_CMCC_E_CARD, 0x6D00, "SW 6D00");
  legacy_off(w, CF_CMCC_USER);
  world_free(w);
}

static void cmcc_host_user_serial_check(void **state) {
  (void)state;
  world *w = world_new("");
  world_enterprise(w);
  cf_cmcc_user_job job = user_job();
  uint8_t serial[8], other[8];
  hexb(W_SERIAL, serial, 8);
  hexb("8600112233445599", other, 8);
  snapshot kmc, user;
  snapshot_take(w, CF_CMCC_KMC, &kmc);
  snapshot_take(w, CF_CMCC_USER, &user);
  /* another card than the one named: stopped before the KMC exports anything, exit code 5 */
  refused(w, cf_cmcc_user_update(&w->host, &job, other), CF_CMCC_E_VERIFY, 0,
          "the card in the reader is 8600112233445566, not 8600112233445599");
  assert_true(snapshot_equal(w, CF_CMCC_USER, &user));
  assert_true(snapshot_equal(w, CF_CMCC_KMC, &kmc));
  /* a card that cannot report its serial: refused with its status word, unless the check is skipped */
  legacy l;
  legacy_on(w, CF_CMCC_USER, &l);
  refused(w, cf_cmcc_user_update(&w->host, &job, serial), CF_CMCC_E_CARD, 0x6D00, "cannot report its serial");
  assert_true(snapshot_equal(w, CF_CMCC_USER, &user));
  job.skip_serial_check = true;
  OK(w, cf_cmcc_user_update(&w->host, &job, serial));
  assert_int_equal(l.refused, 1); /* the skipped check asked nothing */
  legacy_off(w, CF_CMCC_USER);
  snapshot_free(&kmc);
  snapshot_free(&user);
  /* the right card, checked: written and proved (a second sub-application) */
  job = user_job();
  job.subapp = 0x03;
  OK(w, cf_cmcc_user_update(&w->host, &job, serial));
  uint8_t resp[64];
  size_t rlen = 0;
  assert_int_equal(world_send_hex(w, CF_CMCC_USER, "00B0030000", resp, &rlen), 0x9000);
  assert_memory_equal(resp, job.eid, 6);
  world_free(w);
}

/* Batch: one fresh emulated user card per list line; the one at wrong_at is 86000000000001FF. */
typedef struct batch_ctx {
  char emk_hex[33];
  size_t opened, wrong_at;
  loose_card user;
} batch_ctx;

static cf_transport *batch_open(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen) {
  (void)err, (void)errlen;
  batch_ctx *b = ctx;
  char params[128], serial[17];
  cf_hex_encode(e->serial, 8, serial);
  if (b->opened == b->wrong_at) memcpy(serial, "86000000000001FF", 16);
  snprintf(params, sizeof params, "serial=%s,emk=%s", serial, b->emk_hex);
  b->opened++;
  return loose_card_open(&b->user, "usercard", params);
}

static void batch_close(void *ctx, cf_transport *t, const cf_cmcc_card_entry *e, bool ok) {
  (void)e, (void)ok;
  batch_ctx *b = ctx;
  loose_card_close(&b->user, t);
}

static void cmcc_host_batch_stops_at_wrong_card(void **state) {
  (void)state;
  world *w = world_new("");
  world_enterprise(w);
  const char *text =
      "8600000000000100\n8600000000000101\n8600000000000102\n8600000000000103\n8600000000000104\n";
  cf_cmcc_cardlist list;
  char err[200];
  assert_int_equal(cf_cmcc_cardlist_parse(text, strlen(text), "list", &list, err, sizeof err), 0);
  batch_ctx bc = {.wrong_at = 3};
  uint8_t emk[16];
  world_sheet_key(w, W_ATTR_EMK, emk);
  cf_hex_encode(emk, 16, bc.emk_hex);
  cf_cmcc_batch b = {.open_card = batch_open, .close_card = batch_close, .ctx = &bc};
  cf_cmcc_user_job job = user_job();
  assert_int_equal(cf_cmcc_user_batch(&w->host, &job, &list, &b), CF_CMCC_E_VERIFY);
  assert_int_equal(w->host.status, CF_CMCC_E_VERIFY);
  assert_int_equal(cf_cmcc_exit_code(&w->host), CF_EXIT_VERIFY);
  assert_int_equal(b.done, 3);
  assert_int_equal(b.failed, 3);
  assert_int_equal(bc.opened, 4); /* the fifth card is never touched */
  /* one line naming the listed card and the one in the reader */
  FILE *f = tmpfile();
  cf_cmcc_print_error(&w->host, f);
  char line[512] = "";
  rewind(f);
  assert_non_null(fgets(line, sizeof line, f));
  assert_int_equal(fgetc(f), EOF);
  fclose(f);
  assert_non_null(strstr(line, "cardforge: card 4 (serial 8600000000000103): user card GET DATA (serial): "
                               "the card in the reader is 86000000000001FF, not 8600000000000103"));
  cf_cmcc_host_clear(&w->host);
  /* resumed at that card with the right one in the reader */
  bc.opened = 0;
  bc.wrong_at = (size_t)-1;
  b.start = 3;
  OK(w, cf_cmcc_user_batch(&w->host, &job, &list, &b));
  assert_int_equal(b.done, 2);
  cf_cmcc_cardlist_free(&list);
  world_free(w);
}

static cf_cmcc_sam_job sam_job(void) {
  cf_cmcc_sam_job job;
  memset(&job, 0, sizeof job);
  job.imk_vit[0] = 0x01, job.imk_vit[1] = 0x01, job.imk_vit[2] = CMCC_KEY_SAM_INIT;
  job.verify = true;
  job.nkeys = 1;
  job.keys[0] = (cf_cmcc_target_key){.id = 0x01, .version = 0x01, .kmc_vit = {0x01, 0x01, 0x0B}, .levels = 0};
  return job;
}

static void internal_auth_is(world *w, cf_cmcc_role r, uint8_t p1, uint8_t p2, const uint8_t key[16]) {
  uint8_t apdu[13] = {0x00, CMCC_TGT_INS_INTERNAL_AUTH, p1, p2, 8, 1, 2, 3, 4, 5, 6, 7, 8}, resp[16],
          expect[8];
  size_t rlen = 0;
  assert_int_equal(world_send(w, r, apdu, sizeof apdu, resp, &rlen), 0x9000);
  assert_int_equal(rlen, 8);
  assert_int_equal(cf_des3_ecb_encrypt(key, 16, apdu + 5, expect, 8), 0);
  assert_memory_equal(resp, expect, 8);
}

static void cmcc_host_sam_factor(void **state) {
  (void)state;
  world *w = world_new("");
  world_enterprise(w);
  uint8_t k1[16], k2[16];
  world_sheet_key(w, W_ATTR_SAMKEY1, k1);
  world_sheet_key(w, W_ATTR_SAMKEY2, k2);
  /* no factor given: the SAM tells it, and the keys arrive (proved by VERIFY MAC in the flow and by
   * INTERNAL AUTHENTICATE here) */
  cf_cmcc_sam_job job = sam_job();
  OK(w, cf_cmcc_sam_update(&w->host, &job));
  internal_auth_is(w, CF_CMCC_SAM, 0x00, 0x01, k1);
  /* a given factor that is not the SAM's: nothing is exported */
  job.factor_given = true;
  hexb("00112233445566778899AABBCCDDEEFF", job.factor, 16);
  job.keys[0].kmc_vit[0] = 0x02; /* would replace key 01 by the second SAM key */
  snapshot sam;
  snapshot_take(w, CF_CMCC_SAM, &sam);
  refused(w, cf_cmcc_sam_update(&w->host, &job), CF_CMCC_E_VERIFY, 0,
          "the SAM's factor is " W_SAMFACTOR ", not the given 00112233445566778899AABBCCDDEEFF");
  assert_true(snapshot_equal(w, CF_CMCC_SAM, &sam));
  /* a SAM that cannot report its factor: refused without one, served with the given one */
  legacy l;
  legacy_on(w, CF_CMCC_SAM, &l);
  job.factor_given = false;
  refused(w, cf_cmcc_sam_update(&w->host, &job), CF_CMCC_E_CARD, 0x6D00, "cannot report its factor");
  assert_true(snapshot_equal(w, CF_CMCC_SAM, &sam));
  snapshot_free(&sam);
  job.factor_given = true;
  hexb(W_SAMFACTOR, job.factor, 16);
  OK(w, cf_cmcc_sam_update(&w->host, &job));
  assert_int_equal(l.refused, 2);
  legacy_off(w, CF_CMCC_SAM);
  internal_auth_is(w, CF_CMCC_SAM, 0x00, 0x01, k2);
  /* the given factor, checked against the one the SAM reports */
  job.keys[0].kmc_vit[0] = 0x01;
  OK(w, cf_cmcc_sam_update(&w->host, &job));
  internal_auth_is(w, CF_CMCC_SAM, 0x00, 0x01, k1);
  world_free(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cmcc_host_reads_target_data),
      cmocka_unit_test(cmcc_host_user_serial_check),
      cmocka_unit_test(cmcc_host_batch_stops_at_wrong_card),
      cmocka_unit_test(cmcc_host_sam_factor),
  };
  return cmocka_run_group_tests_name("cmcc_host_target_data", tests, NULL, NULL);
}
