/* secp256k1 wrappers: known points, ECDH, RFC 6979 signatures (the bitcointalk/bitcoinj
 * deterministic-signature vectors), DER, recovery and BIP32 tweaks (BIP32 test vector 1). */
#include "crypto_test_util.h"

#include <cardforge/crypto.h>

static const char *const g_x = "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798";
static const char *const g_uncompressed = "0479BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"
                                          "483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8";
static const char *const n_minus_1 = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140";
static const char *const half_n = "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0";

static void scalar(const char *hex, uint8_t out[32]) {
  assert_int_equal(unhex(hex, out, 32), 32);
}

static void scalar_small(unsigned v, uint8_t out[32]) {
  memset(out, 0, 32);
  out[28] = (uint8_t)(v >> 24);
  out[29] = (uint8_t)(v >> 16);
  out[30] = (uint8_t)(v >> 8);
  out[31] = (uint8_t)v;
}

/* 1*G = G, 2*G (published doubling of G), (n-1)*G = -G (same x, odd y). */
static void test_pub_from_priv_known_points(void **state) {
  (void)state;
  uint8_t priv[32], pub[65], c33[33];
  scalar_small(1, priv);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_hex(pub, 65, g_uncompressed);
  scalar_small(2, priv);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_hex(pub, 65,
             "04C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5"
             "1AE168FEA63DC339A3C58419466CEAEEF7F632653266D0E1236431A950CFE52A");
  scalar(n_minus_1, priv);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_int_equal(cf_ec_pub_normalize(pub, 65, NULL, c33), 0);
  assert_int_equal(c33[0], 0x03);
  assert_hex(c33 + 1, 32, g_x);
  /* BIP32 test vector 1 master key. */
  scalar("e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35", priv);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_int_equal(cf_ec_pub_normalize(pub, 65, NULL, c33), 0);
  assert_hex(c33, 33, "0339a36013301597daef41fbe593a02cc513d0b55527ec2df1050e2e8ff49c85c2");
}

static void test_priv_validity(void **state) {
  (void)state;
  uint8_t priv[32], pub[65];
  scalar_small(0, priv);
  assert_false(cf_ec_priv_valid(priv));
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), -1);
  scalar("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", priv); /* n */
  assert_false(cf_ec_priv_valid(priv));
  scalar(n_minus_1, priv);
  assert_true(cf_ec_priv_valid(priv));
  scalar_small(1, priv);
  assert_true(cf_ec_priv_valid(priv));
  assert_false(cf_ec_priv_valid(NULL));
}

static void test_keygen(void **state) {
  (void)state;
  uint8_t p1[32], q1[65], p2[32], q2[65], check[65];
  assert_int_equal(cf_ec_keygen(p1, q1), 0);
  assert_int_equal(cf_ec_keygen(p2, q2), 0);
  assert_true(cf_ec_priv_valid(p1));
  assert_int_equal(q1[0], 0x04);
  assert_int_equal(cf_ec_pub_from_priv(p1, check), 0);
  assert_memory_equal(check, q1, 65);
  assert_memory_not_equal(p1, p2, 32);
}

static void test_pub_normalize(void **state) {
  (void)state;
  uint8_t g65[65], out65[65], out33[33], bad[65];
  unhex(g_uncompressed, g65, sizeof g65);
  assert_int_equal(cf_ec_pub_normalize(g65, 65, out65, out33), 0);
  assert_memory_equal(out65, g65, 65);
  assert_int_equal(out33[0], 0x02); /* y of G is even */
  assert_hex(out33 + 1, 32, g_x);
  memset(out65, 0, sizeof out65);
  assert_int_equal(cf_ec_pub_normalize(out33, 33, out65, NULL), 0);
  assert_memory_equal(out65, g65, 65);

  /* Wrong length for the prefix, hybrid form, point off the curve, x >= p, bad lengths. */
  assert_int_equal(cf_ec_pub_normalize(g65, 33, out65, out33), -1);
  memcpy(bad, out33, 33);
  bad[0] = 0x04;
  assert_int_equal(cf_ec_pub_normalize(bad, 33, out65, out33), -1);
  memcpy(bad, g65, 65);
  bad[0] = 0x02;
  assert_int_equal(cf_ec_pub_normalize(bad, 65, out65, out33), -1);
  bad[0] = 0x06;
  assert_int_equal(cf_ec_pub_normalize(bad, 65, out65, out33), -1);
  memcpy(bad, g65, 65);
  bad[64] ^= 1;
  assert_int_equal(cf_ec_pub_normalize(bad, 65, out65, out33), -1);
  memset(bad, 0xFF, 33);
  bad[0] = 0x02;
  assert_int_equal(cf_ec_pub_normalize(bad, 33, out65, out33), -1);
  assert_int_equal(cf_ec_pub_normalize(g65, 64, out65, out33), -1);
  assert_int_equal(cf_ec_pub_normalize(NULL, 65, out65, out33), -1);
}

