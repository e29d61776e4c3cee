/* The master cards' basic commands (spec 1.1, 1.2.1): SELECT, PINs, Get Challenge, External
 * Authentication, Read KeyInfo, Get Response, class/instruction errors, retry counters and power cuts. */
#include "cmcc_test_util.h"

#include <string.h>

#define KMC_FCI                                                                                              \
  "6F30 8408D156000101800004 A524 9F08020100 9F0C1C 00000000000000000000000000000000000000000000000000 "     \
  "000004"

static void test_select_fci(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", NULL);
  /* the spec's SELECT: CLA F0 */
  assert_int_equal(tc_hex(&t, "F0A4040008D156000101800004 00"), 0x9000);
  tc_expect_data(&t, KMC_FCI);
  /* ISO class through the runtime, and a partial name */
  assert_int_equal(tc_hex(&t, "00A4040008D156000101800004"), 0x9000);
  tc_expect_data(&t, KMC_FCI);
  assert_int_equal(tc_hex(&t, "F0A4040005D156000101"), 0x9000);
  tc_expect_data(&t, KMC_FCI);
  /* errors of tables 8-1-21/22 */
  assert_int_equal(tc_hex(&t, "F0A4040008D156000101800099"), 0x6A82);
  assert_int_equal(tc_hex(&t, "F0A4040208D156000101800004"), 0x6A82); /* no "next" file matches */
  assert_int_equal(tc_hex(&t, "F0A4000008D156000101800004"), 0x6A86);
  assert_int_equal(tc_hex(&t, "F0A4040108D156000101800004"), 0x6A86);
  assert_int_equal(tc_hex(&t, "F0A4040004D1560001"), 0x6700);
  assert_int_equal(tc_hex(&t, "00A4040008D156000101800099"), 0x6A82);
  tc_close(&t);

  tc_open(&t, "authcard", NULL);
  assert_int_equal(tc_hex(&t, "F0A4040008D156000101800003"), 0x9000);
  assert_int_equal(t.len, 0x32);
  assert_memory_equal(t.data + t.len - 3, "\x00\x00\x03", 3);
  tc_close(&t);

  /* the working card adds its random (9F37), new for every SELECT */
  tc_open(&t, "workcard", NULL);
  assert_int_equal(tc_hex(&t, "F0A4040008D156000101800002"), 0x9000);
  assert_int_equal(t.len, 0x39);
  assert_memory_equal(t.data + t.len - 10, "\x00\x00\x02\x9F\x37\x04", 6);
  uint8_t r1[4];
  memcpy(r1, t.data + t.len - 4, 4);
  assert_int_equal(tc_hex(&t, "F0A4040008D156000101800002"), 0x9000);
  assert_memory_not_equal(t.data + t.len - 4, r1, 4);
  tc_close(&t);
}

static void test_class_and_instruction_errors(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", NULL);
  assert_int_equal(tc_hex(&t, "F0CA000000"), 0x6D00);
  assert_int_equal(tc_hex(&t, "A020000108 3131313131313131"), 0x6E00);
  assert_int_equal(tc_hex(&t, "8020000108 3131313131313131"), 0x6E00); /* Verify exists, with CLA F0 */
  assert_int_equal(tc_hex(&t, "0084000004"), 0x6E00);
  assert_int_equal(tc_hex(&t, "80300000 05 0102030400"), 0x6D00); /* Encrypt Data: auth card only */
  /* Get Response with nothing waiting: 6F00 (table 8-1-25) */
  assert_int_equal(tc_hex(&t, "00C0000004"), 0x6F00);
  assert_int_equal(tc_hex(&t, "00C0010004"), 0x6A86);
  tc_close(&t);
}

static void test_get_challenge(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", NULL);
  assert_int_equal(tc_hex(&t, "F084000004"), 0x9000);
  assert_int_equal(t.len, 4);
  uint8_t r[4];
  memcpy(r, t.data, 4);
  assert_int_equal(tc_hex(&t, "F084000004"), 0x9000);
  assert_memory_not_equal(r, t.data, 4);
  assert_int_equal(tc_hex(&t, "F084000104"), 0x6A86);
  assert_int_equal(tc_tx_raw(&t, (const uint8_t *)"\xF0\x84\x00\x00\x08", 5), 0x6C04); /* T=0 6CXX */
  tc_close(&t);
}

