/* The Keycard as shipped (applets/keycard_card): the Security Domain and the package's four
 * applications on one card, each selectable by its AID (full or partial), each with its own state,
 * and the state they share: the wallet's NDEF file read through the NDEF application, the identity
 * the Ident application holds answered by the Cash application. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/cash.h"
#include "cardforge/crypto.h"
#include "cardforge/gp.h"
#include "cardforge/hex.h"
#include "cardforge/ident.h"
#include "cardforge/keycard.h"
#include "cardforge/keycard_card.h"
#include "cardforge/ndef.h"
#include "cardforge/sw.h"

#define CA_KEY "00000000000000000000000000000000000000000000000000000000000000C5"

static cf_store *store;
static cf_card *card;
static uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
static size_t rlen;

static uint16_t tx(const char *hex) {
  uint8_t cmd[300];
  long n = cf_hex_decode(hex, cmd, sizeof cmd);
  assert_true(n >= 4);
  size_t r = cf_card_transmit(card, cmd, (size_t)n, resp, sizeof resp);
  assert_true(r >= 2);
  rlen = r - 2;
  return (uint16_t)(resp[r - 2] << 8 | resp[r - 1]);
}

static void open_card(const char *params) {
  card = keycard_card_profile.create(store, params);
  assert_non_null(card);
  cf_card_power_on(card);
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  open_card("ident_ca=" CA_KEY);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  cf_card_free(card);
  cf_store_close(store);
  return 0;
}

static void applications_and_namespaces(void **state) {
  (void)state;
  const cf_applet *isd = cf_card_selected(card); /* the Security Domain, at power on */
  assert_non_null(isd);
  assert_memory_equal(isd->aid, gp_isd_aid, GP_ISD_AID_LEN);
  assert_int_equal(isd->ns, KEYCARD_CARD_NS_ISD);
  size_t atr_len = 0;
  const uint8_t *atr = cf_card_atr(card, &atr_len);
  assert_memory_equal(atr + 6, "Keycard", 7);

  assert_int_equal(tx("00A4040009A00000080400010101"), SW_OK); /* wallet: A4 or 80 template */
  assert_int_equal(cf_card_selected(card)->ns, KEYCARD_CARD_NS_WALLET);
  assert_int_equal(tx("00A4040007D2760000850101"), SW_OK);
  assert_int_equal(rlen, 0);
  assert_int_equal(cf_card_selected(card)->ns, KEYCARD_CARD_NS_NDEF);
  assert_int_equal(tx("00A4040009A00000080400010301"), SW_OK);
  assert_int_equal(resp[0], 0xA4);
  assert_int_equal(cf_card_selected(card)->ns, KEYCARD_CARD_NS_CASH);
  assert_int_equal(tx("00A4040009A00000080400010401"), SW_OK);
  assert_int_equal(rlen, IDENT_CERT_LEN); /* provisioned by the test CA */
  assert_int_equal(cf_card_selected(card)->ns, KEYCARD_CARD_NS_IDENT);
  /* a partial AID: the class AID of Cash selects its instance */
  assert_int_equal(tx("00A4040008A000000804000103"), SW_OK);
  assert_int_equal(cf_card_selected(card)->ns, KEYCARD_CARD_NS_CASH);
  assert_int_equal(tx("00A4040008A000000151000000"), SW_OK);
  assert_ptr_equal(cf_card_selected(card), isd);
}

/* IDENTIFY CARD on Cash with the identity the card was made with; the CA key is recovered. */
static void cash_identifies_with_the_test_ca_certificate(void **state) {
  (void)state;
  assert_int_equal(tx("00A4040009A00000080400010301"), SW_OK);
  uint8_t chal[32];
  memset(chal, 0x42, sizeof chal);
  assert_int_equal(tx("8014000020"
                      "4242424242424242424242424242424242424242424242424242424242424242"),
                   SW_OK);
  uint8_t ca33[33], ca_priv[32], pub65[65], want[33];
  assert_int_equal(cf_ident_verify(resp, rlen, chal, ca33), 0);
  assert_int_equal(cf_hex_decode(CA_KEY, ca_priv, sizeof ca_priv), 32);
  assert_int_equal(cf_ec_pub_from_priv(ca_priv, pub65), 0);
  assert_int_equal(cf_ec_pub_normalize(pub65, 65, NULL, want), 0);
  assert_memory_equal(ca33, want, 33);
}

/* The card reopened on its store keeps every application's state: the Cash key, the certificate. */
static void reopened_card_keeps_keys_and_certificate(void **state) {
  (void)state;
  uint8_t cash1[128], cert1[IDENT_CERT_LEN];
  assert_int_equal(tx("00A4040009A00000080400010301"), SW_OK);
  memcpy(cash1, resp, 69);
  assert_int_equal(tx("00A4040009A00000080400010401"), SW_OK);
  memcpy(cert1, resp, IDENT_CERT_LEN);
  cf_card_free(card);
  open_card("ident_ca=" CA_KEY);
  assert_int_equal(tx("00A4040009A00000080400010301"), SW_OK);
  assert_memory_equal(resp, cash1, 69);
  assert_int_equal(tx("00A4040009A00000080400010401"), SW_OK);
  assert_memory_equal(resp, cert1, IDENT_CERT_LEN);
}