static void test_ecdh_x(void **state) {
  (void)state;
  uint8_t a[32], b[32], qa[65], qb[65], qb33[33], s1[32], s2[32], s3[32];
  assert_int_equal(cf_ec_keygen(a, qa), 0);
  assert_int_equal(cf_ec_keygen(b, qb), 0);
  assert_int_equal(cf_ec_ecdh_x(a, qb, 65, s1), 0);
  assert_int_equal(cf_ec_ecdh_x(b, qa, 65, s2), 0);
  assert_memory_equal(s1, s2, 32);
  assert_int_equal(cf_ec_pub_normalize(qb, 65, NULL, qb33), 0);
  assert_int_equal(cf_ec_ecdh_x(a, qb33, 33, s3), 0);
  assert_memory_equal(s1, s3, 32);

  /* 2 * G is the published 2G, unhashed. */
  uint8_t two[32], g65[65], x[32];
  scalar_small(2, two);
  unhex(g_uncompressed, g65, sizeof g65);
  assert_int_equal(cf_ec_ecdh_x(two, g65, 65, x), 0);
  assert_hex(x, 32, "C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5");
  /* 1 * Q = Q. */
  scalar_small(1, two);
  assert_int_equal(cf_ec_ecdh_x(two, qa, 65, x), 0);
  assert_memory_equal(x, qa + 1, 32);

  uint8_t zero[32] = {0};
  assert_int_equal(cf_ec_ecdh_x(zero, qa, 65, x), -1);
  qa[64] ^= 1;
  assert_int_equal(cf_ec_ecdh_x(a, qa, 65, x), -1);
}

/* Deterministic (RFC 6979) secp256k1 signatures over SHA-256(message), low-S form, as
 * published with bitcoinj's tests (bitcointalk topic 285142). */
static const struct {
  const char *priv, *msg, *r, *s;
} rfc6979[] = {
    {"0000000000000000000000000000000000000000000000000000000000000001", "Satoshi Nakamoto",
     "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8",
     "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"},
    {"0000000000000000000000000000000000000000000000000000000000000001",
     "All those moments will be lost in time, like tears in rain. Time to die...",
     "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b",
     "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21"},
    {"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140", "Satoshi Nakamoto",
     "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0",
     "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5"},
    {"f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181", "Alan Turing",
     "7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c",
     "58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea"},
    {"e91671c46231f833a6406ccbea0e3e392c76c167bac1cb013f6f1013980455c2",
     "There is a computer disease that anybody who works with computers knows about. It's a very serious "
     "disease "
     "and it interferes completely with the work. The trouble with computers is that you 'play' with them!",
     "b552edd27580141f3b2a5463048cb7cd3e047b97c9f98076c32dbdf85a68718b",
     "279fa72dd19bfae05577e06c7c0c1900c371fcd5893f7e1d56a37d30174671f6"},
};

static void test_sign_rfc6979_vectors(void **state) {
  (void)state;
  uint8_t half[32];
  scalar(half_n, half);
  for (size_t i = 0; i < sizeof rfc6979 / sizeof rfc6979[0]; i++) {
    uint8_t priv[32], hash[32], sig[64], pub[65], rec[65];
    int recid = -1;
    scalar(rfc6979[i].priv, priv);
    assert_int_equal(cf_sha256(rfc6979[i].msg, strlen(rfc6979[i].msg), hash), 0);
    assert_int_equal(cf_ec_sign(priv, hash, sig, &recid), 0);
    assert_hex(sig, 32, rfc6979[i].r);
    assert_hex(sig + 32, 32, rfc6979[i].s);
    /* low S: s <= n/2 (big-endian compare) */
    assert_true(memcmp(sig + 32, half, 32) <= 0);
    assert_true(recid >= 0 && recid <= 3);
    assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
    assert_true(cf_ec_verify(pub, 65, hash, sig));
    assert_int_equal(cf_ec_recover(hash, sig, recid, rec), 0);
    assert_memory_equal(rec, pub, 65);
  }
}

/* The first vector's high-S twin (n - s, also published) is valid ECDSA: verify accepts it,
 * while the signer only ever emits the low form. */
