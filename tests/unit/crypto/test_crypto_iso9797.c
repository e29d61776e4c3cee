/* ISO/IEC 9797-1 padding method 2, MAC algorithms 1 and 3 and AES CBC-MAC. Published vectors:
 * psec/pyemv (public payment-crypto libraries), the CMCC profile's worked values and NIST SP
 * 800-38A (a CBC-MAC is the last CBC ciphertext block). */
#include "crypto_test_util.h"

#include <cardforge/crypto.h>

static void check_pad(const char *data_hex, size_t block, const char *want_hex) {
  uint8_t buf[64];
  size_t len = unhex(data_hex, buf, sizeof buf);
  size_t padded = cf_pad_iso9797_m2(buf, len, block, sizeof buf);
  assert_true(padded > len);
  assert_hex(buf, padded, want_hex);
  assert_int_equal(cf_unpad_iso9797_m2(buf, padded), (long)len);
}

/* psec's pad_iso_2 vectors: short, one byte short of a block, exact block, other block size,
 * and empty input. */
static void test_pad_method2(void **state) {
  (void)state;
  check_pad("1234", 8, "1234800000000000");
  check_pad("12345678901234", 8, "1234567890123480");
  check_pad("1234567890123456", 8, "12345678901234568000000000000000");
  check_pad("1234", 4, "12348000");
  check_pad("123456", 4, "12345680");
  check_pad("12345678", 4, "1234567880000000");
  check_pad("", 4, "80000000");
  check_pad("", 8, "8000000000000000");
  check_pad("000102030405060708090a0b0c0d0e0f", 16,
            "000102030405060708090a0b0c0d0e0f80000000000000000000000000000000");
}

static void test_pad_refuses_without_room(void **state) {
  (void)state;
  uint8_t buf[16] = {0};
  assert_int_equal(cf_pad_iso9797_m2(buf, 8, 8, 15), 0);
  assert_int_equal(cf_pad_iso9797_m2(buf, 8, 8, 16), 16);
  assert_int_equal(cf_pad_iso9797_m2(buf, 7, 8, 7), 0);
  assert_int_equal(cf_pad_iso9797_m2(buf, 3, 0, 16), 0);
  assert_int_equal(cf_pad_iso9797_m2(NULL, 3, 8, 16), 0);
}

static long unpad_hex(const char *hex) {
  uint8_t buf[64];
  size_t len = unhex(hex, buf, sizeof buf);
  return cf_unpad_iso9797_m2(buf, len);
}

static void test_unpad_rejects_malformed(void **state) {
  (void)state;
  assert_int_equal(unpad_hex("0000000000000000"), -1); /* no 80 at all */
  assert_int_equal(unpad_hex("1234000000000000"), -1); /* data byte where the marker should be */
  assert_int_equal(unpad_hex("1234800000000001"), -1); /* non-zero after the marker */
  assert_int_equal(unpad_hex("12348000000000FF"), -1);
  assert_int_equal(cf_unpad_iso9797_m2((const uint8_t *)"", 0), -1);
  assert_int_equal(cf_unpad_iso9797_m2(NULL, 8), -1);
  /* Only the last 80 counts; one inside the data is data. */
  assert_int_equal(unpad_hex("8000800000000000"), 2);
  assert_int_equal(unpad_hex("80"), 0);
  assert_int_equal(unpad_hex("1234567880"), 4);
}

/* MAC algorithm 3 with K = AAAAAAAAAAAAAAAA BBBBBBBBBBBBBBBB over "hello world": the CMCC
 * profile's worked value, from pyemv's tests. And psec's generate_retail_mac with the ASCII
 * keys "AAAAAAAAAAAAAAAA"/"BBBBBBBBBBBBBBBB" (two-key 3DES with equal halves is single DES
 * under 4141..41 and 4242..42). */