/* The NDEF file is the wallet's: what sits in the wallet's record is what the phone reads. */
static void ndef_application_reads_the_wallet_file(void **state) {
  (void)state;
  const uint8_t file[] = {0x00, 0x05, 0xD1, 0x01, 0x01, 0x55, 0x00};
  assert_int_equal(cf_store_begin(store), CF_STORE_OK);
  assert_int_equal(cf_store_put(store, CF_STORE_KEY(KEYCARD_CARD_NS_WALLET, 13), file, sizeof file),
                   CF_STORE_OK);
  assert_int_equal(cf_store_commit(store), CF_STORE_OK);
  assert_int_equal(tx("00A4040007D276000085010100"), SW_OK);
  assert_int_equal(tx("00A4000C02E104"), SW_OK);
  assert_int_equal(tx("00B0000000"), SW_OK);
  assert_int_equal(rlen, sizeof file);
  assert_memory_equal(resp, file, sizeof file);
}

/* Without the test CA the identity is unprovisioned: IDENTIFY CARD on Cash is 6985. */
static void without_ca_identify_is_refused(void **state) {
  (void)state;
  cf_store *s2;
  assert_int_equal(cf_store_open_memory(&s2), CF_STORE_OK);
  cf_card *c2 = keycard_card_profile.create(s2, "");
  assert_non_null(c2);
  cf_card *keep = card;
  card = c2;
  assert_int_equal(tx("00A4040009A00000080400010401"), SW_OK);
  assert_int_equal(rlen, 0);
  assert_int_equal(tx("00A4040009A00000080400010301"), SW_OK);
  assert_int_equal(tx("8014000020"
                      "4242424242424242424242424242424242424242424242424242424242424242"),
                   SW_CONDITIONS_NOT_SATISFIED);
  card = keep;
  cf_card_free(c2);
  cf_store_close(s2);
  /* a malformed CA key makes no card */
  cf_store *s3;
  assert_int_equal(cf_store_open_memory(&s3), CF_STORE_OK);
  assert_null(keycard_card_profile.create(s3, "ident_ca=1234"));
  cf_store_close(s3);
}

/* Every INS with odd P1 P2 and lengths, on each package application: no crash, and what an
 * application keeps (the Cash key, the certificate, the NDEF file) stays as it was. */
static void malformed_commands_change_nothing(void **state) {
  (void)state;
  static const char *const aids[] = {"D2760000850101", "A00000080400010301", "A00000080400010401"};
  uint8_t before[3][128];
  size_t before_len[3];
  char sel[64];
  for (size_t a = 0; a < 3; a++) {
    snprintf(sel, sizeof sel, "00A40400%02zX%s", strlen(aids[a]) / 2, aids[a]);
    assert_int_equal(tx(sel), SW_OK);
    before_len[a] = rlen < sizeof before[a] ? rlen : sizeof before[a];
    memcpy(before[a], resp, before_len[a]);
  }
  static const char *const shapes[] = {"", "00", "01FF",
                                       "20"
                                       "00000000000000000000000000000000000000000000000000000000000000"
                                       "00",
                                       "FF"};
  char apdu[600];
  for (size_t a = 0; a < 3; a++) {
    snprintf(sel, sizeof sel, "00A40400%02zX%s", strlen(aids[a]) / 2, aids[a]);
    for (unsigned ins = 0; ins < 256; ins++) {
      if (ins == 0xA4 || ins == 0xC0 || ins == 0xE2 || (ins & 0xF0) == 0x60 || (ins & 0xF0) == 0x90) continue;
      for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        assert_int_equal(tx(sel), SW_OK);
        snprintf(apdu, sizeof apdu, "80%02X%s%s", ins, k % 2 ? "FFFF" : "0000", shapes[k]);
        (void)tx(apdu);
      }
    }
  }
  for (size_t a = 0; a < 3; a++) {
    snprintf(sel, sizeof sel, "00A40400%02zX%s", strlen(aids[a]) / 2, aids[a]);
    assert_int_equal(tx(sel), SW_OK);
    assert_int_equal(rlen < sizeof before[a] ? rlen : sizeof before[a], before_len[a]);
    assert_memory_equal(resp, before[a], before_len[a]);
  }
  assert_int_equal(tx("00A4040007D2760000850101"), SW_OK);
  assert_int_equal(tx("00A4000C02E104"), SW_OK);
  assert_int_equal(tx("00B0000002"), SW_OK);
  assert_int_equal(cf_be16(resp), 0); /* the NDEF file is still empty */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(applications_and_namespaces, setup, teardown),
      cmocka_unit_test_setup_teardown(cash_identifies_with_the_test_ca_certificate, setup, teardown),
      cmocka_unit_test_setup_teardown(reopened_card_keeps_keys_and_certificate, setup, teardown),
      cmocka_unit_test_setup_teardown(ndef_application_reads_the_wallet_file, setup, teardown),
      cmocka_unit_test_setup_teardown(without_ca_identify_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(malformed_commands_change_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
