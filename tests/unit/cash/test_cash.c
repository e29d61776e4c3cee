/* The Cash application (applets/cash): SELECT, SIGN with its own key (KeycardTest cashTest of
 * status-im/status-keycard tag 3.2), IDENTIFY CARD with the package's identity, and the cash data
 * the wallet writes. The card holds Cash (namespace 1) and Ident (namespace 2); the wallet's
 * namespace is 3, where the test writes the cash data record as the wallet's STORE DATA P1 02 does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/cash.h"
#include "cardforge/crypto.h"
#include "cardforge/ident.h"
#include "cardforge/keycard.h"
#include "cardforge/sw.h"

#include "../card_send.h"

#define WALLET_NS 3
#define WALLET_REC_CASH_DATA 14 /* applets/keycard KC_REC_DATA_CASH */

static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};

typedef struct fixture {
  cf_store *store;
  cf_card *card;
} fixture;

static void open_card(fixture *f) {
  f->card = cf_card_new(f->store, atr, sizeof atr, CF_RESP_T1);
  assert_non_null(f->card);
  assert_non_null(cf_card_add_applet(f->card, &cash_applet_ops, cash_instance_aid, sizeof cash_instance_aid,
                                     "wallet_ns=3,ident_ns=2", false));
  assert_non_null(cf_card_add_applet(f->card, &ident_applet_ops, ident_instance_aid,
                                     sizeof ident_instance_aid, "", false));
  cf_card_power_on(f->card);
}

static int setup(void **state) {
  static fixture f;
  memset(&f, 0, sizeof f);
  assert_int_equal(cf_store_open_memory(&f.store), CF_STORE_OK);
  open_card(&f);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  cf_card_free(f->card);
  cf_store_close(f->store);
  return 0;
}

static uint16_t select_aid(cf_card *card, const uint8_t *aid, size_t aid_len, uint8_t *out, size_t *len) {
  uint8_t cmd[5 + 16] = {0x00, 0xA4, 0x04, 0x00, (uint8_t)aid_len};
  memcpy(cmd + 5, aid, aid_len);
  return card_send(card, cmd, 5 + aid_len, out, len);
}

static uint16_t select_cash(cf_card *card, uint8_t *out, size_t *len) {
  return select_aid(card, cash_instance_aid, sizeof cash_instance_aid, out, len);
}

/* A4 L 80 41 04.. 02 02 03 02 82 n data (CashApplet.selectApplet) */
static void select_answers_key_version_and_cash_data(void **state) {
  fixture *f = *state;
  uint8_t out[256], again[256];
  size_t n = 0, n2 = 0;
  assert_int_equal(select_cash(f->card, out, &n), SW_OK);
  assert_int_equal(n, 2 + 67 + 4 + 2);
  assert_int_equal(out[0], 0xA4);
  assert_int_equal(out[1], n - 2);
  assert_int_equal(out[2], 0x80);
  assert_int_equal(out[3], 65);
  assert_int_equal(out[4], 0x04);
  const uint8_t tail[] = {0x02, 0x02, 0x03, 0x02, 0x82, 0x00};
  assert_memory_equal(out + 69, tail, sizeof tail);
  /* the wallet's cash data (KeycardTest storeDataTest: data[0] = AA, 20 bytes) */
  uint8_t data[20] = {0xAA};
  for (size_t i = 1; i < sizeof data; i++)
    data[i] = (uint8_t)i;
  assert_int_equal(cf_store_begin(f->store), CF_STORE_OK);
  assert_int_equal(cf_store_put(f->store, CF_STORE_KEY(WALLET_NS, WALLET_REC_CASH_DATA), data, sizeof data),
                   CF_STORE_OK);
  assert_int_equal(cf_store_commit(f->store), CF_STORE_OK);
  assert_int_equal(select_cash(f->card, again, &n2), SW_OK);
  assert_int_equal(n2, n + sizeof data);
  assert_int_equal(again[1], n2 - 2);
  assert_memory_equal(again + 2, out + 2, 67); /* the same key */
  assert_int_equal(again[73], 0x82);
  assert_int_equal(again[74], sizeof data);
  assert_memory_equal(again + 75, data, sizeof data);
  /* a partial AID selects it too */
  assert_int_equal(select_aid(f->card, cash_instance_aid, 8, again, &n2), SW_OK);
  assert_int_equal(again[0], 0xA4);
}

