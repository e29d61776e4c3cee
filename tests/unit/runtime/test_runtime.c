/* Runtime unit tests: APDU codec, BER-TLV, and the card dispatcher with a probe applet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/apdu.h"
#include "cardforge/card.h"
#include "cardforge/hex.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"

/* ---------- APDU codec ---------- */

static void apdu_cases(void **state) {
  (void)state;
  cf_apdu a;
  uint8_t c1[] = {0x00, 0xA4, 0x04, 0x00};
  assert_int_equal(cf_apdu_parse(c1, 4, &a), SW_OK);
  assert_int_equal(a.lc, 0);
  assert_false(a.has_le);
  uint8_t c2[] = {0x00, 0xB0, 0x00, 0x00, 0x00};
  assert_int_equal(cf_apdu_parse(c2, 5, &a), SW_OK);
  assert_true(a.has_le);
  assert_int_equal(a.le, 256);
  uint8_t c3[] = {0x80, 0x10, 0x01, 0x02, 0x02, 0xAA, 0xBB};
  assert_int_equal(cf_apdu_parse(c3, 7, &a), SW_OK);
  assert_int_equal(a.lc, 2);
  assert_int_equal(a.data[1], 0xBB);
  assert_false(a.has_le);
  uint8_t c4[] = {0x80, 0x10, 0x01, 0x02, 0x01, 0xAA, 0x10};
  assert_int_equal(cf_apdu_parse(c4, 7, &a), SW_OK);
  assert_true(a.has_le);
  assert_int_equal(a.le, 0x10);
  uint8_t c2e[] = {0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00};
  assert_int_equal(cf_apdu_parse(c2e, 7, &a), SW_OK);
  assert_true(a.extended);
  assert_int_equal(a.le, 65536);
  uint8_t c4e[300];
  memset(c4e, 0x55, sizeof(c4e));
  c4e[0] = 0x80, c4e[1] = 0x10, c4e[2] = 0, c4e[3] = 0, c4e[4] = 0, c4e[5] = 0x01, c4e[6] = 0x00;
  c4e[7 + 256] = 0x01, c4e[7 + 257] = 0x02;
  assert_int_equal(cf_apdu_parse(c4e, 7 + 256 + 2, &a), SW_OK);
  assert_int_equal(a.lc, 256);
  assert_int_equal(a.le, 0x102);
  assert_int_equal(cf_apdu_parse(c4e, 7 + 256, &a), SW_OK);
  assert_false(a.has_le);
}

static void apdu_malformed(void **state) {
  (void)state;
  cf_apdu a;
  uint8_t bad[] = {0x80, 0x10, 0x00, 0x00, 0x05, 0x01, 0x02};
  assert_int_equal(cf_apdu_parse(bad, 3, &a), SW_WRONG_LENGTH);
  assert_int_equal(cf_apdu_parse(bad, 7, &a), SW_WRONG_LENGTH); /* Lc says 5, 2 present */
  uint8_t ext0[] = {0x80, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  assert_int_equal(cf_apdu_parse(ext0, 8, &a), SW_WRONG_LENGTH); /* extended Lc 0 with data */
  assert_int_equal(cf_apdu_parse(ext0, 6, &a), SW_WRONG_LENGTH);
  uint8_t longer[] = {0x80, 0x10, 0x00, 0x00, 0x01, 0xAA, 0x00, 0x00};
  assert_int_equal(cf_apdu_parse(longer, 8, &a), SW_WRONG_LENGTH); /* one byte too many */
}

static void apdu_encode_roundtrip(void **state) {
  (void)state;
  uint8_t data[300], out[320];
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)i;
  size_t lcs[] = {0, 1, 255, 256, 300};
  for (size_t i = 0; i < 5; i++)
    for (int has_le = 0; has_le < 2; has_le++) {
      cf_apdu a = {0x80, 0xCA, 0x01, 0x02, lcs[i] ? data : NULL, lcs[i], has_le ? 256 : 0, has_le, false};
      size_t n = cf_apdu_encode(&a, false, out, sizeof(out));
      assert_true(n > 0);
      cf_apdu b;
      assert_int_equal(cf_apdu_parse(out, n, &b), SW_OK);
      assert_int_equal(b.lc, a.lc);
      assert_int_equal(b.has_le, a.has_le);
      if (has_le) assert_int_equal(b.le, 256);
      if (a.lc) assert_memory_equal(b.data, data, a.lc);
      assert_int_equal(b.extended, lcs[i] > 255);
    }
  cf_apdu a = {0x80, 0xCA, 0, 0, data, 300, 0, false, false};
  assert_int_equal(cf_apdu_encode(&a, false, out, 10), 0); /* does not fit */
}

