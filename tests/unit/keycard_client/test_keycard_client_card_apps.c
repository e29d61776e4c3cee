/* The Keycard host library's clients of the other applications of the Keycard as shipped, in
 * process against keycard-card: Cash (SELECT, SIGN of KeycardTest cashTest's hash), NDEF (written
 * through the wallet per version, read back by the Type 4 Tag procedure; KeycardTest's Android
 * application record and 443-byte text record), IDENTIFY CARD against the test CA's key, and
 * random INIT credentials. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard.h"
#include "cardforge/keycard_card.h"
#include "cardforge/keycard_client.h"
#include "cardforge/store.h"
#include "cardforge/transport.h"

#include "keycard_card_recorder.h"

#define PIN "123456"
#define PUK "012345678901"
#define CA_KEY "00000000000000000000000000000000000000000000000000000000000000C5"
/* KeycardTest storeDataTest (status-keycard tag 3.2): NLEN 0024 and an Android application record */
#define AAR_FILE "0024d40f12616e64726f69642e636f6d3a706b67696d2e7374617475732e657468657265756d"
/* ... and its long text record (443 bytes), which 3.2 takes in chunks */
#define LONG_TEXT                                                                                            \
  "c101000001b45402656e5468697320697320612072656c61746976656c79206c6f6e672074657874207265636f726420746861"   \
  "74206669747320696e2061626f75742035303020627974657320736f207468617420492063616e2074657374207365676d656e"   \
  "746174696f6e206f66207265636f726473207573696e6720746865206e657720616e6420696d70726f766564204e4445462061"   \
  "70706c65742e20546869732069732071756974652061206c6f6e67207465787420746f2077726974652062757420686579204920" \
  "616d206865726520666f7220746869732e204920776f6e277420636f707920616e64207061737465207468652073616d65207374" \
  "72"                                                                                                       \
  "696e67206f76657220616e64206f766572206265636175736520492077616e7420746f206d616b65207375726520646174612069" \
  "73"                                                                                                       \
  "207265616420636f72726563746c7920616e6420746865726520617265206e6f20737472616e67652073746974636865732e2049" \
  "27"                                                                                                       \
  "6420616c736f206c696b6520746f206d616b6520737572652065766572797468696e6720697320617320636c6f736520746f2072" \
  "65"                                                                                                       \
  "616c20776f726c6420757361676520617320706f737369626c65"

/* INIT, pair, open the channel, verify the PIN. */
static void wallet_ready(fixture *f) {
  uint8_t secret[32];
  assert_int_equal(keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret), 0);
  assert_int_equal(keycard_client_select(&f->kc, NULL, 0), 0);
  assert_int_equal(keycard_client_init_card(&f->kc, PIN, PUK, secret, 0, 0, NULL), 0);
  assert_int_equal(keycard_client_select(&f->kc, NULL, 0), 0);
  assert_int_equal(keycard_client_pair(&f->kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(&f->kc), 0);
  assert_int_equal(keycard_client_verify_pin(&f->kc, PIN, NULL), 0);
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  long n = cf_hex_decode(hex, out, cap);
  assert_true(n >= 0);
  return (size_t)n;
}

/* ---- Cash ---- */

static void cash_info_and_sign(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, &keycard_card_profile, "");
  keycard_client_cash_info info;
  assert_int_equal(keycard_client_cash_select(&f.kc, &info), 0);
  assert_int_equal(info.version, 0x0302);
  assert_int_equal(info.data_len, 0);
  assert_int_equal(info.pub[0], 0x04);

  /* cashTest: SHA-256("some data to be hashed"), verified under the SELECT key */
  uint8_t hash[32];
  static const char msg[] = "some data to be hashed";
  assert_int_equal(cf_sha256(msg, sizeof msg - 1, hash), 0);
  keycard_client_cash_signature sig;
  assert_int_equal(keycard_client_cash_sign(&f.kc, hash, info.pub, &sig), 0);
  assert_memory_equal(sig.pub, info.pub, 65);
  assert_int_equal(sig.der[0], 0x30);
  assert_true(cf_ec_verify(info.pub, 65, hash, sig.rs));
  uint8_t der2[80];
  assert_int_equal(cf_ec_sig_to_der(sig.rs, der2, sizeof der2), sig.der_len); /* low S: canonical DER */

  /* another expected key, or an answer altered on the way: refused */
  uint8_t other[65];
  memcpy(other, info.pub, 65);
  other[64] ^= 1;
  assert_int_equal(keycard_client_cash_sign(&f.kc, hash, other, &sig), KEYCARD_CLIENT_EVERIFY);
  f.rec.corrupt_at = f.rec.count + 1;
  f.rec.corrupt_byte = 80; /* inside the DER signature's r */
  assert_int_not_equal(keycard_client_cash_sign(&f.kc, hash, NULL, &sig), 0);

  /* the cash data the wallet stores is in the next Cash SELECT */
  wallet_ready(&f);
  uint8_t data[KEYCARD_CLIENT_CASH_DATA_MAX];
  memset(data, 0xAA, sizeof data); /* 127 bytes: the template's one-byte length is above 7F */
  assert_int_equal(keycard_client_store_data(&f.kc, KEYCARD_CLIENT_DATA_CASH, data, sizeof data), 0);
  assert_int_equal(keycard_client_cash_select(&f.kc, &info), 0);
  assert_false(f.kc.selected);
  assert_int_equal(info.data_len, sizeof data);
  assert_memory_equal(info.data, data, sizeof data);
  fixture_close(&f);
}

