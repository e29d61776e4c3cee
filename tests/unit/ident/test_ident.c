/* The Ident application and the package's IDENTIFY CARD answer (applets/ident), with a known
 * identity: CA private key 2 and identity private key 1, whose public keys are 2G and G. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/ident.h"
#include "cardforge/sw.h"

#include "../card_send.h"

static const uint8_t ca_priv[32] = {[31] = 2};
static const uint8_t ident_priv[32] = {[31] = 1};
/* G and 2G, compressed (SEC 2, secp256k1) */
static const char g33[] = "0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798";
static const char two_g33[] = "02C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5";

typedef struct fixture {
  cf_store *store;
  cf_card *card;
  cf_applet *ident;
} fixture;

static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};

static void open_card(fixture *f, const char *params) {
  f->card = cf_card_new(f->store, atr, sizeof atr, CF_RESP_T1);
  assert_non_null(f->card);
  f->ident = cf_card_add_applet(f->card, &ident_applet_ops, ident_instance_aid, sizeof ident_instance_aid,
                                params, false);
  assert_non_null(f->ident);
  cf_card_power_on(f->card);
}

static int setup(void **state) {
  static fixture f;
  memset(&f, 0, sizeof f);
  assert_int_equal(cf_store_open_memory(&f.store), CF_STORE_OK);
  open_card(&f, "");
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  cf_card_free(f->card);
  cf_store_close(f->store);
  return 0;
}

static uint16_t select_ident(cf_card *card, uint8_t *out, size_t *len) {
  uint8_t cmd[5 + IDENT_AID_LEN] = {0x00, 0xA4, 0x04, 0x00, IDENT_AID_LEN};
  memcpy(cmd + 5, ident_instance_aid, IDENT_AID_LEN);
  return card_send(card, cmd, sizeof cmd, out, len);
}

/* selects the application first, as a provisioning station does */
static uint16_t store_data(cf_card *card, const uint8_t *data, size_t len) {
  size_t n = 0;
  uint8_t sel[IDENT_CERT_LEN];
  assert_int_equal(select_ident(card, sel, &n), SW_OK);
  uint8_t cmd[5 + 255] = {0x80, IDENT_INS_STORE_DATA, 0x00, 0x00, (uint8_t)len};
  memcpy(cmd + 5, data, len);
  return card_send(card, cmd, 5 + len, NULL, NULL);
}

static void hex(const char *h, uint8_t *out, size_t n) {
  assert_int_equal(cf_hex_decode(h, out, n), (long)n);
}

/* Certificate.createCertificate: pub(G) || r || s of SHA-256(pub) under the CA key || recovery id;
 * then the identity private key. */
static void store_data_payload_is_a_certificate_of_the_identity_key(void **state) {
  (void)state;
  uint8_t data[IDENT_STORE_DATA_LEN], expect[33], hash[32], pub65[65];
  assert_int_equal(cf_ident_make_store_data(ca_priv, ident_priv, data), 0);
  hex(g33, expect, 33);
  assert_memory_equal(data, expect, 33);
  assert_memory_equal(data + IDENT_CERT_LEN, ident_priv, 32);
  assert_true(data[97] <= 3);
  assert_int_equal(cf_sha256(data, 33, hash), 0);
  assert_int_equal(cf_ec_recover(hash, data + 33, data[97], pub65), 0);
  uint8_t ca33[33], want_ca[33];
  assert_int_equal(cf_ec_pub_normalize(pub65, 65, NULL, ca33), 0);
  hex(two_g33, want_ca, 33);
  assert_memory_equal(ca33, want_ca, 33);
  uint8_t zero[32] = {0};
  assert_int_equal(cf_ident_make_store_data(zero, ident_priv, data), -1);
}