/* ---------- TLV ---------- */

static void tlv_read_nested(void **state) {
  (void)state;
  uint8_t buf[] = {0xA4, 0x09, 0x8F, 0x02, 0x01, 0x02, 0x9F, 0x7F, 0x02, 0xAB, 0xCD};
  cf_tlv t, in;
  assert_true(cf_tlv_read(buf, sizeof(buf), &t));
  assert_int_equal(t.tag, 0xA4);
  assert_int_equal(t.len, 9);
  assert_true(cf_tlv_find(t.value, t.len, 0x9F7F, &in));
  assert_int_equal(in.len, 2);
  assert_int_equal(in.value[0], 0xAB);
  assert_false(cf_tlv_find(t.value, t.len, 0x80, &in));
}

static void tlv_malformed(void **state) {
  (void)state;
  cf_tlv t;
  uint8_t trunc[] = {0x80, 0x05, 0x01};
  assert_false(cf_tlv_read(trunc, sizeof(trunc), &t));
  uint8_t badlen[] = {0x80, 0x83, 0x00, 0x00, 0x01};
  assert_false(cf_tlv_read(badlen, sizeof(badlen), &t));
  uint8_t longtag[] = {0x9F, 0xFF, 0xFF, 0x01, 0x00};
  assert_false(cf_tlv_read(longtag, sizeof(longtag), &t));
  uint8_t l81[] = {0x80, 0x81};
  assert_false(cf_tlv_read(l81, sizeof(l81), &t));
  size_t pos = 0;
  bool err = false;
  uint8_t seq[] = {0x80, 0x01, 0x00, 0x81, 0x05};
  assert_true(cf_tlv_next(seq, sizeof(seq), &pos, &t, &err));
  assert_false(cf_tlv_next(seq, sizeof(seq), &pos, &t, &err));
  assert_true(err);
}

static void tlv_writer(void **state) {
  (void)state;
  uint8_t buf[400], val[200];
  memset(val, 0x11, sizeof(val));
  cf_tlv_writer w = {buf, 0, sizeof(buf), false};
  size_t outer = cf_tlv_open(&w, 0xA0);
  assert_true(cf_tlv_put(&w, 0x80, val, 5));
  assert_true(cf_tlv_put(&w, 0x5F20, val, 200));
  assert_true(cf_tlv_close(&w, outer));
  cf_tlv t, in;
  assert_true(cf_tlv_read(buf, w.len, &t));
  assert_int_equal(t.total, w.len);
  assert_int_equal(t.len, (2 + 5) + (2 + 2 + 200)); /* 80 05 .. and 5F20 81C8 .. */
  assert_true(cf_tlv_find(t.value, t.len, 0x5F20, &in));
  assert_int_equal(in.len, 200);
  cf_tlv_writer small = {buf, 0, 4, false};
  assert_false(cf_tlv_put(&small, 0x80, val, 5));
  assert_true(small.failed);
}

/* ---------- the card ---------- */

typedef struct {
  int resets;
  int selects;
} probe_ctx;