static void test_verify_pin(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", NULL);
  assert_int_equal(tc_verify_pin(&t, 1, "11111111"), 0x9000);
  assert_int_equal(tc_verify_pin(&t, 2, "22222222"), 0x9000);
  assert_int_equal(tc_verify_pin(&t, 3, "33333333"), 0x9000);
  assert_int_equal(tc_hex(&t, "F020000408 3131313131313131"), 0x6A86);
  assert_int_equal(tc_hex(&t, "F020000008 3131313131313131"), 0x6A86);
  assert_int_equal(tc_hex(&t, "F020010108 3131313131313131"), 0x6A86);
  assert_int_equal(tc_hex(&t, "F020000107 31313131313131"), 0x6700);
  assert_int_equal(tc_hex(&t, "F0200001"), 0x6700);

  /* a wrong PIN: 63Cx, and nothing but the try counter changes */
  snapshot before;
  snap_take(t.store, &before);
  assert_int_equal(tc_verify_pin(&t, 2, "22222223"), 0x63C2);
  snapshot after;
  snap_take(t.store, &after);
  assert_int_equal(after.n, before.n);
  for (size_t i = 0; i < after.n; i++) {
    assert_int_equal(after.lens[i], before.lens[i]);
    if (after.keys[i] == CF_STORE_KEY(1, 0x0012)) { /* PIN 2: value unchanged, tries 3 -> 2 */
      assert_memory_equal(after.vals[i], before.vals[i], 8);
      assert_int_equal(after.vals[i][8], 2);
    } else {
      assert_memory_equal(after.vals[i], before.vals[i], after.lens[i]);
    }
  }
  snap_free(&after);
  snap_free(&before);
  /* a right PIN restores the counter */
  assert_int_equal(tc_verify_pin(&t, 2, "22222222"), 0x9000);
  assert_int_equal(tc_verify_pin(&t, 2, "00000000"), 0x63C2);
  assert_int_equal(tc_verify_pin(&t, 2, "00000000"), 0x63C1);
  assert_int_equal(tc_verify_pin(&t, 2, "00000000"), 0x63C0);
  /* locked: 6985 whatever is presented, and nothing changes */
  snap_take(t.store, &before);
  assert_int_equal(tc_verify_pin(&t, 2, "22222222"), 0x6985);
  assert_int_equal(tc_verify_pin(&t, 2, "00000000"), 0x6985);
  assert_int_equal(tc_hex(&t, "F024000210 3232323232323232 3434343434343434"), 0x6985);
  snap_assert_same(t.store, &before);
  snap_free(&before);
  /* the failed verification also cleared the verified state */
  uint8_t k02[16];
  default_key(2, k02);
  assert_int_equal(tc_ext_auth(&t, 2, k02), 0x9000);
  assert_int_equal(tc_hex(&t, "80E1000011 01 000102030405060708090A0B0C0D0E0F"), 0x6982);
  /* the other PINs are independent */
  assert_int_equal(tc_verify_pin(&t, 1, "11111111"), 0x9000);
  tc_close(&t);
}

static void test_change_pin(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "authcard", "pin2=4142434445464748");
  assert_int_equal(tc_verify_pin(&t, 2, "22222222"), 0x63C2); /* params preset the PIN */
  assert_int_equal(tc_hex(&t, "F024000210 4142434445464748 3132333435363738"), 0x9000);
  assert_int_equal(tc_verify_pin(&t, 2, "ABCDEFGH"), 0x63C2);
  assert_int_equal(tc_verify_pin(&t, 2, "12345678"), 0x9000);
  assert_int_equal(tc_hex(&t, "F024000210 4142434445464748 3132333435363738"), 0x63C2);
  assert_int_equal(tc_hex(&t, "F02400020F 41424344454647 3132333435363738"), 0x6700);
  assert_int_equal(tc_hex(&t, "F024000510 4142434445464748 3132333435363738"), 0x6A86);
  tc_close(&t);
}

