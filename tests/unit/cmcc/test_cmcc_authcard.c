/* The authentication card (spec chapter 2) and the flows it serves: external authentication of the
 * KMC (4.1.2) and initial key import (4.1.5). */
#include "cmcc_test_util.h"

#include <string.h>

static void test_encrypt_data_and_mac_generate_vectors(void **state) {
  (void)state;
  tcard ac;
  /* docs/cmcc-profile.md 5.1 worked values, with the auth card holding K = 1122...2211 as key 02 */
  tc_open(&ac, "authcard", "k02=11223344556677888877665544332211");
  assert_int_equal(
      tc_hex(&ac, "8030000021 01020304 1C 1B0102030405060708090A0B00112233445566778899AABBCCDDEEFF"), 0x6982);
  assert_int_equal(tc_verify_pin(&ac, 2, "22222222"), 0x9000);
  assert_int_equal(
      tc_hex(&ac, "8030000021 01020304 1C 1B0102030405060708090A0B00112233445566778899AABBCCDDEEFF"), 0x9000);
  tc_expect_data(&ac, "20 34D1B4D26AF4A344BE42DFDA5C144DD8531D461AFC788C434A474911D0EF7620");
  assert_int_equal(tc_hex(&ac, "803200002A 01020304 25 80D8000224 "
                               "34D1B4D26AF4A344BE42DFDA5C144DD8531D461AFC788C434A474911D0EF7620"),
                   0x9000);
  tc_expect_data(&ac, "44BBE0B8");
  assert_int_equal(tc_hex(&ac, "803200002A 01020304 25 80D8000124 "
                               "34D1B4D26AF4A344BE42DFDA5C144DD8531D461AFC788C434A474911D0EF7620"),
                   0x9000);
  tc_expect_data(&ac, "2E51E3C5");
  tc_close(&ac);

  /* default key 02 (202122..2F): External Authentication data for R = 01020304 */
  tc_open(&ac, "authcard", NULL);
  assert_int_equal(tc_verify_pin(&ac, 2, "22222222"), 0x9000);
  assert_int_equal(tc_hex(&ac, "8030000005 01020304 00"), 0x9000);
  tc_expect_data(&ac, "08 C4B919E2E8C98B43");
  tc_close(&ac);
}

static void test_authcard_status_words(void **state) {
  (void)state;
  tcard ac;
  tc_open(&ac, "authcard", NULL);
  assert_int_equal(tc_hex(&ac, "8030000005 01020304 00"), 0x6982);
  assert_int_equal(tc_hex(&ac, "8032000005 01020304 00"), 0x6982);
  assert_int_equal(tc_verify_pin(&ac, 2, "22222222"), 0x9000);
  assert_int_equal(tc_hex(&ac, "8030010005 01020304 00"), 0x6A86);
  assert_int_equal(tc_hex(&ac, "8032000105 01020304 00"), 0x6A86);
  assert_int_equal(tc_hex(&ac, "8030000004 01020304"), 0x6700);
  assert_int_equal(tc_hex(&ac, "8030000006 01020304 00 AA"), 0x6700);
  assert_int_equal(tc_hex(&ac, "8032000006 01020304 02 AA"), 0x6700);
  uint8_t big[255] = {1, 2, 3, 4, 241};
  assert_int_equal(tc_cmd(&ac, 0x80, 0x30, 0, 0, big, 246), 0x6A80);
  big[4] = 240;
  assert_int_equal(tc_cmd(&ac, 0x80, 0x30, 0, 0, big, 245), 0x9000);
  assert_int_equal(ac.len, 1 + 248);
  assert_int_equal(ac.data[0], 248);
  assert_int_equal(tc_hex(&ac, "8032000005 01020304 00"), 0x9000); /* MAC of nothing: one padding block */
  assert_int_equal(ac.len, 4);
  /* KMC-only instructions */
  assert_int_equal(tc_hex(&ac, "80C2000000"), 0x6D00);
  assert_int_equal(tc_hex(&ac, "F082000108 0000000000000000"), 0x6A81);
  tc_close(&ac);

  /* no master-card master key: 6479 */
  tc_open(&ac, "authcard", "keys=03");
  assert_int_equal(tc_verify_pin(&ac, 2, "22222222"), 0x9000);
  assert_int_equal(tc_hex(&ac, "8030000005 01020304 00"), 0x6479);
  assert_int_equal(tc_hex(&ac, "8032000005 01020304 00"), 0x6479);
  /* import it (P2 01 under 03), first as "cannot compute", then counted */
  uint8_t k03[16], v[16], r[4], data[36];
  default_key(3, k03);
  default_key(2, v);
  assert_int_equal(tc_ext_auth(&ac, 0, k03), 0x9000);
  const uint8_t cipp[4] = {0x80, 0xD8, 0x00, 0x01};
  const char *attrs[] = {"020101000003AA00000000", "020201000000AA80000001"};
  for (int i = 0; i < 2; i++) {
    uint8_t a[11];
    hex2bin(attrs[i], a, 11);
    tc_challenge(&ac, 0xF0, r);
    assert_int_equal(cmcc_key_record_encrypt(k03, a, v, data), 0);
    assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k03, r, cipp, data, 32, data + 32), 0);
    assert_int_equal(tc_cmd(&ac, 0x80, 0xD8, 0x00, 0x01, data, 36), 0x9000);
    if (i == 0) assert_int_equal(tc_hex(&ac, "8030000005 01020304 00"), 0x6485);
  }
  assert_int_equal(tc_hex(&ac, "8030000005 01020304 00"), 0x9000); /* version 02 is used, once */
  assert_int_equal(tc_hex(&ac, "8032000005 01020304 00"), 0x6484);
  /* level 2 does not exist on the auth card; the KMC's keys are not importable */
  assert_int_equal(tc_cmd(&ac, 0x80, 0xD8, 0x00, 0x02, data, 36), 0x6A86);
  uint8_t a08[11];
  hex2bin("080101000031AA00000000", a08, 11);
  tc_challenge(&ac, 0xF0, r);
  assert_int_equal(cmcc_key_record_encrypt(k03, a08, v, data), 0);
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k03, r, cipp, data, 32, data + 32), 0);
  assert_int_equal(tc_cmd(&ac, 0x80, 0xD8, 0x00, 0x01, data, 36), 0x6982);
  /* Update Info under 03: the enterprise ID */
  uint8_t plain[8], ct[16], mac[4];
  size_t clen = 0;
  hex2bin("0106A1A2A3A4A5A6", plain, 8);
  tc_challenge(&ac, 0xF0, r);
  const uint8_t cipp0[4] = {0x80, 0xD8, 0x00, 0x00};
  assert_int_equal(cmcc_wrap(k03, CMCC_MAC_919, r, cipp0, plain, 8, ct, sizeof ct, &clen, mac), 0);
  memcpy(data, ct, 16);
  memcpy(data + 16, mac, 4);
  assert_int_equal(tc_cmd(&ac, 0x80, 0xD8, 0x00, 0x00, data, 20), 0x9000);
  /* Reload PIN needs 03 */
  assert_int_equal(tc_hex(&ac, "F026000108 3939393939393939"), 0x9000);
  tc_close(&ac);
}