static int probe_install(cf_applet *app, const char *params) {
  uint8_t v = 1;
  if (cf_store_peek(app->store, CF_STORE_KEY(app->ns, 1), NULL) == NULL)
    return cf_store_put(app->store, CF_STORE_KEY(app->ns, 1), &v, 1) == CF_STORE_OK ? 0 : -1;
  return 0;
}
static void probe_reset(cf_applet *app) {
  ((probe_ctx *)app->ctx)->resets++;
}
static uint16_t probe_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *r) {
  ((probe_ctx *)app->ctx)->selects++;
  if (cmd->p2 == 0x08) return SW_INCORRECT_P1P2;       /* an error answer to the SELECT APDU */
  if (cmd->p2 == 0x10) return SW_APPLET_SELECT_FAILED; /* declines selection */
  cf_rapdu_put(r, app->aid, app->aid_len);
  return SW_OK;
}
static uint16_t probe_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *r) {
  uint32_t key = CF_STORE_KEY(app->ns, 2);
  switch (cmd->ins) {
  case 0x10: /* echo */
    cf_rapdu_put(r, cmd->data, cmd->lc);
    return SW_OK;
  case 0x11: { /* P1P2 bytes of a counting pattern */
    size_t n = (size_t)cmd->p1 << 8 | cmd->p2;
    for (size_t i = 0; i < n; i++)
      if (!cf_rapdu_put_u8(r, (uint8_t)i)) return SW_WRONG_LENGTH;
    return SW_OK;
  }
  case 0x12: /* write the data, then answer the SW in P1P2 */
    if (cf_store_put(app->store, key, cmd->data, cmd->lc) != CF_STORE_OK) return SW_MEMORY_FAILURE;
    return (uint16_t)(cmd->p1 << 8 | cmd->p2);
  case 0x13: /* write, checkpoint, write again, fail: the first write survives */
    if (cf_store_put(app->store, key, cmd->data, cmd->lc) != CF_STORE_OK) return SW_MEMORY_FAILURE;
    if (cf_store_checkpoint(app->store) != CF_STORE_OK) return SW_MEMORY_FAILURE;
    if (cf_store_put(app->store, key, "x", 1) != CF_STORE_OK) return SW_MEMORY_FAILURE;
    return SW_WRONG_DATA;
  case 0x14: { /* read */
    size_t len = 0;
    const uint8_t *v = cf_store_peek(app->store, key, &len);
    if (!v) return SW_REFERENCED_DATA_NOT_FOUND;
    cf_rapdu_put(r, v, len);
    return SW_OK;
  }
  case 0xA4:
    return SW_FILE_NOT_FOUND;
  default:
    return SW_INS_NOT_SUPPORTED;
  }
}

static const cf_applet_ops probe_ops = {
    .name = "probe",
    .ctx_size = sizeof(probe_ctx),
    .install = probe_install,
    .reset = probe_reset,
    .select = probe_select,
    .process = probe_process,
};

static const uint8_t AID1[] = {0xF0, 0x01, 0x02, 0x03, 0x04, 0x05};
static const uint8_t AID2[] = {0xF0, 0x01, 0x02, 0x03, 0x04, 0x06, 0x07};
static const uint8_t ATR[] = {0x3B, 0x80, 0x80, 0x01, 0x01};

typedef struct {
  cf_store *store;
  cf_card *card;
  uint8_t resp[70000];
  size_t rlen;
} fixture;

static int setup_mode(void **state, cf_resp_mode mode) {
  fixture *f = test_calloc(1, sizeof(*f));
  assert_int_equal(cf_store_open_memory(&f->store), CF_STORE_OK);
  f->card = cf_card_new(f->store, ATR, sizeof(ATR), mode);
  assert_non_null(f->card);
  assert_non_null(cf_card_add_applet(f->card, &probe_ops, AID1, sizeof(AID1), "", true));
  assert_non_null(cf_card_add_applet(f->card, &probe_ops, AID2, sizeof(AID2), "", false));
  cf_card_power_on(f->card);
  *state = f;
  return 0;
}
static int setup_t1(void **state) {
  return setup_mode(state, CF_RESP_T1);
}
static int setup_t0(void **state) {
  return setup_mode(state, CF_RESP_T0);
}
static int teardown(void **state) {
  fixture *f = *state;
  cf_card_free(f->card);
  cf_store_close(f->store);
  test_free(f);
  return 0;
}

/* Sends hex, returns the SW; response data in f->resp[0..f->rlen). */
static uint16_t tx(fixture *f, const char *hex) {
  uint8_t cmd[5000];
  long n = cf_hex_decode(hex, cmd, sizeof(cmd));
  assert_true(n >= 0);
  size_t r = cf_card_transmit(f->card, cmd, (size_t)n, f->resp, sizeof(f->resp));
  assert_true(r >= 2);
  f->rlen = r - 2;
  return cf_be16(f->resp + r - 2);
}