static void cash_info_parser_refuses_malformed(void **state) {
  (void)state;
  uint8_t good[2 + 67 + 4 + 2] = {0xA4, 73, 0x80, 65, 0x04};
  good[2 + 67] = 0x02, good[2 + 67 + 1] = 2, good[2 + 67 + 2] = 3, good[2 + 67 + 3] = 2;
  good[2 + 67 + 4] = 0x82, good[2 + 67 + 5] = 0;
  keycard_client_cash_info info;
  assert_int_equal(keycard_client_parse_cash_info(good, sizeof good, &info), 0);
  assert_int_equal(info.version, 0x0302);
  for (size_t cut = 0; cut < sizeof good; cut++)
    assert_int_equal(keycard_client_parse_cash_info(good, cut, &info), KEYCARD_CLIENT_EPROTO);
  good[2 + 67 + 5] = 1; /* data length past the end */
  assert_int_equal(keycard_client_parse_cash_info(good, sizeof good, &info), KEYCARD_CLIENT_EPROTO);
}

/* ---- NDEF ---- */

static void ndef_records(void **state) {
  (void)state;
  uint8_t rec[600], want[64];
  size_t len = 0;
  assert_int_equal(keycard_client_ndef_uri_record("https://keycard.tech", rec, sizeof rec, &len), 0);
  size_t n = unhex("D1010D55046B6579636172642E74656368", want, sizeof want);
  assert_int_equal(len, n);
  assert_memory_equal(rec, want, n);
  assert_int_equal(keycard_client_ndef_uri_record("urn:x", rec, sizeof rec, &len), 0);
  assert_int_equal(rec[4], 0x00); /* no abbreviation */
  /* the Android application record of KeycardTest, after its NLEN */
  assert_int_equal(keycard_client_ndef_aar_record("im.status.ethereum", rec, sizeof rec, &len), 0);
  uint8_t file[64];
  n = unhex(AAR_FILE, file, sizeof file);
  assert_int_equal(len, n - 2);
  assert_memory_equal(rec, file + 2, len);
  /* a payload above 255 bytes takes the long form; no room is an argument error */
  char long_uri[300];
  memset(long_uri, 'a', sizeof long_uri - 1);
  long_uri[sizeof long_uri - 1] = '\0';
  assert_int_equal(keycard_client_ndef_uri_record(long_uri, rec, sizeof rec, &len), 0);
  assert_int_equal(rec[0], 0xC1);
  assert_int_equal(len, 2 + 4 + 1 + 1 + 299);
  assert_int_equal(keycard_client_ndef_uri_record(long_uri, rec, 100, &len), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_ndef_aar_record("", rec, sizeof rec, &len), KEYCARD_CLIENT_EARG);
}

