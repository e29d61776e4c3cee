/* The China Mobile operator HSM in a SoftHSM2 token against the same keys in a vault: for the same
 * inputs (randoms, CIPPs, records) every HSM operation gives byte-identical output, computed inside
 * the token; the token's keys cannot be read; an import record can carry only an exportable token
 * key. Exits 77 (skipped) only when SoftHSM2 is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/cmcc.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/crypto.h"
#include "cardforge/keystore.h"
#include "hsm_token.h"
#include "keystore_internal.h"
#include "token_fixture.h"

static char home[] = "/tmp/cf-cmcc-token-XXXXXX";
static cf_cmcc_hsm *vault, *token;

/* the operator keys of tests/integration/cmcc/cmcc_values.sh's kind: 01, 03, 04, 05 */
static const uint8_t keys[4][16] = {
    {0x1F, 0x1E, 0x1D, 0x1C, 0x1B, 0x1A, 0x19, 0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 0x10},
    {0x3F, 0x3E, 0x3D, 0x3C, 0x3B, 0x3A, 0x39, 0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31, 0x30},
    {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
    {0x5F, 0x5E, 0x5D, 0x5C, 0x5B, 0x5A, 0x59, 0x58, 0x57, 0x56, 0x55, 0x54, 0x53, 0x52, 0x51, 0x50},
};
static const uint8_t types[4] = {0x01, 0x03, 0x04, 0x05};

static void attrs_of(uint8_t type, uint8_t attrs[CF_CMCC_ATTR_LEN]) {
  memset(attrs, 0, CF_CMCC_ATTR_LEN);
  attrs[CMCC_ATTR_TYPE] = type;
  attrs[CMCC_ATTR_VERSION] = 1;
  attrs[CMCC_ATTR_INDEX] = 1;
  attrs[CMCC_ATTR_ALG] = CMCC_ALG_3DES;
  attrs[CMCC_ATTR_STATUS] = CMCC_KEY_USABLE;
}

static const cf_cmcc_key *find(cf_cmcc_hsm *h, uint8_t type) {
  char err[200];
  const cf_cmcc_key *k = cf_cmcc_hsm_find(h, type, -1, -1, err, sizeof err);
  if (k == NULL) fprintf(stderr, "%s\n", err);
  assert_non_null(k);
  return k;
}

static void test_same_keys_same_check_values(void **state) {
  (void)state;
  assert_int_equal(cf_cmcc_hsm_count(token), 4);
  assert_true(cf_cmcc_hsm_in_token(token));
  assert_false(cf_cmcc_hsm_in_token(vault));
  for (int i = 0; i < 4; i++) {
    uint8_t a[3], b[3];
    assert_int_equal(cf_cmcc_hsm_key_kcv(vault, find(vault, types[i]), a), 0);
    assert_int_equal(cf_cmcc_hsm_key_kcv(token, find(token, types[i]), b), 0);
    assert_memory_equal(a, b, 3);
    /* the token's entries carry no value */
    static const uint8_t zero[16] = {0};
    assert_memory_equal(find(token, types[i])->value, zero, 16);
  }
}

static void test_auth_data_identical(void **state) {
  (void)state;
  for (int i = 0; i < 4; i++) {
    for (int r = 0; r < 8; r++) {
      uint8_t random[4], a[8], b[8];
      cf_rand(random, sizeof random);
      assert_int_equal(cf_cmcc_hsm_auth_data(vault, find(vault, types[i]), random, a), 0);
      assert_int_equal(cf_cmcc_hsm_auth_data(token, find(token, types[i]), random, b), 0);
      assert_memory_equal(a, b, 8);
    }
  }
  /* the profile's worked value: K 40..4F, R 12345678 -> E228F0F406D5E2EF */
  static const uint8_t r[4] = {0x12, 0x34, 0x56, 0x78},
                       want[8] = {0xE2, 0x28, 0xF0, 0xF4, 0x06, 0xD5, 0xE2, 0xEF};
  uint8_t got[8];
  assert_int_equal(cf_cmcc_hsm_auth_data(token, find(token, 0x04), r, got), 0);
  assert_memory_equal(got, want, 8);
}

static void test_wrap_record_identical(void **state) {
  (void)state;
  for (int i = 0; i < 4; i++) {
    for (uint8_t p2 = 0; p2 < 3; p2++) {
      uint8_t cipp[4] = {0x80, 0xD8, 0x00, p2}, random[4], attrs[CF_CMCC_ATTR_LEN], value[16], a[36], b[36];
      cf_rand(random, sizeof random);
      cf_rand(attrs, sizeof attrs);
      cf_rand(value, sizeof value);
      assert_int_equal(cf_cmcc_hsm_wrap_record(vault, find(vault, types[i]), cipp, random, attrs, value, a),
                       0);
      assert_int_equal(cf_cmcc_hsm_wrap_record(token, find(token, types[i]), cipp, random, attrs, value, b),
                       0);
      assert_memory_equal(a, b, 36);
    }
  }
}

static void test_wrap_data_identical(void **state) {
  (void)state;
  uint8_t cipp[4] = {0x80, 0xD8, 0x00, 0x00}, random[4], plain[100], a[120], b[120];
  size_t la = 0, lb = 0;
  for (size_t len = 1; len < sizeof plain; len += 7) {
    cf_rand(random, sizeof random);
    cf_rand(plain, len);
    assert_int_equal(
        cf_cmcc_hsm_wrap_data(vault, find(vault, 0x01), cipp, random, plain, len, a, sizeof a, &la), 0);
    assert_int_equal(
        cf_cmcc_hsm_wrap_data(token, find(token, 0x01), cipp, random, plain, len, b, sizeof b, &lb), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
  }
  /* too small an output buffer is refused by both */
  assert_int_equal(cf_cmcc_hsm_wrap_data(token, find(token, 0x01), cipp, random, plain, 20, b, 20, &lb), -1);
}

static void test_values_stay_in_the_token(void **state) {
  (void)state;
  char err[300];
  uint8_t value[16];
  /* 01 was imported by hsm-init's path: not exportable, so no import record can carry it */
  assert_int_equal(cf_cmcc_hsm_key_value(token, find(token, 0x01), value, err, sizeof err), -1);
  assert_non_null(strstr(err, "not exportable"));
  /* 05 was imported exportable (`cardforge hsm import --exportable`): it comes out, equal */
  assert_int_equal(cf_cmcc_hsm_key_value(token, find(token, 0x05), value, err, sizeof err), 0);
  assert_memory_equal(value, keys[3], 16);
  cf_wipe(value, sizeof value);
  /* neither can be read as an attribute */
  cf_keystore *ks;
  cf_ks_config c = {0};
  assert_int_equal(cf_ks_open(&c, &ks, err, sizeof err), 0);
  cf_ks_key k;
  const char *labels[] = {"cmcc/01/01/01", "cmcc/05/01/01"};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(cf_ks_find(ks, labels[i], &k, err, sizeof err), 1);
    CK_ATTRIBUTE a = {CKA_VALUE, value, sizeof value};
    assert_int_equal(ks->p11->C_GetAttributeValue(ks->session, k.obj, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
  }
  cf_ks_close(ks);
}

static void test_store_refuses_existing_and_generates(void **state) {
  (void)state;
  char err[300];
  uint8_t attrs[CF_CMCC_ATTR_LEN], kcv[3], kcv2[3];
  attrs_of(0x01, attrs);
  assert_int_equal(cf_cmcc_hsm_token_store(token, attrs, keys[0], false, kcv, err, sizeof err), -1);
  assert_non_null(strstr(err, "already"));
  /* a key generated inside the token: listed with a check value, usable, its value unknown here */
  attrs_of(0x02, attrs);
  assert_int_equal(cf_cmcc_hsm_token_store(token, attrs, NULL, false, kcv, err, sizeof err), 0);
  const cf_cmcc_key *k = find(token, 0x02);
  assert_int_equal(cf_cmcc_hsm_key_kcv(token, k, kcv2), 0);
  assert_memory_equal(kcv, kcv2, 3);
  uint8_t random[4] = {1, 2, 3, 4}, out[8];
  assert_int_equal(cf_cmcc_hsm_auth_data(token, k, random, out), 0);
  /* replaced on request: the same name, a new key */
  assert_int_equal(cf_cmcc_hsm_token_store(token, attrs, keys[2], true, kcv, err, sizeof err), 0);
  uint8_t zero[8] = {0}, want[8];
  assert_int_equal(cf_des3_ecb_encrypt(keys[2], 16, zero, want, 8), 0);
  assert_memory_equal(kcv, want, 3);
}

int main(void) {
  int made = token_fixture_make(home, true, "13579111", "246810");
  if (made != 0) return made;
  char err[512] = "";
  cf_ks_config c = {0};
  vault = cf_cmcc_hsm_new();
  cf_cmcc_hsm *h = NULL;
  if (cf_cmcc_hsm_token_open("pkcs11", false, &h, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  for (int i = 0; i < 4; i++) {
    uint8_t attrs[CF_CMCC_ATTR_LEN], kcv[3];
    attrs_of(types[i], attrs);
    if (cf_cmcc_hsm_add(vault, attrs, keys[i], NULL) != 0) return 1;
    if (i < 3 && cf_cmcc_hsm_token_store(h, attrs, keys[i], false, kcv, err, sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
  }
  cf_cmcc_hsm_free(h);
  /* 05 as `cardforge hsm import --label cmcc/05/01/01 --type des2 --exportable` stores it */
  cf_keystore *ks;
  cf_ks_key k;
  if (cf_ks_open(&c, &ks, err, sizeof err) != 0 ||
      cf_ks_import(ks, "cmcc/05/01/01", CF_KS_DES2, keys[3], 16, true, &k, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  cf_ks_close(ks);
  /* the way `--hsm pkcs11` loads it */
  if (cf_cmcc_hsm_load("pkcs11", &token, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_keys_same_check_values),
      cmocka_unit_test(test_auth_data_identical),
      cmocka_unit_test(test_wrap_record_identical),
      cmocka_unit_test(test_wrap_data_identical),
      cmocka_unit_test(test_values_stay_in_the_token),
      cmocka_unit_test(test_store_refuses_existing_and_generates),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  cf_cmcc_hsm_free(token);
  cf_cmcc_hsm_free(vault);
  token_fixture_remove(home);
  return failed;
}