static void card_select(void **state) {
  fixture *f = *state;
  assert_int_equal(cf_card_selected(f->card)->aid_len, sizeof(AID1)); /* default at power on */
  assert_int_equal(tx(f, "00A4040007F001020304060700"), SW_OK);
  assert_int_equal(f->rlen, sizeof(AID2));
  assert_memory_equal(cf_card_selected(f->card)->aid, AID2, sizeof(AID2));
  assert_int_equal(tx(f, "00A4040005F00102030400"), SW_OK); /* partial AID: first match */
  assert_memory_equal(f->resp, AID1, sizeof(AID1));
  assert_int_equal(tx(f, "00A4040005A00000000100"), SW_FILE_NOT_FOUND); /* forwarded to the selected one */
  assert_int_equal(tx(f, "00A4040000"), SW_OK);                         /* no data: default */
  assert_memory_equal(f->resp, AID1, sizeof(AID1));
}

static int selects_of(fixture *f) {
  return ((probe_ctx *)cf_card_selected(f->card)->ctx)->selects;
}

/* Which SELECT the runtime handles itself (JCRE "Applet Selection with SELECT FILE", step 1) and
 * which it hands to the selected applet's process (the probe answers 6A82 there; 9000 and its AID
 * come from its select). */
static void card_select_forwarding(void **state) {
  fixture *f = *state;
  assert_int_equal(tx(f, "00A4040007F001020304060700"), SW_OK);
  int selects = selects_of(f);
  const char *not_selections[] = {
      "80A4040007F001020304060700", /* proprietary class */
      "0CA4040007F001020304060700", /* secure messaging bits */
      "00A4040207F001020304060700", /* P2 02: next occurrence */
      "00A4040107F001020304060700", /* P2 b1..b2 not 00 */
      "00A4042007F001020304060700", /* P2 b6..b8 not 000 */
      "00A4000002F00100",           /* select by file identifier */
      "00A4040005A000000001",       /* an AID no applet has */
  };
  for (size_t i = 0; i < sizeof not_selections / sizeof *not_selections; i++) {
    assert_int_equal(tx(f, not_selections[i]), SW_FILE_NOT_FOUND);
    assert_memory_equal(cf_card_selected(f->card)->aid, AID2, sizeof(AID2)); /* still selected */
    assert_int_equal(selects_of(f), selects);                                /* not reselected */
  }
  assert_int_equal(tx(f, "00A4040C07F001020304060700"), SW_OK); /* P2 0C and 04: FCI options */
  assert_int_equal(tx(f, "00A4040407F001020304060700"), SW_OK);
  assert_int_equal(selects_of(f), selects + 2);
  assert_int_equal(tx(f, "00A40400"), SW_OK); /* no data, no Le: the default application */
  assert_memory_equal(cf_card_selected(f->card)->aid, AID1, sizeof(AID1));
}

/* A card without a default application (the Keycard): nothing is selected after power on, and the
 * runtime answers what a Java Card runtime answers with no active applet. */
static int setup_no_default(void **state) {
  fixture *f = test_calloc(1, sizeof(*f));
  assert_int_equal(cf_store_open_memory(&f->store), CF_STORE_OK);
  f->card = cf_card_new(f->store, ATR, sizeof(ATR), CF_RESP_T1);
  assert_non_null(f->card);
  assert_non_null(cf_card_add_applet(f->card, &probe_ops, AID1, sizeof(AID1), "", false));
  cf_card_power_on(f->card);
  *state = f;
  return 0;
}

static void card_nothing_selected(void **state) {
  fixture *f = *state;
  assert_null(cf_card_selected(f->card));
  assert_int_equal(tx(f, "8010000001AA"), SW_APPLET_SELECT_FAILED);
  assert_int_equal(f->rlen, 0);
  assert_int_equal(tx(f, "00A4040005A000000001"), SW_APPLET_SELECT_FAILED); /* unknown AID */
  assert_int_equal(tx(f, "00A4040000"), SW_APPLET_SELECT_FAILED);           /* no data, no default */
  assert_int_equal(tx(f, "00A4040C06F0010203040500"), SW_OK);
  assert_int_equal(tx(f, "00A40400"), SW_FILE_NOT_FOUND); /* now it goes to the selected applet */
  assert_non_null(cf_card_selected(f->card));
  cf_card_power_on(f->card);
  assert_null(cf_card_selected(f->card));
  assert_int_equal(tx(f, "00C0000000"), SW_APPLET_SELECT_FAILED);
}

