/* GET DATA on the three targets (docs/cmcc-profile.md 2.1): the user card reports its serial (tag
 * C1), the SAM its 16-byte diversification factor (tag C2), the terminal nothing. The values are
 * the ones the cards were created with, never a key byte; every refusal answers the documented
 * status word and changes nothing. */
#include "cmcc_test_util.h"

#include <string.h>

#define SERIAL "8600112233445566"
#define FACTOR "0011223344556677F0E1D2C3B4A59687"

/* Every refusal of cases leaves the store as it was. */
static void refusals(tcard *t, const char *const *apdus, const uint16_t *sws, size_t n) {
  snapshot before;
  snap_take(t->store, &before);
  for (size_t i = 0; i < n; i++) {
    uint8_t apdu[64];
    size_t len = hex2bin(apdus[i], apdu, sizeof apdu);
    uint16_t sw = tc_tx_raw(t, apdu, len);
    if (sw != sws[i]) fail_msg("%s: SW %04X, expected %04X", apdus[i], sw, sws[i]);
    assert_int_equal(t->len, 0);
  }
  snap_assert_same(t->store, &before);
  snap_free(&before);
}

static void test_usercard_serial(void **state) {
  (void)state;
  tcard uc;
  /* the default serial (profile default 0102030405060708) */
  tc_open(&uc, "usercard", NULL);
  assert_int_equal(tc_hex(&uc, "00CA00C108"), 0x9000);
  tc_expect_data(&uc, "0102030405060708");
  tc_close(&uc);

  /* a given serial and card key: only the serial leaves the card */
  tc_open(&uc, "usercard", "serial=" SERIAL ",ck=00112233445566778899AABBCCDDEEFF");
  assert_int_equal(tc_hex(&uc, "00CA00C108"), 0x9000);
  tc_expect_data(&uc, SERIAL);
  assert_int_equal(tc_hex(&uc, "00CA00C100"), 0x9000); /* Le 00: all of it */
  tc_expect_data(&uc, SERIAL);
  /* T=0 response rules of the runtime: a larger Le is corrected (6C08), no Le waits (6108) */
  assert_int_equal(tc_hex(&uc, "00CA00C110"), 0x6C08);
  assert_int_equal(tc_tx_raw(&uc, (const uint8_t *)"\x00\xCA\x00\xC1", 4), 0x6108);
  assert_int_equal(tc_hex(&uc, "00C0000008"), 0x9000);
  tc_expect_data(&uc, SERIAL);

  static const char *const bad[] = {
      "00CA01C108",   /* P1 not 00 */
      "00CA00C10100", /* command data */
      "00CA00C208",   /* the SAM's object: not on a user card */
      "00CA000008",   /* no such tag */
      "84CA00C108",   /* GET DATA is CLA 00 */
      "80CA00C108",   /* a class the user card does not use */
  };
  static const uint16_t sws[] = {0x6A86, 0x6700, 0x6A88, 0x6A88, 0x6E00, 0x6E00};
  refusals(&uc, bad, sws, 6);
  tc_close(&uc);
}

static void test_sam_factor(void **state) {
  (void)state;
  tcard sam;
  tc_open(&sam, "sam", NULL);
  assert_int_equal(tc_hex(&sam, "00CA00C210"), 0x9000);
  tc_expect_data(&sam, "0102030405060708F1F2F3F4F5F6F7F8");
  tc_close(&sam);

  tc_open(&sam, "sam", "factor=" FACTOR ",imk=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
  assert_int_equal(tc_hex(&sam, "00CA00C210"), 0x9000);
  tc_expect_data(&sam, FACTOR);
  /* the factor names the SAM's master key: diversify16(IMK, factor) is what INTERNAL AUTHENTICATE
   * (key id 00) computes with */
  uint8_t imk[16], factor[16], mk[16], expect[8];
  hex2bin("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF", imk, 16);
  memcpy(factor, sam.data, 16);
  assert_int_equal(cmcc_diversify16(imk, factor, mk), 0);
  assert_int_equal(tc_hex(&sam, "0088000008 0001020304050607"), 0x9000);
  assert_int_equal(cf_des3_ecb_encrypt(mk, 16, (const uint8_t *)"\0\1\2\3\4\5\6\7", expect, 8), 0);
  assert_memory_equal(sam.data, expect, 8);

  static const char *const bad[] = {
      "00CA02C210",     /* P1 */
      "00CA00C2020000", /* command data */
      "00CA00C108",     /* the user card's object */
      "00CA00FF00",     /* no such tag */
      "84CA00C210",     /* class */
  };
  static const uint16_t sws[] = {0x6A86, 0x6700, 0x6A88, 0x6A88, 0x6E00};
  refusals(&sam, bad, sws, 5);
  tc_close(&sam);

  /* a SAM created with its master key directly still reports its factor */
  tc_open(&sam, "sam", "factor=" FACTOR ",mk=B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF");
  assert_int_equal(tc_hex(&sam, "00CA00C210"), 0x9000);
  tc_expect_data(&sam, FACTOR);
  tc_close(&sam);
}

static void test_terminal_has_no_object(void **state) {
  (void)state;
  tcard term;
  tc_open(&term, "terminal", NULL);
  static const char *const bad[] = {"00CA00C108", "00CA00C210", "00CA010000"};
  static const uint16_t sws[] = {0x6A88, 0x6A88, 0x6A86};
  refusals(&term, bad, sws, 3);
  tc_close(&term);
}

/* GET DATA is a command like any other: it ends the GET CHALLENGE random (profile section 1). */
static void test_get_data_voids_the_random(void **state) {
  (void)state;
  tcard uc;
  tc_open(&uc, "usercard", "serial=" SERIAL);
  uint8_t r[4], z[16] = {0};
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(tc_hex(&uc, "00CA00C108"), 0x9000);
  assert_int_equal(tc_cmd(&uc, 0x84, 0xE0, 0x01, 0x00, z, 12), 0x6985);
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(tc_cmd(&uc, 0x84, 0xE0, 0x01, 0x00, z, 12), 0x6988); /* the random was there */
  tc_close(&uc);

  tcard sam;
  tc_open(&sam, "sam", NULL);
  tc_challenge(&sam, 0x00, r);
  assert_int_equal(tc_hex(&sam, "00CA00C210"), 0x9000);
  assert_int_equal(tc_cmd(&sam, 0x84, 0xD4, 0x00, 0x00, z, 12), 0x6985);
  tc_close(&sam);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usercard_serial),
      cmocka_unit_test(test_sam_factor),
      cmocka_unit_test(test_terminal_has_no_object),
      cmocka_unit_test(test_get_data_voids_the_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