static void test_reload_pin(void **state) {
  (void)state;
  tcard t;
  uint8_t k01[16], k02[16];
  default_key(1, k01);
  default_key(2, k02);
  tc_open(&t, "kmc", NULL);
  for (int i = 0; i < 3; i++)
    tc_verify_pin(&t, 3, "00000000");
  assert_int_equal(tc_verify_pin(&t, 3, "33333333"), 0x6985);
  assert_int_equal(tc_hex(&t, "F026000308 3939393939393939"), 0x6982);
  /* the second master key is not enough (spec 1.1.3) */
  assert_int_equal(tc_ext_auth(&t, 2, k02), 0x9000);
  assert_int_equal(tc_hex(&t, "F026000308 3939393939393939"), 0x6982);
  assert_int_equal(tc_ext_auth(&t, 1, k01), 0x9000);
  assert_int_equal(tc_hex(&t, "F026000408 3939393939393939"), 0x6A86);
  assert_int_equal(tc_hex(&t, "F026000309 393939393939393939"), 0x6700);
  assert_int_equal(tc_hex(&t, "F026000308 3939393939393939"), 0x9000);
  assert_int_equal(tc_verify_pin(&t, 3, "33333333"), 0x63C2);
  assert_int_equal(tc_verify_pin(&t, 3, "99999999"), 0x9000);
  /* a reset forgets the authentication */
  cf_card_power_on(t.card);
  assert_int_equal(tc_hex(&t, "F026000308 3939393939393939"), 0x6982);
  tc_close(&t);

  /* working card: the operator working-card master key (P2 01 -> type 04) */
  uint8_t k04[16], k05[16];
  default_key(4, k04);
  default_key(5, k05);
  tc_open(&t, "workcard", NULL);
  assert_int_equal(tc_ext_auth(&t, 2, k05), 0x9000);
  assert_int_equal(tc_hex(&t, "F026000108 3939393939393939"), 0x6982);
  assert_int_equal(tc_ext_auth(&t, 1, k04), 0x9000);
  assert_int_equal(tc_hex(&t, "F026000108 3939393939393939"), 0x9000);
  tc_close(&t);
}

static void test_external_auth(void **state) {
  (void)state;
  tcard t;
  uint8_t k01[16], k02[16], r[4], auth[8];
  default_key(1, k01);
  default_key(2, k02);
  tc_open(&t, "kmc", NULL);
  /* no Get Challenge yet: 6985; a voided one: 6984 */
  assert_int_equal(tc_hex(&t, "F082000108 0000000000000000"), 0x6985);
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  assert_int_equal(cmcc_ext_auth_data(k01, r, auth), 0);
  assert_int_equal(tc_hex(&t, "00B4010000"), 0x9000); /* any command in between */
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, auth, 8), 0x6984);
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  assert_int_equal(cmcc_ext_auth_data(k01, r, auth), 0);
  assert_int_equal(tc_hex(&t, "00A4040008D156000101800004"), 0x9000); /* a SELECT the runtime answers */
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, auth, 8), 0x6984);
  /* a random serves once */
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  assert_int_equal(cmcc_ext_auth_data(k01, r, auth), 0);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, auth, 8), 0x9000);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, auth, 8), 0x6984);
  /* P1/P2, function, length */
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 0, auth, 8), 0x6A81); /* P2 00 is the auth card's */
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 3, auth, 8), 0x6A86);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 1, 1, auth, 8), 0x6A86);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, auth, 7), 0x6700);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, NULL, 0), 0x6700);
  /* per-key retry counters: 5 tries, 630x, 6300 at the last, then 6983 */
  memset(auth, 0x55, 8);
  uint16_t expect[] = {0x6304, 0x6303, 0x6302, 0x6301, 0x6300};
  for (int i = 0; i < 5; i++) {
    tc_challenge(&t, CMCC_CLA_BASIC, r);
    assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 2, auth, 8), expect[i]);
  }
  snapshot before;
  snap_take(t.store, &before);
  assert_int_equal(tc_ext_auth(&t, 2, k02), 0x6983);
  snap_assert_same(t.store, &before);
  snap_free(&before);
  /* key 01 has its own counter; a success restores it */
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, auth, 8), 0x6304);
  assert_int_equal(tc_ext_auth(&t, 1, k01), 0x9000);
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 1, auth, 8), 0x6304);
  /* a failure drops that key's authentication */
  assert_int_equal(tc_hex(&t, "F026000108 3939393939393939"), 0x6982);
  tc_close(&t);

  tc_open(&t, "authcard", NULL);
  uint8_t k03[16];
  default_key(3, k03);
  assert_int_equal(tc_ext_auth(&t, 0, k03), 0x9000);
  assert_int_equal(tc_ext_auth(&t, 2, k02), 0x6A81);
  tc_close(&t);
}