/* Java Card: an applet whose select() accepts stays selected whatever its process answers to the
 * SELECT APDU; one that declines (6999) leaves no applet selected. */
static void card_select_errors(void **state) {
  fixture *f = *state;
  assert_int_equal(tx(f, "00A4040807F001020304060700"), SW_INCORRECT_P1P2);
  assert_int_equal(f->rlen, 0);
  assert_memory_equal(cf_card_selected(f->card)->aid, AID2, sizeof(AID2));
  assert_int_equal(tx(f, "8010000001AA"), SW_OK); /* AID2 answers */
  assert_int_equal(tx(f, "00A4041006F00102030405"), SW_APPLET_SELECT_FAILED);
  assert_null(cf_card_selected(f->card));
  assert_int_equal(tx(f, "8010000001AA"), SW_APPLET_SELECT_FAILED);
  assert_int_equal(tx(f, "00A4040000"), SW_OK); /* the default accepts again */
  assert_memory_equal(cf_card_selected(f->card)->aid, AID1, sizeof(AID1));
}

static void card_class_checks(void **state) {
  fixture *f = *state;
  assert_int_equal(tx(f, "FF100000"), SW_CLA_NOT_SUPPORTED);
  assert_int_equal(tx(f, "01100000"), SW_LOGICAL_CHANNEL_NOT_SUPPORTED);
  assert_int_equal(tx(f, "8010"), SW_WRONG_LENGTH);
  assert_int_equal(tx(f, "80990000"), SW_INS_NOT_SUPPORTED);
}

static void card_t1_long_response(void **state) {
  fixture *f = *state;
  assert_int_equal(tx(f, "8011012C00"), 0x6100 | 44); /* 300 bytes, short APDU: 256 now */
  assert_int_equal(f->rlen, 256);
  assert_int_equal(f->resp[255], 255);
  assert_int_equal(tx(f, "00C000002C"), SW_OK);
  assert_int_equal(f->rlen, 44);
  assert_int_equal(f->resp[0], (uint8_t)256);
  assert_int_equal(tx(f, "8011012C"), 0x6100 | 44); /* no Le at all: same */
  assert_int_equal(tx(f, "80110010"), SW_OK);       /* fits: returned although no Le */
  assert_int_equal(f->rlen, 16);
  assert_int_equal(tx(f, "8011001008"), 0x6108); /* Le smaller than the data */
  assert_int_equal(f->rlen, 8);
  assert_int_equal(tx(f, "00C0000000"), SW_OK);
  assert_int_equal(f->rlen, 8);
  assert_int_equal(f->resp[0], 8);
  assert_int_equal(tx(f, "801101F4000000"), SW_OK); /* extended: 500 bytes at once */
  assert_int_equal(f->rlen, 500);
}

static void card_t0_get_response(void **state) {
  fixture *f = *state;
  assert_int_equal(tx(f, "8010000003AABBCC"), 0x6103); /* case 3/4: data waits */
  assert_int_equal(f->rlen, 0);
  assert_int_equal(tx(f, "00C0000005"), 0x6C03); /* Le too large */
  assert_int_equal(tx(f, "00C0000002"), 0x6101);
  assert_memory_equal(f->resp, "\xAA\xBB", 2);
  assert_int_equal(tx(f, "00C0000001"), SW_OK);
  assert_int_equal(f->resp[0], 0xCC);
  assert_int_equal(tx(f, "00C0000001"), SW_INS_NOT_SUPPORTED); /* nothing left: the applet answers */
  assert_int_equal(tx(f, "8011000820"), 0x6C08);               /* case 2, Le too large */
  assert_int_equal(tx(f, "8011000808"), SW_OK);
  assert_int_equal(f->rlen, 8);
  assert_int_equal(tx(f, "8011000800"), SW_OK); /* Le 00: everything */
  assert_int_equal(f->rlen, 8);
  assert_int_equal(tx(f, "8010000003AABBCC"), 0x6103);
  assert_int_equal(tx(f, "00C0010000"), SW_INCORRECT_P1P2);
}