static void test_mac_alg3_published(void **state) {
  (void)state;
  uint8_t key[16], mac[8];
  unhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", key, 16);
  assert_int_equal(cf_mac_alg3(key, NULL, "hello world", 11, mac), 0);
  assert_hex(mac, 8, "2BC2D9EDE0CF31F6");
  unhex("41414141414141414242424242424242", key, 16);
  assert_int_equal(cf_mac_alg3(key, NULL, "hello world", 11, mac), 0);
  assert_hex(mac, 8, "E16941032C3BC7D4");
}

/* An IV is the chaining value before the first block: MAC(IV = E_KL(X), D) = MAC(0, X || D). */
static void test_mac_alg3_iv_is_chaining_value(void **state) {
  (void)state;
  uint8_t key[16], iv[8], msg[40], mac_iv[8], mac_prefixed[8];
  unhex("0123456789ABCDEFFEDCBA9876543210", key, 16);
  memcpy(msg, "previous", 8);
  memcpy(msg + 8, "data after the first block", 26);
  assert_int_equal(cf_des3_ecb_encrypt(key, 8, msg, iv, 8), 0);
  assert_int_equal(cf_mac_alg3(key, iv, msg + 8, 26, mac_iv), 0);
  assert_int_equal(cf_mac_alg3(key, NULL, msg, 34, mac_prefixed), 0);
  assert_memory_equal(mac_iv, mac_prefixed, 8);
  /* An explicit zero IV is the same as none. */
  uint8_t zero[8] = {0}, a[8], b[8];
  assert_int_equal(cf_mac_alg3(key, zero, msg, 34, a), 0);
  assert_int_equal(cf_mac_alg3(key, NULL, msg, 34, b), 0);
  assert_memory_equal(a, b, 8);
}

/* With KL = KR the final transformation cancels to single DES: algorithm 3 equals algorithm 1
 * under the single key. Checked on lengths around block boundaries. */
static void test_mac_alg3_equal_halves_is_alg1(void **state) {
  (void)state;
  uint8_t key[16], data[33], a[8], b[8];
  unhex("133457799BBCDFF1133457799BBCDFF1", key, 16);
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7 + 1);
  for (size_t len = 0; len <= sizeof data; len++) {
    assert_int_equal(cf_mac_alg3(key, NULL, data, len, a), 0);
    assert_int_equal(cf_mac_alg1_des(key, 8, NULL, data, len, b), 0);
    assert_memory_equal(a, b, 8);
  }
}

/* psec's generate_cbc_mac (ISO 9797-1 algorithm 1, padding method 2, TDES, zero IV). */
static void test_mac_alg1_published(void **state) {
  (void)state;
  uint8_t key[16], data[8], mac[8];
  unhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", key, 16);
  assert_int_equal(cf_mac_alg1_des(key, 16, NULL, "hello world", 11, mac), 0);
  assert_hex(mac, 8, "32DC341271ACCD00");
  unhex("0123456789ABCDEFFEDCBA9876543210", key, 16);
  unhex("1234567890ABCDEF", data, 8);
  assert_int_equal(cf_mac_alg1_des(key, 16, NULL, data, 8, mac), 0);
  assert_hex(mac, 8, "925B1737EF681AD3");
}

/* Algorithm 1 is the last block of CBC encryption of the padded data (the CBC itself is
 * checked against FIPS 81 in the cipher tests). Long enough to cross the internal slices. */
static void test_mac_alg1_matches_cbc_last_block(void **state) {
  (void)state;
  static uint8_t data[1100], padded[1112], ct[1112];
  uint8_t iv[8], mac[8];
  static const size_t klens[3] = {8, 16, 24};
  uint8_t key[24];
  unhex("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123", key, 24);
  unhex("FEDCBA9876543210", iv, 8);
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i ^ (i >> 3));
  static const size_t lens[] = {0, 1, 7, 8, 9, 511, 512, 513, 1024, 1100};
  for (size_t k = 0; k < 3; k++) {
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
      size_t len = lens[l];
      memcpy(padded, data, len);
      size_t plen = cf_pad_iso9797_m2(padded, len, 8, sizeof padded);
      assert_int_equal(cf_des3_cbc_encrypt(key, klens[k], iv, padded, ct, plen), 0);
      assert_int_equal(cf_mac_alg1_des(key, klens[k], iv, data, len, mac), 0);
      assert_memory_equal(mac, ct + plen - 8, 8);
    }
  }
}

