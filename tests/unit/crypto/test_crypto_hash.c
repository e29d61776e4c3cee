/* SHA-2, HMAC, PBKDF2, AES-CMAC and the small helpers, against published vectors. */
#include "crypto_test_util.h"

#include <cardforge/crypto.h>

#include <sys/wait.h>
#include <unistd.h>

static const char msg_448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

/* FIPS 180-2 appendix B: "abc", the two-block message, and the empty message. */
static void test_sha256_fips180(void **state) {
  (void)state;
  uint8_t h[32];
  assert_int_equal(cf_sha256("abc", 3, h), 0);
  assert_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_int_equal(cf_sha256(msg_448, strlen(msg_448), h), 0);
  assert_hex(h, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  assert_int_equal(cf_sha256(NULL, 0, h), 0);
  assert_hex(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha512_fips180(void **state) {
  (void)state;
  uint8_t h[64];
  assert_int_equal(cf_sha512("abc", 3, h), 0);
  assert_hex(h, 64,
             "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  const char *m896 =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
      "mnopqrstnopqrstu";
  assert_int_equal(cf_sha512(m896, strlen(m896), h), 0);
  assert_hex(h, 64,
             "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
             "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

/* The vector forms hash the concatenation, whatever the split (including empty parts). */
static void test_sha_vectored(void **state) {
  (void)state;
  uint8_t h[64];
  cf_iov abc[] = {{"a", 1}, {NULL, 0}, {"bc", 2}};
  assert_int_equal(cf_sha256_v(abc, 3, h), 0);
  assert_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  cf_iov two[] = {{msg_448, 20}, {msg_448 + 20, strlen(msg_448) - 20}};
  assert_int_equal(cf_sha256_v(two, 2, h), 0);
  assert_hex(h, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  assert_int_equal(cf_sha512_v(abc, 3, h), 0);
  assert_hex(h, 64,
             "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

struct hmac_vector {
  const char *key_hex;
  const char *data;
  const char *sha256;
  const char *sha512;
};

/* RFC 4231 test cases 1, 2, 6 and 7 (short key, ASCII key, and keys longer than a block). */
static const char aa131[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const struct hmac_vector rfc4231[] = {
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
    {"4a656665", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    {aa131, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
     "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
    {aa131,
     "This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
     "be "
     "hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
     "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
     "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
};

static void test_hmac_rfc4231(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
    uint8_t key[160], mac[64];
    size_t klen = unhex(rfc4231[i].key_hex, key, sizeof key);
    const char *d = rfc4231[i].data;
    assert_int_equal(cf_hmac_sha256(key, klen, d, strlen(d), mac), 0);
    assert_hex(mac, 32, rfc4231[i].sha256);
    assert_int_equal(cf_hmac_sha512(key, klen, d, strlen(d), mac), 0);
    assert_hex(mac, 64, rfc4231[i].sha512);
  }
}

/* An empty key is a key of its own, not "the previous key": HMAC-SHA256("", "") is the
 * widely published b613679a... value even right after a keyed call. */
static void test_hmac_empty_key_after_keyed_call(void **state) {
  (void)state;
  uint8_t mac[32];
  assert_int_equal(cf_hmac_sha256("Jefe", 4, "x", 1, mac), 0);
  assert_int_equal(cf_hmac_sha256(NULL, 0, NULL, 0, mac), 0);
  assert_hex(mac, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

/* BIP32 test vector 1: master key = HMAC-SHA512("Bitcoin seed", seed) = k || chain code. */
static void test_hmac_sha512_bip32_master(void **state) {
  (void)state;
  uint8_t seed[16], i64[64];
  unhex("000102030405060708090a0b0c0d0e0f", seed, sizeof seed);
  assert_int_equal(cf_hmac_sha512("Bitcoin seed", 12, seed, sizeof seed, i64), 0);
  assert_hex(i64, 64,
             "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35"
             "873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508");
}

/* RFC 7914 section 11, the two PBKDF2-HMAC-SHA256 vectors. */
static void test_pbkdf2_sha256_rfc7914(void **state) {
  (void)state;
  uint8_t dk[64];
  assert_int_equal(cf_pbkdf2_sha256("passwd", 6, "salt", 4, 1, dk, 64), 0);
  assert_hex(dk, 64,
             "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
             "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  assert_int_equal(cf_pbkdf2_sha256("Password", 8, "NaCl", 4, 80000, dk, 64), 0);
  assert_hex(dk, 64,
             "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
             "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

/* BIP39 reference vectors (trezor/python-mnemonic vectors.json, passphrase "TREZOR"):
 * seed = PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" || passphrase, 2048, 64). */
static void test_pbkdf2_sha512_bip39(void **state) {
  (void)state;
  uint8_t seed[64];
  const char *m1 =
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
  assert_int_equal(cf_pbkdf2_sha512(m1, strlen(m1), "mnemonicTREZOR", 14, 2048, seed, 64), 0);
  assert_hex(seed, 64,
             "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e5349553"
             "1f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04");
  const char *m2 = "legal winner thank year wave sausage worth useful legal winner thank yellow";
  assert_int_equal(cf_pbkdf2_sha512(m2, strlen(m2), "mnemonicTREZOR", 14, 2048, seed, 64), 0);
  assert_hex(seed, 64,
             "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6f"
             "a457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607");
}

static void test_pbkdf2_rejects_bad_arguments(void **state) {
  (void)state;
  uint8_t dk[32];
  assert_int_equal(cf_pbkdf2_sha256("p", 1, "s", 1, 0, dk, sizeof dk), -1);
  assert_int_equal(cf_pbkdf2_sha512("p", 1, "s", 1, 1, dk, 0), -1);
  assert_int_equal(cf_pbkdf2_sha256(NULL, 5, "s", 1, 1, dk, sizeof dk), -1);
  assert_int_equal(cf_pbkdf2_sha256("p", 1, "s", 1, 1, NULL, sizeof dk), -1);
}

/* NIST SP 800-38B appendix D (= RFC 4493 for AES-128): every key size, messages of 0, 16, 40
 * and 64 bytes. */
static const char *const cmac_msg = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                                    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const struct {
  const char *key;
  const char *tags[4];
} cmac_vectors[] = {
    {"2b7e151628aed2a6abf7158809cf4f3c",
     {"bb1d6929e95937287fa37d129b756746", "070a16b46b4d4144f79bdd9dd04a287c",
      "dfa66747de9ae63030ca32611497c827", "51f0bebf7e3b9d92fc49741779363cfe"}},
    {"8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     {"d17ddf46adaacde531cac483de7a9367", "9e99a7bf31e710900662f65e617c5184",
      "8a1de5be2eb31aad089a82e6ee908b0e", "a1d5df0eed790f794d77589659f39a11"}},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     {"028962f61b7bf89efc6b551f4667d983", "28a7023f452e8f82bd4bf28d8c37c35c",
      "aaf3d8f1de5640c232f5b169b9c911e6", "e1992190549f6ed5696a2c056c315410"}},
};

static void test_aes_cmac_sp800_38b(void **state) {
  (void)state;
  static const size_t lens[4] = {0, 16, 40, 64};
  uint8_t msg[64], key[32], tag[16];
  unhex(cmac_msg, msg, sizeof msg);
  /* Key sizes interleaved on purpose: each size has its own cached context. */
  for (size_t l = 0; l < 4; l++) {
    for (size_t k = 0; k < 3; k++) {
      size_t klen = unhex(cmac_vectors[k].key, key, sizeof key);
      assert_int_equal(cf_aes_cmac(key, klen, msg, lens[l], tag), 0);
      assert_hex(tag, 16, cmac_vectors[k].tags[l]);
    }
  }
}

static void test_aes_cmac_rejects_bad_key_length(void **state) {
  (void)state;
  uint8_t key[33] = {0}, tag[16];
  assert_int_equal(cf_aes_cmac(key, 15, "x", 1, tag), -1);
  assert_int_equal(cf_aes_cmac(key, 33, "x", 1, tag), -1);
  assert_int_equal(cf_aes_cmac(NULL, 16, "x", 1, tag), -1);
}

static void test_rand_fills_and_varies(void **state) {
  (void)state;
  uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
  assert_int_equal(cf_rand(a, sizeof a), 0);
  assert_int_equal(cf_rand(b, sizeof b), 0);
  assert_memory_not_equal(a, zero, sizeof a);
  assert_memory_not_equal(a, b, sizeof a);
  assert_int_equal(cf_rand(NULL, 0), 0);
  assert_int_equal(cf_rand(NULL, 1), -1);
}

/* Small requests come from a per-thread pool: a long run of them, across several refills, never
 * hands out the same bytes twice (8-byte draws colliding by chance: ~2^-46 here). */
static void test_rand_small_draws_never_repeat(void **state) {
  (void)state;
  enum { DRAWS = 2000 };
  static uint64_t seen[DRAWS];
  for (size_t i = 0; i < DRAWS; i++) {
    uint8_t junk[7];
    assert_int_equal(cf_rand(&seen[i], sizeof seen[i]), 0);
    /* odd sizes in between move the pool's position off any alignment */
    assert_int_equal(cf_rand(junk, 1 + i % sizeof junk), 0);
    for (size_t j = 0; j < i; j++)
      assert_true(seen[j] != seen[i]);
  }
  /* the largest pooled request, the smallest direct one, and a mix */
  uint8_t a[64], b[65], c[64];
  assert_int_equal(cf_rand(a, sizeof a), 0);
  assert_int_equal(cf_rand(b, sizeof b), 0);
  assert_int_equal(cf_rand(c, sizeof c), 0);
  assert_memory_not_equal(a, c, sizeof a);
  assert_memory_not_equal(a, b, sizeof a);
}

/* After fork() the child must not serve the bytes still waiting in its parent's pool: both draw
 * right after the fork and must get different values. */
static void test_rand_child_does_not_repeat_parent(void **state) {
  (void)state;
  uint8_t warm[4], mine[32], theirs[32];
  assert_int_equal(cf_rand(warm, sizeof warm), 0); /* the pool now holds unserved bytes */
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    uint8_t out[32];
    int ok = cf_rand(out, sizeof out) == 0 && write(fds[1], out, sizeof out) == (ssize_t)sizeof out;
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  assert_int_equal(cf_rand(mine, sizeof mine), 0);
  assert_int_equal(read(fds[0], theirs, sizeof theirs), (ssize_t)sizeof theirs);
  close(fds[0]);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_memory_not_equal(mine, theirs, sizeof mine);
}

static void test_ct_equal_and_wipe(void **state) {
  (void)state;
  uint8_t a[16], b[16];
  memset(a, 0x5a, sizeof a);
  memcpy(b, a, sizeof b);
  assert_true(cf_ct_equal(a, b, sizeof a));
  b[15] ^= 1;
  assert_false(cf_ct_equal(a, b, sizeof a));
  assert_true(cf_ct_equal(a, b, 15));
  b[0] ^= 0x80;
  assert_false(cf_ct_equal(a, b, sizeof a));
  assert_true(cf_ct_equal(a, b, 0));
  cf_wipe(a, sizeof a);
  for (size_t i = 0; i < sizeof a; i++)
    assert_int_equal(a[i], 0);
  cf_wipe(NULL, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_fips180),
      cmocka_unit_test(test_sha512_fips180),
      cmocka_unit_test(test_sha_vectored),
      cmocka_unit_test(test_hmac_rfc4231),
      cmocka_unit_test(test_hmac_empty_key_after_keyed_call),
      cmocka_unit_test(test_hmac_sha512_bip32_master),
      cmocka_unit_test(test_pbkdf2_sha256_rfc7914),
      cmocka_unit_test(test_pbkdf2_sha512_bip39),
      cmocka_unit_test(test_pbkdf2_rejects_bad_arguments),
      cmocka_unit_test(test_aes_cmac_sp800_38b),
      cmocka_unit_test(test_aes_cmac_rejects_bad_key_length),
      cmocka_unit_test(test_rand_fills_and_varies),
      cmocka_unit_test(test_rand_small_draws_never_repeat),
      cmocka_unit_test(test_rand_child_does_not_repeat_parent),
      cmocka_unit_test(test_ct_equal_and_wipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