static void card_transactions(void **state) {
  fixture *f = *state;
  assert_int_equal(tx(f, "8014000000"), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(tx(f, "80126A8002AABB"), SW_WRONG_DATA); /* error: rolled back */
  assert_int_equal(tx(f, "8014000000"), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(tx(f, "80126283020102"), 0x6283); /* warning: committed */
  assert_int_equal(tx(f, "8014000000"), SW_OK);
  assert_memory_equal(f->resp, "\x01\x02", 2);
  assert_int_equal(tx(f, "8013000002CCDD"), SW_WRONG_DATA); /* checkpointed part survives */
  assert_int_equal(tx(f, "8014000000"), SW_OK);
  assert_memory_equal(f->resp, "\xCC\xDD", 2);
  assert_false(cf_store_in_transaction(f->store));
}

static void card_chaining(void **state) {
  fixture *f = *state;
  assert_int_equal(tx(f, "9010000002AABB"), SW_OK);
  assert_int_equal(tx(f, "9010000001CC"), SW_OK);
  assert_int_equal(tx(f, "8010000001DD00"), SW_OK);
  assert_int_equal(f->rlen, 4);
  assert_memory_equal(f->resp, "\xAA\xBB\xCC\xDD", 4);
  assert_int_equal(tx(f, "9010000000"), SW_OK); /* an empty part (regression: memcpy from NULL) */
  assert_int_equal(tx(f, "8010000001EE00"), SW_OK);
  assert_int_equal(f->rlen, 1);
  assert_int_equal(tx(f, "9010000001AA"), SW_OK);
  assert_int_equal(tx(f, "8014000000"), SW_LAST_COMMAND_EXPECTED); /* another INS breaks the chain */
  char big[2 * 255 + 11];
  memcpy(big, "90100000FF", 10);
  memset(big + 10, 'A', 2 * 255);
  big[sizeof(big) - 1] = 0;
  for (int i = 0; i < 16; i++)
    assert_int_equal(tx(f, big), SW_OK);         /* 4080 bytes */
  assert_int_equal(tx(f, big), SW_WRONG_LENGTH); /* over the limit */
}

static void card_power_cycle_resets(void **state) {
  fixture *f = *state;
  probe_ctx *ctx = cf_card_selected(f->card)->ctx;
  int before = ctx->resets;
  assert_int_equal(tx(f, "8011012C00"), 0x612C);
  cf_card_power_on(f->card);
  assert_true(ctx->resets > before);
  assert_int_equal(tx(f, "00C0000000"), SW_INS_NOT_SUPPORTED); /* the pending response is gone */
}

/* The applets in the order they were added; past the end, NULL. */
static void card_enumerates_applets(void **state) {
  fixture *f = *state;
  assert_int_equal(cf_card_applet_count(f->card), 2);
  assert_memory_equal(cf_card_applet_at(f->card, 0)->aid, AID1, sizeof(AID1));
  assert_memory_equal(cf_card_applet_at(f->card, 1)->aid, AID2, sizeof(AID2));
  assert_null(cf_card_applet_at(f->card, 2));
  /* each keeps a copy of the params it was added with ("" for NULL) */
  char params[] = "a=1,b=2";
  static const uint8_t aid3[] = {0xF0, 0x03, 0x03, 0x03, 0x03};
  cf_applet *a3 = cf_card_add_applet(f->card, &probe_ops, aid3, sizeof aid3, params, false);
  assert_non_null(a3);
  params[2] = '9';
  assert_string_equal(a3->params, "a=1,b=2");
  assert_string_equal(cf_card_applet_at(f->card, 0)->params, "");
  static const uint8_t aid4[] = {0xF0, 0x04, 0x04, 0x04, 0x04};
  assert_string_equal(cf_card_add_applet(f->card, &probe_ops, aid4, sizeof aid4, NULL, false)->params, "");
}

static const cf_applet *refused_by_gate;
static int gate_calls;
static bool test_gate(void *ctx, const cf_applet *a) {
  assert_ptr_equal(ctx, &refused_by_gate);
  gate_calls++;
  return a != refused_by_gate;
}

/* A refused applet is treated as absent: by full AID, by partial AID, as default at power on and
 * for a SELECT without data; removing the gate restores it. */
static void card_select_gate(void **state) {
  fixture *f = *state;
  cf_applet *a1 = cf_card_applet_at(f->card, 0);
  refused_by_gate = cf_card_applet_at(f->card, 1);
  cf_card_set_select_gate(f->card, test_gate, &refused_by_gate);
  assert_int_equal(tx(f, "00A4040007F0010203040607"), SW_FILE_NOT_FOUND); /* a1's process answers */
  assert_ptr_equal(cf_card_selected(f->card), a1);
  assert_true(gate_calls > 0);
  refused_by_gate = a1;
  assert_int_equal(tx(f, "00A4040007F0010203040607"), SW_OK);
  assert_int_equal(tx(f, "00A4040006F00102030405"), SW_FILE_NOT_FOUND); /* AID2's process answers */
  cf_card_power_on(f->card);
  assert_null(cf_card_selected(f->card)); /* the default is refused */
  assert_int_equal(tx(f, "00A40400"), SW_APPLET_SELECT_FAILED);
  cf_card_set_select_gate(f->card, NULL, NULL);
  cf_card_power_on(f->card);
  assert_ptr_equal(cf_card_selected(f->card), a1);
}

/* An applet that makes itself the gate in its install and then fails: the gate goes with it (a
 * dangling gate would be a use after free under the sanitizer). */
static bool self_gate(void *ctx, const cf_applet *a) {
  const cf_applet *self = ctx;
  return self->aid_len != a->aid_len;
}
static int failing_manager_install(cf_applet *app, const char *params) {
  (void)params;
  cf_card_set_select_gate(app->card, self_gate, app);
  return -1;
}
static const cf_applet_ops failing_manager_ops = {.name = "failing-manager",
                                                  .install = failing_manager_install,
                                                  .select = probe_select,
                                                  .process = probe_process};

static void card_gate_of_failed_applet_removed(void **state) {
  fixture *f = *state;
  static const uint8_t aid[] = {0xF0, 0x09, 0x09, 0x09, 0x09};
  assert_null(cf_card_add_applet(f->card, &failing_manager_ops, aid, sizeof aid, "", false));
  assert_int_equal(tx(f, "00A4040007F0010203040607"), SW_OK);
  assert_int_equal(tx(f, "00A4040006F00102030405"), SW_OK);
}

static void params_and_hex(void **state) {
  (void)state;
  char v[16];
  assert_true(cf_params_get("version=2.2,fresh,kvn=01", "version", v, sizeof(v)));
  assert_string_equal(v, "2.2");
  assert_true(cf_params_get("version=2.2,fresh,kvn=01", "fresh", v, sizeof(v)));
  assert_true(cf_params_get("version=2.2,fresh,kvn=01", "kvn", v, sizeof(v)));
  assert_string_equal(v, "01");
  assert_false(cf_params_get("version=2.2", "vers", v, sizeof(v)));
  assert_false(cf_params_get("version=0123456789abcdefX", "version", v, sizeof(v)));
  uint8_t b[4];
  assert_int_equal(cf_hex_decode("0a:Bc 12", b, sizeof(b)), 3);
  assert_int_equal(b[1], 0xBC);
  assert_int_equal(cf_hex_decode("0a1", b, sizeof(b)), -1);
  assert_int_equal(cf_hex_decode("0x12", b, sizeof(b)), -1);
  assert_int_equal(cf_hex_decode("0102030405", b, sizeof(b)), -1);
  char out[9];
  cf_hex_encode((const uint8_t *)"\x01\xAB\xFF\x00", 4, out);
  assert_string_equal(out, "01ABFF00");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(apdu_cases),
      cmocka_unit_test(apdu_malformed),
      cmocka_unit_test(apdu_encode_roundtrip),
      cmocka_unit_test(tlv_read_nested),
      cmocka_unit_test(tlv_malformed),
      cmocka_unit_test(tlv_writer),
      cmocka_unit_test_setup_teardown(card_select, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_select_forwarding, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_nothing_selected, setup_no_default, teardown),
      cmocka_unit_test_setup_teardown(card_select_errors, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_class_checks, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_t1_long_response, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_t0_get_response, setup_t0, teardown),
      cmocka_unit_test_setup_teardown(card_transactions, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_chaining, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_power_cycle_resets, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_enumerates_applets, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_select_gate, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(card_gate_of_failed_applet_removed, setup_t1, teardown),
      cmocka_unit_test(params_and_hex),
  };
  return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
