/* What the wallet applet shares with the other applications of the Keycard as shipped:
 * - the wallet's IDENTIFY CARD answers with the identity the Ident application holds
 *   (IdentApplet.identifyCard, status-keycard tag 3.2): plain before INIT and without a channel,
 *   wrapped inside one; 6985 before any certificate (checked before the challenge's length);
 * - the cash data the wallet stores with STORE DATA P1 02 is what Cash SELECT reports (tag 82),
 *   read through cf_keycard_cash_read.
 * The certificate is the known one of the ident tests: CA key 2, identity key 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/ident.h"
#include "cardforge/keycard.h"
#include "cardforge/keycard_card.h"
#include "cardforge/sw.h"
#include "kc_host.h"

static uint8_t store_data[IDENT_STORE_DATA_LEN];
static uint8_t ca_pub33[33];

static void make_known_certificate(void) {
  uint8_t ca_priv[32] = {0}, ident_priv[32] = {0}, pub65[65];
  ca_priv[31] = 2;
  ident_priv[31] = 1;
  assert_int_equal(cf_ident_make_store_data(ca_priv, ident_priv, store_data), 0);
  assert_int_equal(cf_ec_pub_from_priv(ca_priv, pub65), 0);
  assert_int_equal(cf_ec_pub_normalize(pub65, 65, NULL, ca_pub33), 0);
}

/* A keycard-card (no test CA: the Ident application starts unprovisioned) driven by the test host. */
static void new_card(kch *h) {
  memset(h, 0, sizeof *h);
  assert_int_equal(cf_store_open_memory(&h->store), CF_STORE_OK);
  h->card = keycard_card_profile.create(h->store, "");
  assert_non_null(h->card);
  cf_card_power_on(h->card);
}

static void provision_ident(kch *h) {
  static const uint8_t ident_aid[] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x04, 0x01};
  assert_int_equal(kch_send(h, 0x00, 0xA4, 0x04, 0x00, ident_aid, sizeof ident_aid), SW_OK);
  assert_int_equal(kch_send(h, 0x80, 0xE2, 0x00, 0x00, store_data, sizeof store_data), SW_OK);
}

static void assert_identity(const kch *h, const uint8_t challenge[32]) {
  uint8_t ca33[33];
  assert_int_equal(h->data[0], IDENT_TLV_SIGNATURE_TEMPLATE);
  assert_int_equal(h->data[3], IDENT_TLV_CERT);
  assert_memory_equal(h->data + 5, store_data, IDENT_CERT_LEN); /* the stored certificate as it is */
  assert_int_equal(cf_ident_verify(h->data, h->len, challenge, ca33), 0);
  assert_memory_equal(ca33, ca_pub33, 33);
}

static void wallet_identifies_before_init_and_in_the_channel(void **state) {
  (void)state;
  kch h;
  new_card(&h);
  uint8_t chal[33];
  memset(chal, 0x5A, sizeof chal);
  /* unprovisioned: 6985 whatever the challenge's length, as the certificate is checked first */
  assert_int_equal(kch_select(&h), SW_OK);
  assert_int_equal(kch_send(&h, 0x80, 0x14, 0, 0, chal, 32), SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(kch_send(&h, 0x80, 0x14, 0, 0, chal, 33), SW_CONDITIONS_NOT_SATISFIED);

  provision_ident(&h);
  assert_int_equal(kch_select(&h), SW_OK);
  assert_false(h.initialized);
  assert_int_equal(kch_send(&h, 0x80, 0x14, 0, 0, chal, 32), SW_OK);
  assert_identity(&h, chal);
  assert_int_equal(kch_send(&h, 0x80, 0x14, 0, 0, chal, 33), SW_WRONG_DATA);

  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), NULL, 0), SW_OK);
  assert_int_equal(kch_select(&h), SW_OK);
  assert_int_equal(kch_send(&h, 0x80, 0x14, 0, 0, chal, 32), SW_OK); /* initialized, no channel */
  assert_identity(&h, chal);
  assert_int_equal(kch_pair(&h, kch_test_secret()), SW_OK);
  assert_int_equal(kch_open(&h), SW_OK);
  chal[0] = 0x01; /* a new challenge, signed through the channel */
  assert_int_equal(kch_cmd(&h, 0x14, 0, 0, chal, 32), SW_OK);
  assert_identity(&h, chal);
  assert_int_equal(kch_cmd(&h, 0x14, 0, 0, chal, 33), SW_WRONG_DATA);
  assert_int_equal(kch_cmd(&h, 0x14, 0, 0, chal, 32), SW_OK); /* the channel survived the error */
  assert_int_equal(kch_cmd_bad_mac(&h, 0x14, 0, 0, chal, 32), SW_SECURITY_STATUS_NOT_SATISFIED);
  kch_free(&h);
}