/* The most cash data the wallet stores (127 bytes): the template's one-byte length is C8, as the
 * applet writes it; a record longer than any the wallet writes is reported as no cash data. */
static void select_with_the_largest_cash_data(void **state) {
  fixture *f = *state;
  uint8_t data[KEYCARD_CASH_DATA_MAX + 1], out[300];
  size_t n = 0;
  memset(data, 0x5A, sizeof data);
  assert_int_equal(cf_store_begin(f->store), CF_STORE_OK);
  assert_int_equal(
      cf_store_put(f->store, CF_STORE_KEY(WALLET_NS, WALLET_REC_CASH_DATA), data, KEYCARD_CASH_DATA_MAX),
      CF_STORE_OK);
  assert_int_equal(cf_store_commit(f->store), CF_STORE_OK);
  assert_int_equal(select_cash(f->card, out, &n), SW_OK);
  assert_int_equal(n, 2 + 67 + 4 + 2 + KEYCARD_CASH_DATA_MAX);
  assert_int_equal(out[1], 0xC8);
  assert_int_equal(out[74], KEYCARD_CASH_DATA_MAX);
  assert_memory_equal(out + 75, data, KEYCARD_CASH_DATA_MAX);
  assert_int_equal(cf_store_begin(f->store), CF_STORE_OK);
  assert_int_equal(cf_store_put(f->store, CF_STORE_KEY(WALLET_NS, WALLET_REC_CASH_DATA), data, sizeof data),
                   CF_STORE_OK);
  assert_int_equal(cf_store_commit(f->store), CF_STORE_OK);
  assert_int_equal(select_cash(f->card, out, &n), SW_OK);
  assert_int_equal(n, 2 + 67 + 4 + 2);
  assert_int_equal(out[74], 0);
}

/* The key pair is made once, at install: the card reopened on its store keeps it. */
static void key_pair_is_made_once(void **state) {
  fixture *f = *state;
  uint8_t a[256], b[256];
  size_t na = 0, nb = 0;
  assert_int_equal(select_cash(f->card, a, &na), SW_OK);
  cf_card_free(f->card);
  open_card(f);
  assert_int_equal(select_cash(f->card, b, &nb), SW_OK);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
  /* another store, another key */
  cf_store *other;
  assert_int_equal(cf_store_open_memory(&other), CF_STORE_OK);
  cf_card *card = cf_card_new(other, atr, sizeof atr, CF_RESP_T1);
  assert_non_null(
      cf_card_add_applet(card, &cash_applet_ops, cash_instance_aid, sizeof cash_instance_aid, "", false));
  assert_int_equal(select_cash(card, b, &nb), SW_OK);
  assert_memory_not_equal(a + 4, b + 4, 65);
  cf_card_free(card);
  cf_store_close(other);
}