static void test_mac_rejects_bad_arguments(void **state) {
  (void)state;
  uint8_t key[24] = {0}, mac[16];
  assert_int_equal(cf_mac_alg1_des(key, 10, NULL, "x", 1, mac), -1);
  assert_int_equal(cf_mac_alg1_des(NULL, 16, NULL, "x", 1, mac), -1);
  assert_int_equal(cf_mac_alg1_des(key, 16, NULL, NULL, 1, mac), -1);
  assert_int_equal(cf_mac_alg3(NULL, NULL, "x", 1, mac), -1);
  assert_int_equal(cf_mac_alg3(key, NULL, NULL, 4, mac), -1);
  assert_int_equal(cf_aes_cbc_mac(key, 16, NULL, "0123456789abcdef", 15, mac), -1);
  assert_int_equal(cf_aes_cbc_mac(key, 16, NULL, "", 0, mac), -1);
  assert_int_equal(cf_aes_cbc_mac(key, 8, NULL, "0123456789abcdef", 16, mac), -1);
}

/* AES CBC-MAC = last block of SP 800-38A F.2.1 / F.2.3 / F.2.5 (IV 00..0F). */
static void test_aes_cbc_mac_sp800_38a(void **state) {
  (void)state;
  static const struct {
    const char *key, *last;
  } v[] = {
      {"2b7e151628aed2a6abf7158809cf4f3c", "3ff1caa1681fac09120eca307586e1a7"},
      {"8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "08b0e27988598881d920a9e64f5615cd"},
      {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
       "b2eb05e2c39be9fcda6c19078c6a9d1b"},
  };
  uint8_t key[32], iv[16], pt[64], mac[16];
  unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        pt, sizeof pt);
  unhex("000102030405060708090a0b0c0d0e0f", iv, sizeof iv);
  for (size_t i = 0; i < 3; i++) {
    size_t klen = unhex(v[i].key, key, sizeof key);
    assert_int_equal(cf_aes_cbc_mac(key, klen, iv, pt, 64, mac), 0);
    assert_hex(mac, 16, v[i].last);
  }
}

/* NULL IV is zeros; long input crosses the internal slices. */
static void test_aes_cbc_mac_matches_cbc_last_block(void **state) {
  (void)state;
  static uint8_t data[1040], ct[1040];
  uint8_t key[32] = {0}, zero_iv[16] = {0}, mac[16];
  for (size_t i = 0; i < sizeof key; i++)
    key[i] = (uint8_t)(0xA0 + i);
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 13);
  static const size_t lens[] = {16, 496, 512, 528, 1040};
  for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
    assert_int_equal(cf_aes_cbc_encrypt(key, 32, zero_iv, data, ct, lens[l]), 0);
    assert_int_equal(cf_aes_cbc_mac(key, 32, NULL, data, lens[l], mac), 0);
    assert_memory_equal(mac, ct + lens[l] - 16, 16);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pad_method2),
      cmocka_unit_test(test_pad_refuses_without_room),
      cmocka_unit_test(test_unpad_rejects_malformed),
      cmocka_unit_test(test_mac_alg3_published),
      cmocka_unit_test(test_mac_alg3_iv_is_chaining_value),
      cmocka_unit_test(test_mac_alg3_equal_halves_is_alg1),
      cmocka_unit_test(test_mac_alg1_published),
      cmocka_unit_test(test_mac_alg1_matches_cbc_last_block),
      cmocka_unit_test(test_mac_rejects_bad_arguments),
      cmocka_unit_test(test_aes_cbc_mac_sp800_38a),
      cmocka_unit_test(test_aes_cbc_mac_matches_cbc_last_block),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