static void unprovisioned_select_answers_nothing_and_identify_refuses(void **state) {
  fixture *f = *state;
  uint8_t out[256], chal[33] = {0};
  size_t n = 99;
  assert_int_equal(select_ident(f->card, out, &n), SW_OK);
  assert_int_equal(n, 0);
  /* no certificate is checked before the length (IdentApplet.identifyCard) */
  assert_int_equal(cf_ident_identify(f->store, f->ident->ns, chal, 33, out, sizeof out, &n),
                   SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(cf_ident_identify(f->store, f->ident->ns, chal, 32, out, sizeof out, &n),
                   SW_CONDITIONS_NOT_SATISFIED);
}

static void store_data_provisions_once(void **state) {
  fixture *f = *state;
  uint8_t data[IDENT_STORE_DATA_LEN], out[256];
  size_t n = 0;
  assert_int_equal(cf_ident_make_store_data(ca_priv, ident_priv, data), 0);
  assert_int_equal(store_data(f->card, data, sizeof data - 1), SW_WRONG_DATA);
  uint8_t bad_key[IDENT_STORE_DATA_LEN];
  memcpy(bad_key, data, IDENT_CERT_LEN);
  memset(bad_key + IDENT_CERT_LEN, 0xFF, 32); /* >= n: no private key */
  assert_int_equal(store_data(f->card, bad_key, sizeof bad_key), SW_WRONG_DATA);
  assert_int_equal(select_ident(f->card, out, &n), SW_OK);
  assert_int_equal(n, 0); /* the refused commands left nothing */

  assert_int_equal(store_data(f->card, data, sizeof data), SW_OK);
  assert_int_equal(select_ident(f->card, out, &n), SW_OK);
  assert_int_equal(n, IDENT_CERT_LEN);
  assert_memory_equal(out, data, IDENT_CERT_LEN);
  /* once provisioned, never again */
  uint8_t other[IDENT_STORE_DATA_LEN];
  assert_int_equal(cf_ident_make_store_data(ident_priv, ca_priv, other), 0);
  assert_int_equal(store_data(f->card, other, sizeof other), SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(select_ident(f->card, out, &n), SW_OK);
  assert_memory_equal(out, data, IDENT_CERT_LEN);
}

static void identify_card_signs_the_challenge_and_recovers_the_ca(void **state) {
  fixture *f = *state;
  uint8_t data[IDENT_STORE_DATA_LEN], out[IDENT_RESPONSE_MAX], chal[32], ca33[33], want_ca[33];
  size_t n = 0;
  assert_int_equal(cf_ident_make_store_data(ca_priv, ident_priv, data), 0);
  assert_int_equal(store_data(f->card, data, sizeof data), SW_OK);
  for (size_t i = 0; i < sizeof chal; i++)
    chal[i] = (uint8_t)(0xA5 ^ i);
  /* KeycardTest identTest: a 33-byte challenge is 6A80 */
  assert_int_equal(cf_ident_identify(f->store, f->ident->ns, chal, 33, out, sizeof out, &n), SW_WRONG_DATA);
  assert_int_equal(cf_ident_identify(f->store, f->ident->ns, chal, 32, out, sizeof out, &n), SW_OK);
  /* A0 81 L 8A 62 cert(98) 30 ... */
  assert_int_equal(out[0], 0xA0);
  assert_int_equal(out[1], 0x81);
  assert_int_equal(out[2], n - 3);
  assert_int_equal(out[3], 0x8A);
  assert_int_equal(out[4], 98);
  assert_memory_equal(out + 5, data, IDENT_CERT_LEN);
  assert_int_equal(out[5 + 98], 0x30);
  assert_int_equal(cf_ident_verify(out, n, chal, ca33), 0);
  hex(two_g33, want_ca, 33);
  assert_memory_equal(ca33, want_ca, 33);
  /* another challenge, or a damaged answer, does not verify */
  uint8_t other[32];
  memcpy(other, chal, 32);
  other[0] ^= 1;
  assert_int_equal(cf_ident_verify(out, n, other, ca33), -1);
  out[n - 1] ^= 1;
  assert_int_equal(cf_ident_verify(out, n, chal, ca33), -1);
  assert_int_equal(cf_ident_verify(out, 4, chal, ca33), -1);
}

/* IDENTIFY CARD belongs to the wallet and Cash applications: the Ident application has STORE DATA
 * only (tag 3.2), every other INS is 6D00. */
static void ident_application_knows_store_data_only(void **state) {
  fixture *f = *state;
  uint8_t out[16];
  size_t n = 0;
  assert_int_equal(select_ident(f->card, out, &n), SW_OK);
  uint8_t identify[5 + 32] = {0x80, 0x14, 0x00, 0x00, 32};
  assert_int_equal(card_send(f->card, identify, sizeof identify, out, &n), SW_INS_NOT_SUPPORTED);
  const uint8_t by_fid[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x04};
  assert_int_equal(card_send(f->card, by_fid, sizeof by_fid, out, &n), SW_INS_NOT_SUPPORTED);
}

/* Install parameter ca=: a fresh identity certified by that CA, kept when the card is reopened. */
static void install_with_a_test_ca_provisions_and_survives_reopening(void **state) {
  fixture *f = *state;
  cf_card_free(f->card);
  open_card(f, "ca=0000000000000000000000000000000000000000000000000000000000000002");
  uint8_t cert1[128], cert2[128], out[IDENT_RESPONSE_MAX], chal[32] = {1}, ca33[33], want_ca[33];
  size_t n1 = 0, n2 = 0, n = 0;
  assert_int_equal(select_ident(f->card, cert1, &n1), SW_OK);
  assert_int_equal(n1, IDENT_CERT_LEN);
  assert_int_equal(cf_ident_identify(f->store, f->ident->ns, chal, 32, out, sizeof out, &n), SW_OK);
  assert_int_equal(cf_ident_verify(out, n, chal, ca33), 0);
  hex(two_g33, want_ca, 33);
  assert_memory_equal(ca33, want_ca, 33);
  cf_card_free(f->card);
  open_card(f, "ca=0000000000000000000000000000000000000000000000000000000000000002");
  assert_int_equal(select_ident(f->card, cert2, &n2), SW_OK);
  assert_int_equal(n2, IDENT_CERT_LEN);
  assert_memory_equal(cert1, cert2, IDENT_CERT_LEN);
  /* a malformed CA key refuses the install */
  cf_card *card = cf_card_new(f->store, atr, sizeof atr, CF_RESP_T1);
  assert_null(cf_card_add_applet(card, &ident_applet_ops, ident_instance_aid, sizeof ident_instance_aid,
                                 "ca=12", false));
  cf_card_free(card);
}

/* STORE DATA writes the key and the certificate in one transaction: a power cut at any write of
 * its commit leaves the card either unprovisioned or provisioned with a key that signs, never a
 * certificate without its key. */
static void power_cut_during_store_data_is_all_or_nothing(void **state) {
  fixture *f = *state;
  uint8_t data[IDENT_STORE_DATA_LEN], out[IDENT_RESPONSE_MAX], chal[32] = {9}, ca33[33];
  assert_int_equal(cf_ident_make_store_data(ca_priv, ident_priv, data), 0);
  bool saw_before = false, saw_after = false;
  for (long cut_at = 1; cut_at <= 4; cut_at++) {
    cf_card_free(f->card);
    cf_store_close(f->store);
    assert_int_equal(cf_store_open_memory(&f->store), CF_STORE_OK);
    open_card(f, "");
    size_t n = 0;
    assert_int_equal(select_ident(f->card, out, &n), SW_OK);
    cf_store_fault_at(f->store, cut_at);
    uint8_t cmd[5 + IDENT_STORE_DATA_LEN] = {0x80, IDENT_INS_STORE_DATA, 0x00, 0x00, IDENT_STORE_DATA_LEN};
    memcpy(cmd + 5, data, sizeof data);
    uint16_t sw = card_send(f->card, cmd, sizeof cmd, out, &n);
    bool cut = cf_store_is_cut(f->store);
    cf_store_fault_at(f->store, 0);
    assert_int_equal(sw, cut ? SW_MEMORY_FAILURE : SW_OK);
    /* power comes back: the card is reopened on what the store committed */
    cf_card_free(f->card);
    assert_int_equal(cf_store_power_restore(f->store), CF_STORE_OK);
    open_card(f, "");
    assert_int_equal(select_ident(f->card, out, &n), SW_OK);
    if (n == 0) {
      saw_before = true;
      assert_true(cut);
      assert_int_equal(cf_ident_identify(f->store, f->ident->ns, chal, 32, out, sizeof out, &n),
                       SW_CONDITIONS_NOT_SATISFIED);
    } else {
      saw_after = true;
      assert_int_equal(n, IDENT_CERT_LEN);
      assert_int_equal(cf_ident_identify(f->store, f->ident->ns, chal, 32, out, sizeof out, &n), SW_OK);
      assert_int_equal(cf_ident_verify(out, n, chal, ca33), 0);
    }
  }
  assert_true(saw_before);
  assert_true(saw_after);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(store_data_payload_is_a_certificate_of_the_identity_key),
      cmocka_unit_test_setup_teardown(unprovisioned_select_answers_nothing_and_identify_refuses, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(store_data_provisions_once, setup, teardown),
      cmocka_unit_test_setup_teardown(identify_card_signs_the_challenge_and_recovers_the_ca, setup, teardown),
      cmocka_unit_test_setup_teardown(ident_application_knows_store_data_only, setup, teardown),
      cmocka_unit_test_setup_teardown(install_with_a_test_ca_provisions_and_survives_reopening, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(power_cut_during_store_data_is_all_or_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