static void test_verify_accepts_high_s_twin(void **state) {
  (void)state;
  uint8_t priv[32], pub[65], hash[32], sig[64];
  scalar_small(1, priv);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_int_equal(cf_sha256("Satoshi Nakamoto", 16, hash), 0);
  unhex("934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
        "dbbd3162d46e9f9bef7feb87c16dc13b4f6568a87f4e83f728e2443ba586675c",
        sig, sizeof sig);
  assert_true(cf_ec_verify(pub, 65, hash, sig));
}

static void test_verify_rejects_wrong_inputs(void **state) {
  (void)state;
  uint8_t priv[32], pub[65], pub33[33], other[32], other_pub[65], hash[32], sig[64], bad[64];
  assert_int_equal(cf_ec_keygen(priv, pub), 0);
  assert_int_equal(cf_ec_keygen(other, other_pub), 0);
  assert_int_equal(cf_sha256("message", 7, hash), 0);
  assert_int_equal(cf_ec_sign(priv, hash, sig, NULL), 0);
  assert_true(cf_ec_verify(pub, 65, hash, sig));
  assert_int_equal(cf_ec_pub_normalize(pub, 65, NULL, pub33), 0);
  assert_true(cf_ec_verify(pub33, 33, hash, sig));
  assert_false(cf_ec_verify(other_pub, 65, hash, sig));
  hash[0] ^= 1;
  assert_false(cf_ec_verify(pub, 65, hash, sig));
  hash[0] ^= 1;
  memcpy(bad, sig, 64);
  bad[10] ^= 0x40;
  assert_false(cf_ec_verify(pub, 65, hash, bad));
  memcpy(bad, sig, 64);
  memset(bad, 0xFF, 32); /* r >= n */
  assert_false(cf_ec_verify(pub, 65, hash, bad));
  assert_false(cf_ec_verify(pub, 64, hash, sig));
  /* Signing needs a valid key. */
  uint8_t zero[32] = {0};
  assert_int_equal(cf_ec_sign(zero, hash, sig, NULL), -1);
}

/* DER of the first vector as published ("expected_der" in bitcoin test suites). */
static void test_der_round_trip(void **state) {
  (void)state;
  static const char *const der_hex =
      "3045022100934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
      "02202442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5";
  uint8_t sig[64], der[80], back[64];
  unhex("934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
        "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
        sig, sizeof sig);
  size_t n = cf_ec_sig_to_der(sig, der, sizeof der);
  assert_int_equal(n, 71);
  assert_hex(der, n, der_hex);
  assert_int_equal(cf_ec_sig_from_der(der, n, back), 0);
  assert_memory_equal(back, sig, 64);
  assert_int_equal(cf_ec_sig_to_der(sig, der, 70), 0); /* no room */

  /* Small r and s get short integers; round trip still exact. */
  uint8_t small[64] = {0};
  small[31] = 0x01;
  small[63] = 0x7F;
  n = cf_ec_sig_to_der(small, der, sizeof der);
  assert_hex(der, n, "300602010102017F");
  assert_int_equal(cf_ec_sig_from_der(der, n, back), 0);
  assert_memory_equal(back, small, 64);
}

static void test_der_rejects_malformed(void **state) {
  (void)state;
  uint8_t der[80], sig[64], zero_r[64];
  size_t n = unhex("3045022100934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
                   "02202442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
                   der, sizeof der);
  assert_int_equal(cf_ec_sig_from_der(der, n - 1, sig), -1); /* truncated */
  der[n] = 0x00;
  assert_int_equal(cf_ec_sig_from_der(der, n + 1, sig), -1); /* trailing byte */
  der[0] = 0x31;
  assert_int_equal(cf_ec_sig_from_der(der, n, sig), -1); /* not a SEQUENCE */
  assert_int_equal(cf_ec_sig_from_der(der, 0, sig), -1);
  /* r = n is out of range. */
  n = unhex("3026022100FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141020101", der,
            sizeof der);
  assert_int_equal(cf_ec_sig_from_der(der, n, sig), -1);
  /* r = 0 is no signature either way. */
  memset(zero_r, 0, sizeof zero_r);
  zero_r[63] = 1;
  assert_int_equal(cf_ec_sig_to_der(zero_r, der, sizeof der), 0);
  n = unhex("3006020100020101", der, sizeof der);
  assert_int_equal(cf_ec_sig_from_der(der, n, sig), -1);
}