/* 4.1.2 + 4.1.5: the auth card authenticates the host to the KMC, then wraps the terminal initial
 * key for the KMC's Import Key. */
static void test_flows_ext_auth_and_initial_key_import(void **state) {
  (void)state;
  tcard kmc, ac;
  tc_open(&kmc, "kmc", NULL);
  tc_open(&ac, "authcard", NULL);
  assert_int_equal(tc_verify_pin(&kmc, 2, "22222222"), 0x9000);
  assert_int_equal(tc_verify_pin(&ac, 2, "22222222"), 0x9000);
  uint8_t r[4], cmd[64];
  tc_challenge(&kmc, 0xF0, r);
  memcpy(cmd, r, 4);
  cmd[4] = 0;
  assert_int_equal(tc_cmd(&ac, 0x80, 0x30, 0, 0, cmd, 5), 0x9000);
  assert_int_equal(ac.len, 9);
  assert_int_equal(ac.data[0], 8);
  assert_int_equal(tc_cmd(&kmc, 0xF0, 0x82, 0x00, 0x02, ac.data + 1, 8), 0x9000);
  /* initial key import */
  tc_challenge(&kmc, 0xF0, r);
  memcpy(cmd, r, 4);
  cmd[4] = 28;
  hex2bin("1B 060101000000AA00000000 606162636465666768696A6B6C6D6E6F", cmd + 5, 28);
  assert_int_equal(tc_cmd(&ac, 0x80, 0x30, 0, 0, cmd, 33), 0x9000);
  assert_int_equal(ac.len, 33);
  uint8_t imp[36];
  memcpy(imp, ac.data + 1, 32);
  memcpy(cmd, r, 4);
  cmd[4] = 37;
  hex2bin("80D8000224", cmd + 5, 5);
  memcpy(cmd + 10, imp, 32);
  assert_int_equal(tc_cmd(&ac, 0x80, 0x32, 0, 0, cmd, 42), 0x9000);
  memcpy(imp + 32, ac.data, 4);
  assert_int_equal(tc_cmd(&kmc, 0x80, 0xD8, 0x00, 0x02, imp, 36), 0x9000);
  assert_int_equal(tc_hex(&kmc, "00B403000B"), 0x9000);
  tc_expect_data(&kmc, "060101000000AA00000000");
  /* the same command again: its random is gone */
  assert_int_equal(tc_cmd(&kmc, 0x80, 0xD8, 0x00, 0x02, imp, 36), 0x6985);
  tc_close(&kmc);
  tc_close(&ac);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encrypt_data_and_mac_generate_vectors),
      cmocka_unit_test(test_authcard_status_words),
      cmocka_unit_test(test_flows_ext_auth_and_initial_key_import),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