static void test_power_cut_on_tries(void **state) {
  (void)state;
  tcard t;
  uint8_t rec[9];
  size_t len;
  /* cut while the try is being spent: 6581 for a right and a wrong PIN alike, nothing learned */
  for (int right = 0; right < 2; right++) {
    tc_open(&t, "kmc", NULL);
    cf_store_fault_at(t.store, 1);
    assert_int_equal(tc_verify_pin(&t, 2, right ? "22222222" : "00000000"), 0x6581);
    tc_reboot(&t, "kmc", NULL);
    assert_int_equal(cf_store_get(t.store, CF_STORE_KEY(1, 0x0012), rec, sizeof rec, &len), CF_STORE_OK);
    assert_int_equal(rec[8], 3);
    tc_close(&t);
  }
  /* cut after the comparison: the spent try is already durable, the restore is lost */
  tc_open(&t, "kmc", NULL);
  cf_store_fault_at(t.store, 2);
  assert_int_equal(tc_verify_pin(&t, 2, "22222222"), 0x6581);
  tc_reboot(&t, "kmc", NULL);
  assert_int_equal(cf_store_get(t.store, CF_STORE_KEY(1, 0x0012), rec, sizeof rec, &len), CF_STORE_OK);
  assert_int_equal(rec[8], 2);
  assert_int_equal(tc_verify_pin(&t, 2, "00000000"), 0x63C1);
  assert_int_equal(tc_verify_pin(&t, 2, "22222222"), 0x9000);
  tc_close(&t);

  /* the same for an external-authentication key */
  uint8_t k02[16], r[4], auth[8], key[28];
  default_key(2, k02);
  tc_open(&t, "kmc", NULL);
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  assert_int_equal(cmcc_ext_auth_data(k02, r, auth), 0);
  cf_store_fault_at(t.store, 2);
  assert_int_equal(tc_cmd(&t, 0xF0, 0x82, 0, 2, auth, 8), 0x6581);
  tc_reboot(&t, "kmc", NULL);
  assert_int_equal(cf_store_get(t.store, CF_STORE_KEY(1, 0x0102), key, sizeof key, &len), CF_STORE_OK);
  assert_int_equal(key[27], 4);
  tc_close(&t);
}

static void test_read_keyinfo(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", NULL);
  assert_int_equal(tc_hex(&t, "00B401000B"), 0x9000);
  tc_expect_data(&t, "010101000000AA00000000");
  assert_int_equal(tc_hex(&t, "00B402000B"), 0x9000);
  tc_expect_data(&t, "020101000000AA00000000");
  assert_int_equal(tc_hex(&t, "00B403000B"), 0x6B00);
  assert_int_equal(tc_hex(&t, "00B400000B"), 0x6A86);
  assert_int_equal(tc_hex(&t, "00B401010B"), 0x6A86);
  assert_int_equal(tc_tx_raw(&t, (const uint8_t *)"\x00\xB4\x01\x00\x0C", 5), 0x6C0B);
  tc_close(&t);
  /* params choose the preset keys */
  tc_open(&t, "kmc", "keys=0108,k08=000102030405060708090A0B0C0D0E0F");
  assert_int_equal(tc_hex(&t, "00B402000B"), 0x9000);
  tc_expect_data(&t, "080101000031AA00000000");
  assert_int_equal(tc_hex(&t, "00B403000B"), 0x6B00);
  tc_close(&t);
}

static void test_bad_params_refused(void **state) {
  (void)state;
  cf_store *s;
  assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
  for (size_t i = 0; i < cmcc_profile_count; i++) {
    if (strcmp(cmcc_profiles[i]->name, "kmc") == 0) {
      assert_null(cmcc_profiles[i]->create(s, "pin1=12"));
      assert_null(cmcc_profiles[i]->create(s, "keys=0C"));
      assert_null(cmcc_profiles[i]->create(s, "k01=zz"));
    }
    if (strcmp(cmcc_profiles[i]->name, "usercard") == 0)
      assert_null(cmcc_profiles[i]->create(s, "serial=01"));
  }
  cf_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_select_fci),    cmocka_unit_test(test_class_and_instruction_errors),
      cmocka_unit_test(test_get_challenge), cmocka_unit_test(test_verify_pin),
      cmocka_unit_test(test_change_pin),    cmocka_unit_test(test_reload_pin),
      cmocka_unit_test(test_external_auth), cmocka_unit_test(test_power_cut_on_tries),
      cmocka_unit_test(test_read_keyinfo),  cmocka_unit_test(test_bad_params_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