/* 3.2: the 443-byte record goes in chunks at P2 00, 37, 6E and reads back as a phone reads it. */
static void ndef_write_chunked_and_read(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, &keycard_card_profile, "");
  uint8_t msg[512], got[600];
  size_t len = 99;
  assert_int_equal(keycard_client_ndef_read(&f.kc, got, sizeof got, &len), 0); /* installed empty */
  assert_int_equal(len, 0);
  wallet_ready(&f);
  size_t n = unhex(LONG_TEXT, msg, sizeof msg);
  assert_int_equal(n, 443);
  int before = f.rec.count;
  assert_int_equal(keycard_client_ndef_write(&f.kc, msg, n), 0);
  assert_int_equal(f.rec.count - before, 3);
  assert_int_equal(f.rec.p2[before], 0x00);
  assert_int_equal(f.rec.p2[before + 1], 220 / 4);
  assert_int_equal(f.rec.p2[before + 2], 440 / 4);
  assert_int_equal(keycard_client_ndef_read(&f.kc, got, sizeof got, &len), 0);
  assert_int_equal(len, n);
  assert_memory_equal(got, msg, n);
  assert_false(f.kc.selected);

  /* the largest message 3.2 takes, and one byte more */
  assert_int_equal(keycard_client_ndef_max(0x0302), 510);
  memset(msg, 0x5A, sizeof msg);
  assert_int_equal(keycard_client_select(&f.kc, NULL, 0), 0);
  uint8_t secret[32];
  assert_int_equal(keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret), 0);
  assert_int_equal(keycard_client_pair(&f.kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(&f.kc), 0);
  assert_int_equal(keycard_client_verify_pin(&f.kc, PIN, NULL), 0);
  assert_int_equal(keycard_client_ndef_write(&f.kc, msg, 511), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_ndef_write(&f.kc, msg, 510), 0);
  assert_int_equal(keycard_client_ndef_read(&f.kc, got, sizeof got, &len), 0);
  assert_int_equal(len, 510);
  assert_memory_equal(got, msg, 510);
  assert_int_equal(keycard_client_ndef_read(&f.kc, got, 100, &len), KEYCARD_CLIENT_EARG);
  fixture_close(&f);
}

/* Older wallets: one STORE DATA P1 01 (3.0, 3.1) or SET NDEF (2.2.1), the file NLEN || message. */
static void ndef_write_one_shot_on_older_versions(void **state) {
  (void)state;
  static const struct {
    const char *params;
    uint8_t ins;
  } cases[] = {{"version=2.2.1", 0xF3}, {"version=3.0", 0xE2}, {"version=3.1", 0xE2}};
  uint8_t file[64];
  size_t n = unhex(AAR_FILE, file, sizeof file);
  for (size_t i = 0; i < 3; i++) {
    fixture f;
    fixture_open(&f, &keycard_profile, cases[i].params);
    wallet_ready(&f);
    assert_int_equal(keycard_client_ndef_max(f.kc.info.version), 221);
    int before = f.rec.count;
    assert_int_equal(keycard_client_ndef_write(&f.kc, file + 2, n - 2), 0);
    assert_int_equal(f.rec.count - before, 1);
    assert_int_equal(f.rec.ins[before], cases[i].ins);
    uint8_t stored[KEYCARD_NDEF_FILE_MAX];
    size_t len = 0;
    assert_int_equal(cf_keycard_ndef_read(f.store, 1, stored, sizeof stored, &len), KEYCARD_NDEF_OK);
    assert_int_equal(len, n);
    assert_memory_equal(stored, file, n);
    uint8_t big[222] = {0};
    assert_int_equal(keycard_client_ndef_write(&f.kc, big, sizeof big), KEYCARD_CLIENT_EARG);
    fixture_close(&f);
  }
}

/* ---- IDENTIFY CARD ---- */

static void ca_public(const char *priv_hex, uint8_t pub33[33]) {
  uint8_t priv[32], pub65[65];
  assert_int_equal(unhex(priv_hex, priv, sizeof priv), 32);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub65), 0);
  assert_int_equal(cf_ec_pub_normalize(pub65, 65, NULL, pub33), 0);
}