/* The wallet card alone has no Ident application: IDENTIFY CARD is 6985; a bad ident_ns makes no card. */
static void wallet_alone_has_no_identity(void **state) {
  (void)state;
  kch h;
  kch_new(&h, "");
  assert_int_equal(kch_select(&h), SW_OK);
  uint8_t chal[32] = {0};
  assert_int_equal(kch_send(&h, 0x80, 0x14, 0, 0, chal, 32), SW_CONDITIONS_NOT_SATISFIED);
  kch_free(&h);
  cf_store *s;
  assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
  static const char *const bad[] = {"ident_ns=0", "ident_ns=x", "ident_ns=70000", "ident_ns=4x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cf_card *c = cf_card_new(s, (const uint8_t *)"\x3B\x00", 2, CF_RESP_T1);
    assert_non_null(c);
    assert_null(cf_card_add_applet(c, &keycard_applet_ops, keycard_aid, KEYCARD_AID_LEN, bad[i], false));
    cf_card_free(c);
  }
  cf_store_close(s);
}

/* STORE DATA P1 02 on the wallet is the cash data of Cash SELECT, read with cf_keycard_cash_read. */
static void cash_data_is_the_wallets(void **state) {
  (void)state;
  kch h;
  new_card(&h);
  uint8_t out[KEYCARD_CASH_DATA_MAX];
  size_t len = 99;
  assert_int_equal(cf_keycard_cash_read(h.store, KEYCARD_CARD_NS_WALLET, out, sizeof out, &len),
                   KEYCARD_NDEF_OK);
  assert_int_equal(len, 0);
  assert_int_equal(kch_select(&h), SW_OK);
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), NULL, 0), SW_OK);
  assert_int_equal(kch_select(&h), SW_OK);
  assert_int_equal(kch_pair(&h, kch_test_secret()), SW_OK);
  assert_int_equal(kch_open(&h), SW_OK);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), SW_OK);
  static const uint8_t cash[] = "some cash data";
  assert_int_equal(kch_cmd(&h, 0xE2, KEYCARD_DATA_P1_CASH, 0, cash, sizeof cash - 1), SW_OK);

  assert_int_equal(cf_keycard_cash_read(h.store, KEYCARD_CARD_NS_WALLET, out, sizeof out, &len),
                   KEYCARD_NDEF_OK);
  assert_int_equal(len, sizeof cash - 1);
  assert_memory_equal(out, cash, len);
  assert_int_equal(cf_keycard_cash_read(h.store, KEYCARD_CARD_NS_WALLET, out, 3, &len),
                   KEYCARD_NDEF_SHORT_BUFFER);
  assert_int_equal(len, sizeof cash - 1);
  assert_int_equal(cf_keycard_cash_read(NULL, KEYCARD_CARD_NS_WALLET, out, sizeof out, &len),
                   KEYCARD_NDEF_STORE_ERROR);

  static const uint8_t cash_aid[] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x03, 0x01};
  assert_int_equal(kch_send(&h, 0x00, 0xA4, 0x04, 0x00, cash_aid, sizeof cash_aid), SW_OK);
  /* A4 L, 80 41 pub, 02 02 0302, 82 n data */
  assert_int_equal(h.len, 2 + 67 + 4 + 2 + sizeof cash - 1);
  assert_int_equal(h.data[73], 0x82);
  assert_int_equal(h.data[74], sizeof cash - 1);
  assert_memory_equal(h.data + 75, cash, sizeof cash - 1);
  kch_free(&h);
}

int main(void) {
  make_known_certificate();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(wallet_identifies_before_init_and_in_the_channel),
      cmocka_unit_test(wallet_alone_has_no_identity),
      cmocka_unit_test(cash_data_is_the_wallets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