static const uint8_t half_n[32] = {0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                   0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4,
                                   0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

/* KeycardTest cashTest: SIGN of SHA-256("some data to be hashed"), no PIN, no channel; the answer
 * A0 81 L 80 41 pub DER verifies under the key SELECT reported, with a low S. */
static void sign_hash_without_pin_or_channel(void **state) {
  fixture *f = *state;
  uint8_t info[256], out[256], hash[32], sig[64];
  size_t ni = 0, n = 0;
  assert_int_equal(select_cash(f->card, info, &ni), SW_OK);
  const char msg[] = "some data to be hashed";
  assert_int_equal(cf_sha256(msg, strlen(msg), hash), 0);
  uint8_t cmd[5 + 32] = {0x80, CASH_INS_SIGN, 0x00, 0x00, 32};
  memcpy(cmd + 5, hash, 32);
  assert_int_equal(card_send(f->card, cmd, sizeof cmd, out, &n), SW_OK);
  assert_int_equal(out[0], 0xA0);
  assert_int_equal(out[1], 0x81);
  assert_int_equal(out[2], n - 3);
  assert_int_equal(out[3], 0x80);
  assert_int_equal(out[4], 65);
  assert_memory_equal(out + 5, info + 4, 65);
  assert_int_equal(out[70], 0x30);
  assert_int_equal(out[71], n - 72);
  assert_int_equal(cf_ec_sig_from_der(out + 70, n - 70, sig), 0);
  assert_true(memcmp(sig + 32, half_n, 32) <= 0);
  assert_true(cf_ec_verify(out + 5, 65, hash, sig));
  hash[0] ^= 1;
  assert_false(cf_ec_verify(out + 5, 65, hash, sig));
  /* the class is not looked at; fewer than 32 bytes are refused */
  cmd[0] = 0x00;
  assert_int_equal(card_send(f->card, cmd, sizeof cmd, out, &n), SW_OK);
  uint8_t short_cmd[5 + 31] = {0x80, CASH_INS_SIGN, 0x00, 0x00, 31};
  assert_int_equal(card_send(f->card, short_cmd, sizeof short_cmd, out, &n), SW_WRONG_DATA);
  assert_int_equal(n, 0);
  const uint8_t unknown[] = {0x80, 0xF2, 0x00, 0x00};
  assert_int_equal(card_send(f->card, unknown, sizeof unknown, out, &n), SW_INS_NOT_SUPPORTED);
}

/* KeycardTest identTest, the Cash part: IDENTIFY CARD signs with the identity the Ident
 * application took, and the CA key is recovered from the certificate. */
static void identify_card_uses_the_package_identity(void **state) {
  fixture *f = *state;
  uint8_t out[256], chal[32], ca33[33];
  size_t n = 0;
  memset(chal, 0x5C, sizeof chal);
  uint8_t cmd[5 + 32] = {0x80, CASH_INS_IDENTIFY_CARD, 0x00, 0x00, 32};
  memcpy(cmd + 5, chal, 32);
  assert_int_equal(select_cash(f->card, out, &n), SW_OK);
  assert_int_equal(card_send(f->card, cmd, sizeof cmd, out, &n), SW_CONDITIONS_NOT_SATISFIED);

  static const uint8_t ca_priv[32] = {[31] = 7}, ident_priv[32] = {[0] = 0x11, [31] = 0x22};
  uint8_t store_data[5 + IDENT_STORE_DATA_LEN] = {0x80, IDENT_INS_STORE_DATA, 0x00, 0x00,
                                                  IDENT_STORE_DATA_LEN};
  assert_int_equal(cf_ident_make_store_data(ca_priv, ident_priv, store_data + 5), 0);
  assert_int_equal(select_aid(f->card, ident_instance_aid, sizeof ident_instance_aid, out, &n), SW_OK);
  assert_int_equal(card_send(f->card, store_data, sizeof store_data, out, &n), SW_OK);

  assert_int_equal(select_cash(f->card, out, &n), SW_OK);
  uint8_t wrong_len[5 + 33] = {0x80, CASH_INS_IDENTIFY_CARD, 0x00, 0x00, 33};
  assert_int_equal(card_send(f->card, wrong_len, sizeof wrong_len, out, &n), SW_WRONG_DATA);
  assert_int_equal(card_send(f->card, cmd, sizeof cmd, out, &n), SW_OK);
  assert_int_equal(cf_ident_verify(out, n, chal, ca33), 0);
  uint8_t pub65[65], want[33];
  assert_int_equal(cf_ec_pub_from_priv(ca_priv, pub65), 0);
  assert_int_equal(cf_ec_pub_normalize(pub65, 65, NULL, want), 0);
  assert_memory_equal(ca33, want, 33);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(select_answers_key_version_and_cash_data, setup, teardown),
      cmocka_unit_test_setup_teardown(select_with_the_largest_cash_data, setup, teardown),
      cmocka_unit_test_setup_teardown(key_pair_is_made_once, setup, teardown),
      cmocka_unit_test_setup_teardown(sign_hash_without_pin_or_channel, setup, teardown),
      cmocka_unit_test_setup_teardown(identify_card_uses_the_package_identity, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