static void identify_against_the_ca(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, &keycard_card_profile, "ident_ca=" CA_KEY);
  uint8_t ca[33], wrong[33];
  ca_public(CA_KEY, ca);
  ca_public("00000000000000000000000000000000000000000000000000000000000000C6", wrong);
  keycard_client_identity id;
  /* the wallet before INIT, plain */
  assert_int_equal(keycard_client_select(&f.kc, NULL, 0), 0);
  assert_int_equal(keycard_client_identify(&f.kc, ca, 33, &id), 0);
  assert_memory_equal(id.ca_pub, ca, 33);
  assert_int_equal(keycard_client_identify(&f.kc, wrong, 33, &id), KEYCARD_CLIENT_EVERIFY);
  assert_int_equal(keycard_client_identify(&f.kc, NULL, 0, &id), 0); /* self-consistent, CA reported */
  assert_memory_equal(id.ca_pub, ca, 33);
  /* the wallet inside the channel, and Cash */
  wallet_ready(&f);
  assert_true(f.kc.sc.open);
  assert_int_equal(keycard_client_identify(&f.kc, ca, 33, &id), 0);
  keycard_client_identity through_cash;
  keycard_client_cash_info info;
  assert_int_equal(keycard_client_cash_select(&f.kc, &info), 0);
  assert_int_equal(keycard_client_identify(&f.kc, ca, 33, &through_cash), 0);
  assert_memory_equal(through_cash.cert, id.cert, sizeof id.cert);
  /* an answer altered on the way (the certificate's signature, the card's signature) */
  f.rec.corrupt_at = f.rec.count + 1;
  f.rec.corrupt_byte = 5 + 40;
  assert_int_equal(keycard_client_identify(&f.kc, ca, 33, &id), KEYCARD_CLIENT_EVERIFY);
  f.rec.corrupt_at = f.rec.count + 1;
  f.rec.corrupt_byte = 5 + 98 + 10;
  assert_int_not_equal(keycard_client_identify(&f.kc, ca, 33, &id), 0);
  fixture_close(&f);

  /* no certificate on the card: 6985 */
  fixture_open(&f, &keycard_card_profile, "");
  assert_int_equal(keycard_client_select(&f.kc, NULL, 0), 0);
  assert_int_equal(keycard_client_identify(&f.kc, ca, 33, &id), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f.kc.sw, 0x6985);
  assert_int_equal(keycard_client_identify(&f.kc, (const uint8_t *)"\x02", 1, &id), KEYCARD_CLIENT_EARG);
  fixture_close(&f);
}

static void verify_identity_refuses_malformed(void **state) {
  (void)state;
  uint8_t chal[32] = {1};
  keycard_client_identity id;
  uint8_t junk[8] = {0xA0, 0x81, 0x05, 0x8A, 0x03, 1, 2, 3};
  for (size_t cut = 0; cut <= sizeof junk; cut++)
    assert_int_equal(keycard_client_verify_identity(chal, junk, cut, NULL, 0, &id), KEYCARD_CLIENT_EPROTO);
}

/* ---- INIT without credentials ---- */

static void random_credentials(void **state) {
  (void)state;
  keycard_client_credentials a, b;
  assert_int_equal(keycard_client_random_credentials(&a), 0);
  assert_int_equal(keycard_client_random_credentials(&b), 0);
  assert_true(keycard_client_digits_ok(a.pin, 6));
  assert_true(keycard_client_digits_ok(a.puk, 12));
  assert_int_equal(strlen(a.pairing_password), 16);
  for (size_t i = 0; i < 16; i++) {
    char c = a.pairing_password[i];
    assert_true(isalnum((unsigned char)c) || c == '-' || c == '_');
  }
  assert_true(strcmp(a.puk, b.puk) != 0 || strcmp(a.pairing_password, b.pairing_password) != 0);
  /* every digit value turns up in the PIN's places over many draws (no fixed or skewed digit) */
  unsigned seen[6] = {0};
  for (int i = 0; i < 200; i++) {
    assert_int_equal(keycard_client_random_credentials(&b), 0);
    for (int k = 0; k < 6; k++)
      seen[k] |= 1u << (b.pin[k] - '0');
  }
  for (int k = 0; k < 6; k++)
    assert_int_equal(seen[k], 0x3FF);

  /* the card takes them, and they open it */
  fixture f;
  fixture_open(&f, &keycard_card_profile, "");
  uint8_t secret[32];
  assert_int_equal(keycard_client_pairing_secret(a.pairing_password, secret), 0);
  assert_int_equal(keycard_client_select(&f.kc, NULL, 0), 0);
  assert_int_equal(keycard_client_init_card(&f.kc, a.pin, a.puk, secret, 0, 0, NULL), 0);
  assert_int_equal(keycard_client_select(&f.kc, NULL, 0), 0);
  assert_int_equal(keycard_client_pair(&f.kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(&f.kc), 0);
  assert_int_equal(keycard_client_verify_pin(&f.kc, a.pin, NULL), 0);
  fixture_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cash_info_and_sign),
      cmocka_unit_test(cash_info_parser_refuses_malformed),
      cmocka_unit_test(ndef_records),
      cmocka_unit_test(ndef_write_chunked_and_read),
      cmocka_unit_test(ndef_write_one_shot_on_older_versions),
      cmocka_unit_test(identify_against_the_ca),
      cmocka_unit_test(verify_identity_refuses_malformed),
      cmocka_unit_test(random_credentials),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
