/* AES and triple-DES block modes against FIPS 197, SP 800-38A, SP 800-67, FIPS 81 and NIST
 * TDES MMT vectors, plus argument checks and use from several threads. */
#include "crypto_test_util.h"

#include <cardforge/crypto.h>

#include "crypto_internal.h"

#include <pthread.h>
#include <stdlib.h>

static const char *const sp800_38a_pt = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                                        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char *const sp800_38a_iv = "000102030405060708090a0b0c0d0e0f";

static const struct {
  const char *key, *ecb, *cbc;
} sp800_38a[] = {
    {"2b7e151628aed2a6abf7158809cf4f3c",
     "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
     "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
     "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
     "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
    {"8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
     "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
     "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
     "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
     "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7",
     "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
};

/* FIPS 197 appendix C: one block under each key size. */
static void test_aes_fips197(void **state) {
  (void)state;
  static const struct {
    const char *key, *ct;
  } v[] = {
      {"000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a"},
      {"000102030405060708090a0b0c0d0e0f1011121314151617", "dda97ca4864cdfe06eaf70a0ec0d7191"},
      {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       "8ea2b7ca516745bfeafc49904b496089"},
  };
  uint8_t key[32], pt[16], out[16];
  unhex("00112233445566778899aabbccddeeff", pt, sizeof pt);
  for (size_t i = 0; i < 3; i++) {
    size_t klen = unhex(v[i].key, key, sizeof key);
    assert_int_equal(cf_aes_ecb_encrypt(key, klen, pt, out, 16), 0);
    assert_hex(out, 16, v[i].ct);
    assert_int_equal(cf_aes_ecb_decrypt(key, klen, out, out, 16), 0);
    assert_memory_equal(out, pt, 16);
  }
}

/* SP 800-38A F.1 and F.2: four blocks, ECB and CBC, every key size, both directions. */
static void test_aes_sp800_38a(void **state) {
  (void)state;
  uint8_t key[32], pt[64], iv[16], buf[64];
  unhex(sp800_38a_pt, pt, sizeof pt);
  unhex(sp800_38a_iv, iv, sizeof iv);
  for (size_t i = 0; i < 3; i++) {
    size_t klen = unhex(sp800_38a[i].key, key, sizeof key);
    assert_int_equal(cf_aes_ecb_encrypt(key, klen, pt, buf, 64), 0);
    assert_hex(buf, 64, sp800_38a[i].ecb);
    assert_int_equal(cf_aes_ecb_decrypt(key, klen, buf, buf, 64), 0);
    assert_memory_equal(buf, pt, 64);

    assert_int_equal(cf_aes_cbc_encrypt(key, klen, iv, pt, buf, 64), 0);
    assert_hex(buf, 64, sp800_38a[i].cbc);
    assert_int_equal(cf_aes_cbc_decrypt(key, klen, iv, buf, buf, 64), 0);
    assert_memory_equal(buf, pt, 64);

    /* In place encryption gives the same ciphertext. */
    memcpy(buf, pt, 64);
    assert_int_equal(cf_aes_cbc_encrypt(key, klen, iv, buf, buf, 64), 0);
    assert_hex(buf, 64, sp800_38a[i].cbc);
  }
}

static void test_aes_rejects_bad_arguments(void **state) {
  (void)state;
  uint8_t key[32] = {0}, iv[16] = {0}, buf[64] = {0};
  assert_int_equal(cf_aes_ecb_encrypt(key, 20, buf, buf, 16), -1);
  assert_int_equal(cf_aes_ecb_encrypt(key, 16, buf, buf, 15), -1);
  assert_int_equal(cf_aes_cbc_decrypt(key, 16, iv, buf, buf, 17), -1);
  assert_int_equal(cf_aes_cbc_encrypt(key, 16, NULL, buf, buf, 16), -1);
  assert_int_equal(cf_aes_ecb_decrypt(NULL, 16, buf, buf, 16), -1);
  assert_int_equal(cf_aes_ecb_encrypt(key, 16, buf, buf, 0), 0);
  /* A failed call leaves the context usable. */
  unhex(sp800_38a[0].key, key, 16);
  unhex(sp800_38a_pt, buf, sizeof buf);
  assert_int_equal(cf_aes_ecb_encrypt(key, 16, buf, buf, 16), 0);
  assert_hex(buf, 16, "3ad77bb40d7a3660a89ecaf32466ef97");
}

/* NIST SP 800-67 rev. 1 example: three-key TDEA ECB over "The qufck brown fox jump". */
static void test_des3_sp800_67(void **state) {
  (void)state;
  uint8_t key[24], out[24];
  unhex("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123", key, sizeof key);
  assert_int_equal(cf_des3_ecb_encrypt(key, 24, (const uint8_t *)"The qufck brown fox jump", out, 24), 0);
  assert_hex(out, 24, "A826FD8CE53B855FCCE21C8112256FE668D5C05DD9B6B900");
  assert_int_equal(cf_des3_ecb_decrypt(key, 24, out, out, 24), 0);
  assert_memory_equal(out, "The qufck brown fox jump", 24);
}

/* An 8-byte key is single DES: the classic FIPS 46 worked example (key 133457799BBCDFF1) and
 * the FIPS 81 appendix C CBC example. */
static void test_des3_single_key_is_des(void **state) {
  (void)state;
  uint8_t key[8], iv[8], block[8], out[24];
  unhex("133457799BBCDFF1", key, 8);
  unhex("0123456789ABCDEF", block, 8);
  assert_int_equal(cf_des3_ecb_encrypt(key, 8, block, out, 8), 0);
  assert_hex(out, 8, "85E813540F0AB405");

  unhex("0123456789ABCDEF", key, 8);
  unhex("1234567890ABCDEF", iv, 8);
  assert_int_equal(cf_des3_cbc_encrypt(key, 8, iv, (const uint8_t *)"Now is the time for all ", out, 24), 0);
  assert_hex(out, 24, "E5C7CDDE872BF27C43E934008C389C0F683788499A7C05F6");
  assert_int_equal(cf_des3_cbc_decrypt(key, 8, iv, out, out, 24), 0);
  assert_memory_equal(out, "Now is the time for all ", 24);
}

/* An 8-byte key (single DES, from the legacy provider when loaded) gives what the same key
 * three times gives through DES-EDE3, both modes and directions, over many blocks. */
static void test_des_single_key_matches_kkk(void **state) {
  (void)state;
  uint8_t key[8], k24[24], iv[8], in[200], a[200], b[200];
  for (int round = 0; round < 20; round++) {
    assert_int_equal(cf_rand(key, sizeof key), 0);
    assert_int_equal(cf_rand(iv, sizeof iv), 0);
    assert_int_equal(cf_rand(in, sizeof in), 0);
    memcpy(k24, key, 8);
    memcpy(k24 + 8, key, 8);
    memcpy(k24 + 16, key, 8);
    size_t len = (size_t)(round % 25 + 1) * 8;
    assert_int_equal(cf_des3_ecb_encrypt(key, 8, in, a, len), 0);
    assert_int_equal(cf_des3_ecb_encrypt(k24, 24, in, b, len), 0);
    assert_memory_equal(a, b, len);
    assert_int_equal(cf_des3_ecb_decrypt(key, 8, in, a, len), 0);
    assert_int_equal(cf_des3_ecb_decrypt(k24, 24, in, b, len), 0);
    assert_memory_equal(a, b, len);
    assert_int_equal(cf_des3_cbc_encrypt(key, 8, iv, in, a, len), 0);
    assert_int_equal(cf_des3_cbc_encrypt(k24, 24, iv, in, b, len), 0);
    assert_memory_equal(a, b, len);
    assert_int_equal(cf_des3_cbc_decrypt(key, 8, iv, in, a, len), 0);
    assert_int_equal(cf_des3_cbc_decrypt(k24, 24, iv, in, b, len), 0);
    assert_memory_equal(a, b, len);
  }
}

/* CF_TEST_SINGLE_DES (set by the build) says which single-DES path this run must take:
 * "legacy" (the provider's module is installed) or "ede3" (the module is kept out of reach). */
static void test_single_des_path_is_the_expected_one(void **state) {
  (void)state;
  const char *want = getenv("CF_TEST_SINGLE_DES");
  if (want == NULL) skip();
  if (strcmp(want, "legacy") == 0)
    assert_true(cf_crypto_has_single_des());
  else if (strcmp(want, "ede3") == 0)
    assert_false(cf_crypto_has_single_des());
  else
    fail_msg("CF_TEST_SINGLE_DES=%s: expected legacy or ede3", want);
}

/* Every cipher has its own context per thread: passes that alternate algorithms, directions and
 * keys (as SCP03 alternates AES-ECB counters and AES-CBC data) must each give the published
 * value, and a failed call must not spoil the next one. */
static void test_alternating_ciphers_keep_their_settings(void **state) {
  (void)state;
  uint8_t key[32], pt[64], iv[16], buf[64], want[64], dkey[24];
  unhex(sp800_38a_pt, pt, sizeof pt);
  unhex(sp800_38a_iv, iv, sizeof iv);
  unhex("0123456789ABCDEF", dkey, 8);
  for (int round = 0; round < 12; round++) {
    size_t i = (size_t)round % 3;
    size_t klen = unhex(sp800_38a[i].key, key, sizeof key);
    unhex(sp800_38a[i].ecb, want, sizeof want);
    assert_int_equal(cf_aes_ecb_encrypt(key, klen, pt, buf, 16), 0);
    assert_memory_equal(buf, want, 16);
    unhex(sp800_38a[i].cbc, want, sizeof want);
    assert_int_equal(cf_aes_cbc_encrypt(key, klen, iv, pt, buf, 64), 0);
    assert_memory_equal(buf, want, 64);
    /* a refused call (not whole blocks) between two good ones */
    assert_int_equal(cf_aes_cbc_encrypt(key, klen, iv, pt, buf, 15), -1);
    assert_int_equal(cf_aes_cbc_decrypt(key, klen, iv, want, buf, 64), 0);
    assert_memory_equal(buf, pt, 64);
    unhex(sp800_38a[i].ecb, want, sizeof want);
    assert_int_equal(cf_aes_ecb_decrypt(key, klen, want, buf, 64), 0);
    assert_memory_equal(buf, pt, 64);
    unhex("1234567890ABCDEF", buf, 8);
    assert_int_equal(
        cf_des3_cbc_encrypt(dkey, 8, buf, (const uint8_t *)"Now is the time for all ", buf + 8, 24), 0);
    assert_hex(buf + 8, 24, "E5C7CDDE872BF27C43E934008C389C0F683788499A7C05F6");
  }
}

/* Two-key 3DES: the PBOC diversification vector of docs/cmcc-profile.md 5.1 (pyemv's example):
 * K 0123456789ABCDEFFEDCBA9876543210, 3DES_K(F) || 3DES_K(~F) = 67F8...3A6B. The 16-byte
 * key must equal the 24-byte K1||K2||K1. */
static void test_des3_two_key(void **state) {
  (void)state;
  uint8_t k16[16], k24[24], f[8], nf[8], out[8], out24[8];
  unhex("0123456789ABCDEFFEDCBA9876543210", k16, 16);
  unhex("1234567890123445", f, 8);
  for (int i = 0; i < 8; i++)
    nf[i] = (uint8_t)~f[i];
  assert_int_equal(cf_des3_ecb_encrypt(k16, 16, f, out, 8), 0);
  assert_hex(out, 8, "67F8292358083F5E");
  assert_int_equal(cf_des3_ecb_encrypt(k16, 16, nf, out, 8), 0);
  assert_hex(out, 8, "A6AB7FDA58D43A6B");

  memcpy(k24, k16, 16);
  memcpy(k24 + 16, k16, 8);
  assert_int_equal(cf_des3_ecb_encrypt(k24, 24, nf, out24, 8), 0);
  assert_memory_equal(out, out24, 8);
}

/* Key check values of docs/gp.md section 3 (GP definitions): DES = 3DES_K(0^8),
 * AES = AES_K(01^16), first 3 bytes, for K = 40..4F. */
static void test_gp_key_check_values(void **state) {
  (void)state;
  uint8_t key[16], in[16], out[16];
  unhex("404142434445464748494A4B4C4D4E4F", key, 16);
  memset(in, 0, 8);
  assert_int_equal(cf_des3_ecb_encrypt(key, 16, in, out, 8), 0);
  assert_hex(out, 3, "8BAF47");
  memset(in, 1, 16);
  assert_int_equal(cf_aes_ecb_encrypt(key, 16, in, out, 16), 0);
  assert_hex(out, 3, "504A77");
}

/* NIST TDES multi-block message test (TCBCMMT3), examples 1 and 2. */
static void test_des3_cbc_nist_mmt(void **state) {
  (void)state;
  static const struct {
    const char *key, *iv, *pt, *ct;
  } v[] = {
      {"627f460e08104a1043cd265d5840eaf1313edf97df2a8a8c", "8e29f75ea77e5475", "326a494cd33fe756",
       "b22b8d66de970692"},
      {"37ae5ebf46dff2dc0754b94f31cbb3855e7fd36dc870bfae", "3d1de3cc132e3b65",
       "84401f78fe6c10876d8ea23094ea5309", "7b1f7c7e3b1c948ebd04a75ffba7d2f5"},
  };
  for (size_t i = 0; i < 2; i++) {
    uint8_t key[24], iv[8], pt[16], out[16];
    unhex(v[i].key, key, sizeof key);
    unhex(v[i].iv, iv, sizeof iv);
    size_t n = unhex(v[i].pt, pt, sizeof pt);
    assert_int_equal(cf_des3_cbc_encrypt(key, 24, iv, pt, out, n), 0);
    assert_hex(out, n, v[i].ct);
    assert_int_equal(cf_des3_cbc_decrypt(key, 24, iv, out, out, n), 0);
    assert_memory_equal(out, pt, n);
  }
}

static void test_des3_rejects_bad_arguments(void **state) {
  (void)state;
  uint8_t key[24] = {0}, iv[8] = {0}, buf[16] = {0};
  assert_int_equal(cf_des3_ecb_encrypt(key, 12, buf, buf, 8), -1);
  assert_int_equal(cf_des3_ecb_encrypt(key, 0, buf, buf, 8), -1);
  assert_int_equal(cf_des3_ecb_decrypt(key, 16, buf, buf, 7), -1);
  assert_int_equal(cf_des3_cbc_encrypt(key, 16, NULL, buf, buf, 8), -1);
  assert_int_equal(cf_des3_cbc_decrypt(NULL, 16, iv, buf, buf, 8), -1);
  assert_int_equal(cf_des3_cbc_decrypt(key, 16, iv, buf, buf, 0), 0);
}

/* Each thread has its own contexts: run the vectors concurrently and interleaved. */
static void *cipher_worker(void *arg) {
  (void)arg;
  uint8_t key[32], pt[64], iv[16], buf[64], want[64], dkey[24];
  unhex(sp800_38a_pt, pt, sizeof pt);
  unhex(sp800_38a_iv, iv, sizeof iv);
  unhex("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123", dkey, sizeof dkey);
  for (int round = 0; round < 200; round++) {
    size_t i = (size_t)round % 3;
    size_t klen = unhex(sp800_38a[i].key, key, sizeof key);
    unhex(sp800_38a[i].cbc, want, sizeof want);
    if (cf_aes_cbc_encrypt(key, klen, iv, pt, buf, 64) != 0 || memcmp(buf, want, 64) != 0) return (void *)1;
    if (cf_des3_ecb_encrypt(dkey, 24, (const uint8_t *)"The qufck brown fox jump", buf, 24) != 0)
      return (void *)1;
    unhex("A826FD8CE53B855FCCE21C8112256FE668D5C05DD9B6B900", want, sizeof want);
    if (memcmp(buf, want, 24) != 0) return (void *)1;
    uint8_t mac[32];
    if (cf_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac) != 0) return (void *)1;
    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, sizeof want);
    if (memcmp(mac, want, 32) != 0) return (void *)1;
  }
  return NULL;
}

static void test_ciphers_from_several_threads(void **state) {
  (void)state;
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&th[i], NULL, cipher_worker, NULL), 0);
  for (int i = 0; i < 4; i++) {
    void *rc = (void *)1;
    assert_int_equal(pthread_join(th[i], &rc), 0);
    assert_null(rc);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aes_fips197),
      cmocka_unit_test(test_aes_sp800_38a),
      cmocka_unit_test(test_aes_rejects_bad_arguments),
      cmocka_unit_test(test_des3_sp800_67),
      cmocka_unit_test(test_des3_single_key_is_des),
      cmocka_unit_test(test_des_single_key_matches_kkk),
      cmocka_unit_test(test_single_des_path_is_the_expected_one),
      cmocka_unit_test(test_alternating_ciphers_keep_their_settings),
      cmocka_unit_test(test_des3_two_key),
      cmocka_unit_test(test_gp_key_check_values),
      cmocka_unit_test(test_des3_cbc_nist_mmt),
      cmocka_unit_test(test_des3_rejects_bad_arguments),
      cmocka_unit_test(test_ciphers_from_several_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