static void test_recover_rejects_bad_recid(void **state) {
  (void)state;
  uint8_t priv[32], pub[65], hash[32], sig[64], rec[65];
  int recid;
  assert_int_equal(cf_ec_keygen(priv, pub), 0);
  assert_int_equal(cf_sha256("abc", 3, hash), 0);
  assert_int_equal(cf_ec_sign(priv, hash, sig, &recid), 0);
  assert_int_equal(cf_ec_recover(hash, sig, 4, rec), -1);
  assert_int_equal(cf_ec_recover(hash, sig, -1, rec), -1);
  /* The wrong parity recovers some other key, or none. */
  if (cf_ec_recover(hash, sig, recid ^ 1, rec) == 0) assert_memory_not_equal(rec, pub, 65);
}

/* BIP32 test vector 1: m -> m/0' (hardened, private only) and m/0' -> m/0'/1 (normal, so the
 * same tweak works on the public key). */
static void test_tweak_add_bip32(void **state) {
  (void)state;
  uint8_t priv[32], chain[32], data[37], i64[64], pub[65], pub33[33];
  scalar("e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35", priv);
  scalar("873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508", chain);
  data[0] = 0x00;
  memcpy(data + 1, priv, 32);
  memcpy(data + 33, "\x80\x00\x00\x00", 4);
  assert_int_equal(cf_hmac_sha512(chain, 32, data, 37, i64), 0);
  assert_int_equal(cf_ec_priv_tweak_add(priv, i64), 0);
  assert_hex(priv, 32, "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea");
  memcpy(chain, i64 + 32, 32);
  assert_hex(chain, 32, "47fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad16282c7ae6236141");

  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_int_equal(cf_ec_pub_normalize(pub, 65, NULL, pub33), 0);
  assert_hex(pub33, 33, "035a784662a4a20a65bf6aab9ae98a6c068a81c52e4b032c0fb5400c706cfccc56");
  memcpy(data, pub33, 33);
  memcpy(data + 33, "\x00\x00\x00\x01", 4);
  assert_int_equal(cf_hmac_sha512(chain, 32, data, 37, i64), 0);
  assert_int_equal(cf_ec_priv_tweak_add(priv, i64), 0);
  assert_hex(priv, 32, "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368");
  assert_int_equal(cf_ec_pub_tweak_add(pub, i64), 0);
  assert_int_equal(cf_ec_pub_normalize(pub, 65, NULL, pub33), 0);
  assert_hex(pub33, 33, "03501e454bf00751f24b1b489aa925215d66af2234e3891c3b21a52bedb3cd711c");
}

/* Failed tweaks leave the key untouched. */
static void test_tweak_add_failures_keep_key(void **state) {
  (void)state;
  uint8_t priv[32], saved[32], tweak[32], pub[65], saved_pub[65];
  scalar_small(5, priv);
  memcpy(saved, priv, 32);
  scalar("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", tweak); /* tweak = n */
  assert_int_equal(cf_ec_priv_tweak_add(priv, tweak), -1);
  assert_memory_equal(priv, saved, 32);
  scalar("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD036413C", tweak); /* n - 5 */
  assert_int_equal(cf_ec_priv_tweak_add(priv, tweak), -1);
  assert_memory_equal(priv, saved, 32);

  /* pub: 5G + (n-5)G is the point at infinity. */
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  memcpy(saved_pub, pub, 65);
  assert_int_equal(cf_ec_pub_tweak_add(pub, tweak), -1);
  assert_memory_equal(pub, saved_pub, 65);
  pub[0] = 0x02;
  assert_int_equal(cf_ec_pub_tweak_add(pub, tweak), -1);

  /* A zero tweak is valid and changes nothing. */
  memset(tweak, 0, 32);
  assert_int_equal(cf_ec_priv_tweak_add(priv, tweak), 0);
  assert_memory_equal(priv, saved, 32);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pub_from_priv_known_points),
      cmocka_unit_test(test_priv_validity),
      cmocka_unit_test(test_keygen),
      cmocka_unit_test(test_pub_normalize),
      cmocka_unit_test(test_ecdh_x),
      cmocka_unit_test(test_sign_rfc6979_vectors),
      cmocka_unit_test(test_verify_accepts_high_s_twin),
      cmocka_unit_test(test_verify_rejects_wrong_inputs),
      cmocka_unit_test(test_der_round_trip),
      cmocka_unit_test(test_der_rejects_malformed),
      cmocka_unit_test(test_recover_rejects_bad_recid),
      cmocka_unit_test(test_tweak_add_bip32),
      cmocka_unit_test(test_tweak_add_failures_keep_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
