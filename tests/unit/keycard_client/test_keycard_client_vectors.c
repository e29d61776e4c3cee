/* Keycard client constructions against fixed vectors.
 *
 * Secure-channel, one-shot and pairing vectors were computed independently of this C code by
 * make_vectors.py in this folder (pyca/cryptography for ECDH and AES, hashlib for SHA/PBKDF2),
 * following the public applet's SecureChannel.java. BIP39 vectors are the published ones (the
 * Trezor reference vectors, passphrase "TREZOR") and the applet's own JUnit test (18-word mnemonic,
 * empty passphrase, master public key 04cc620f...). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard_client.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  long n = cf_hex_decode(hex, out, cap);
  assert_true(n >= 0);
  return (size_t)n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex) {
  uint8_t want[512];
  size_t n = unhex(want_hex, want, sizeof want);
  assert_int_equal(len, n);
  assert_memory_equal(got, want, n);
}

#define HOST_PUB                                                                                             \
  "044F355BDCB7CC0AF728EF3CCEB9615D90684BB5B2CA5F859AB0F0B704075871AA385B6B1B8EAD809CA67454D9683FCF2BA03456" \
  "D6FE2C"                                                                                                   \
  "4ABE2B07F0FBDBB2F1C1"
#define CARD_PUB                                                                                             \
  "04466D7FCAE563E5CB09A0D1870BB580344804617879A14949CF22285F1BAE3F276728176C3C6431F8EEDA4538DC37C865E2784F" \
  "3A9E77"                                                                                                   \
  "D044F33E407797E1278A"
#define ECDH_X "77E0510D5042E2F5E9E59C977B81EEED590CF7D20C1C51DA451A8EAA9FDC45FF"

/* host private key 11..11, card private key 22..22 (secp256k1) */
static void fill(uint8_t *buf, size_t len, uint8_t first) {
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(first + i);
}

static void open_vector_session(keycard_client_sc *sc) {
  uint8_t host_priv[32], card_pub[65], secret[32], pairing_key[32], card_resp[48];
  memset(host_priv, 0x11, sizeof host_priv);
  unhex(CARD_PUB, card_pub, sizeof card_pub);
  assert_int_equal(cf_ec_ecdh_x(host_priv, card_pub, 65, secret), 0);
  assert_hex(secret, 32, ECDH_X);
  fill(pairing_key, 32, 0x40);
  fill(card_resp, 32, 0x60);      /* salt */
  fill(card_resp + 32, 16, 0x80); /* IV */
  memset(sc, 0, sizeof *sc);
  assert_int_equal(keycard_client_sc_derive(sc, secret, pairing_key, card_resp, sizeof card_resp), 0);
}

static void keycard_client_sc_session_keys(void **state) {
  (void)state;
  keycard_client_sc sc;
  open_vector_session(&sc);
  assert_true(sc.open);
  assert_hex(sc.enc_key, 32, "98D9E54DFE8C072F5B1EEAE34D57AB27A300827E722E6881A84B51D584BA4626");
  assert_hex(sc.mac_key, 32, "80912B9E38A7D2506616603D0D916E79F9B0B8AFA0A30254615E61CC7237530A");
  assert_hex(sc.iv, 16, "808182838485868788898A8B8C8D8E8F");
  uint8_t short_resp[47] = {0};
  assert_int_equal(keycard_client_sc_derive(&sc, short_resp, short_resp, short_resp, sizeof short_resp),
                   KEYCARD_CLIENT_EPROTO);
}

#define CMD_DATA "FDAF53F066C3B6A18926B1FFC26EAFFA46125CAB9BF7AB0361939BDCAF032B78"
#define RESP_DATA "6825C07F0D24E42AEC908925E3EA95D019BE8973EFE9DA792944BCDFCBE694C5"
#define CMD2_DATA "B303971BA7B711FA04B7A7F3F069DEFE58313772276F218D37BF3C9064C7A4B7"

static void keycard_client_sc_wrap_unwrap_chain(void **state) {
  (void)state;
  keycard_client_sc sc;
  open_vector_session(&sc);
  uint8_t out[256], plain[256], resp[64];
  size_t n = 0, plen = 0;
  uint16_t sw = 0;
  assert_int_equal(
      keycard_client_sc_wrap(&sc, 0x80, 0x20, 0x00, 0x00, (const uint8_t *)"123456", 6, out, sizeof out, &n),
      0);
  assert_hex(out, n, CMD_DATA);
  assert_memory_equal(sc.iv, out, 16); /* the command MAC is the next IV */

  size_t rn = unhex(RESP_DATA, resp, sizeof resp);
  assert_int_equal(keycard_client_sc_unwrap(&sc, resp, rn, plain, sizeof plain, &plen, &sw), 0);
  assert_int_equal(sw, 0x9000);
  assert_int_equal(plen, 3);
  assert_memory_equal(plain, "\x01\x02\x03", 3);
  assert_memory_equal(sc.iv, resp, 16);

  assert_int_equal(keycard_client_sc_wrap(&sc, 0x80, 0xF2, 0x00, 0x00, NULL, 0, out, sizeof out, &n), 0);
  assert_hex(out, n, CMD2_DATA);
}

static void keycard_client_sc_unwrap_rejects_tampering(void **state) {
  (void)state;
  uint8_t out[256], plain[256], resp[64], good[64];
  size_t n = 0, plen = 0, rn = unhex(RESP_DATA, good, sizeof good);
  uint16_t sw = 0;
  for (size_t flip = 0; flip < rn; flip++) {
    keycard_client_sc sc;
    open_vector_session(&sc);
    assert_int_equal(
        keycard_client_sc_wrap(&sc, 0x80, 0x20, 0, 0, (const uint8_t *)"123456", 6, out, sizeof out, &n), 0);
    memcpy(resp, good, rn);
    resp[flip] ^= 0x01; /* any changed bit, in the MAC or the ciphertext */
    assert_int_equal(keycard_client_sc_unwrap(&sc, resp, rn, plain, sizeof plain, &plen, &sw),
                     KEYCARD_CLIENT_EVERIFY);
    assert_false(sc.open);
    /* a closed channel wraps nothing */
    assert_int_equal(keycard_client_sc_wrap(&sc, 0x80, 0xF2, 0, 0, NULL, 0, out, sizeof out, &n),
                     KEYCARD_CLIENT_ESTATE);
  }
  /* Lengths that cannot be a secure answer: empty, MAC only, not whole blocks. */
  const size_t bad_len[] = {0, 1, 16, 31, 33, 47};
  for (size_t i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++) {
    keycard_client_sc sc;
    open_vector_session(&sc);
    assert_int_equal(keycard_client_sc_unwrap(&sc, good, bad_len[i], plain, sizeof plain, &plen, &sw),
                     KEYCARD_CLIENT_EPROTO);
  }
}

static void keycard_client_sc_wrap_limits(void **state) {
  (void)state;
  keycard_client_sc sc;
  open_vector_session(&sc);
  uint8_t big[KEYCARD_CLIENT_MAX_PLAIN + 1] = {0}, out[256];
  size_t n = 0;
  assert_int_equal(keycard_client_sc_wrap(&sc, 0x80, 0xE2, 0, 0, big, sizeof big, out, sizeof out, &n),
                   KEYCARD_CLIENT_EARG);
  /* 223 bytes pad to 224: with the MAC that is 240 bytes, the largest short APDU data the card takes */
  assert_int_equal(
      keycard_client_sc_wrap(&sc, 0x80, 0xE2, 0, 0, big, KEYCARD_CLIENT_MAX_PLAIN, out, sizeof out, &n), 0);
  assert_int_equal(n, 240);
  assert_int_equal(keycard_client_sc_wrap(&sc, 0x80, 0xE2, 0, 0, big, 10, out, 20, &n), KEYCARD_CLIENT_EARG);
}

#define INIT_DATA                                                                                            \
  "41" HOST_PUB                                                                                              \
  "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF0CC23EE3BD93405B916924C5EEE99DE710968DECFA716E615921D3944C0AD56981B4"     \
  "2EC08D33C7F6F068E7DBF63349E3A3FB2F36BE9214981BA688EB99DB0BCF"

static void keycard_client_one_shot_init_vector(void **state) {
  (void)state;
  uint8_t host_priv[32], host_pub[65], card_pub[65], iv[16], plain[50], out[256];
  size_t n = 0;
  memset(host_priv, 0x11, 32);
  assert_int_equal(cf_ec_pub_from_priv(host_priv, host_pub), 0);
  assert_hex(host_pub, 65, HOST_PUB);
  unhex(CARD_PUB, card_pub, sizeof card_pub);
  fill(iv, 16, 0xA0);
  memcpy(plain, "123456123456789012", 18);
  fill(plain + 18, 32, 0x00);
  assert_int_equal(keycard_client_one_shot_encrypt(card_pub, host_priv, host_pub, iv, plain, sizeof plain,
                                                   out, sizeof out, &n),
                   0);
  assert_hex(out, n, INIT_DATA);
  /* a random IV gives another ciphertext of the same shape */
  uint8_t out2[256];
  size_t n2 = 0;
  assert_int_equal(keycard_client_one_shot_encrypt(card_pub, host_priv, host_pub, NULL, plain, sizeof plain,
                                                   out2, sizeof out2, &n2),
                   0);
  assert_int_equal(n2, n);
  assert_memory_equal(out2, out, 66);
  assert_memory_not_equal(out2 + 66, out + 66, n - 66);
}

static void keycard_client_pairing_password_vector(void **state) {
  (void)state;
  uint8_t secret[32];
  assert_int_equal(keycard_client_pairing_secret("KeycardDefaultPairing", secret), 0);
  assert_hex(secret, 32, "675DEABB0D7C724B4A36CAAD0E280826159E89886F7082535D431E924848BCF1");
  assert_int_equal(keycard_client_pairing_secret("", secret), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_pairing_secret(NULL, secret), KEYCARD_CLIENT_EARG);
}

static void keycard_client_pairing_password_nfkd(void **state) {
  (void)state;
  uint8_t composed[32], decomposed[32];
  /* "Ä" as one code point (C3 84) and as A + combining diaeresis (41 CC 88): the same after NFKD */
  int rc1 = keycard_client_pairing_secret("p\xC3\x84ss", composed);
  int rc2 = keycard_client_pairing_secret("pA\xCC\x88ss", decomposed);
#ifdef CF_HAVE_ICU
  assert_int_equal(rc1, 0);
  assert_int_equal(rc2, 0);
  assert_memory_equal(composed, decomposed, 32);
  assert_int_equal(keycard_client_pairing_secret("bad \xFF utf8", composed), KEYCARD_CLIENT_EARG);
#else
  assert_int_equal(rc1, KEYCARD_CLIENT_EARG);
  assert_int_equal(rc2, KEYCARD_CLIENT_EARG);
#endif
}

static void keycard_client_bip39_published_vectors(void **state) {
  (void)state;
  uint8_t seed[64];
  assert_int_equal(
      keycard_client_mnemonic_to_seed("abandon abandon abandon abandon abandon abandon abandon abandon "
                                      "abandon abandon abandon about",
                                      "TREZOR", seed),
      0);
  assert_hex(seed, 64,
             "C55257C360C07C72029AEBC1B53C05ED0362ADA38EAD3E3E9EFA3708E53495531F09A6987599D18264C1E1C92F2CF14"
             "1630C7A3C"
             "4AB7C81B2F001698E7463B04");
  assert_int_equal(
      keycard_client_mnemonic_to_seed(
          "legal winner thank year wave sausage worth useful legal winner thank yellow", "TREZOR", seed),
      0);
  assert_hex(seed, 64,
             "2E8905819B8723FE2C1D161860E5EE1830318DBF49A83BD451CFB8440C28BD6FA457FE1296106559A3C80937A1C1069"
             "BE3A3A5BD"
             "381EE6260E8D9739FCE1F607");
  /* extra white space does not change the sentence */
  uint8_t again[64];
  assert_int_equal(
      keycard_client_mnemonic_to_seed("  legal winner\tthank year wave sausage worth useful legal\n"
                                      "winner   thank yellow ",
                                      "TREZOR", again),
      0);
  assert_memory_equal(again, seed, 64);
  assert_int_equal(keycard_client_mnemonic_to_seed("   ", "", seed), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_mnemonic_to_seed(NULL, "", seed), KEYCARD_CLIENT_EARG);
}

#define APPLET_MNEMONIC                                                                                      \
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful "     \
  "legal will"
#define APPLET_MASTER_PUB                                                                                    \
  "04cc620f846055ed43995391ca5e490c52251ea40453f64a0515bef84c24a653a7c4e02b9de56f66d9ee58dc6b591b534f5a20c0" \
  "550b2c"                                                                                                   \
  "33a086b90b866cf70799"

/* The applet's JUnit mnemonic test: its seed, through BIP32's master derivation, gives the public
 * key the test expects from the card. */
static void keycard_client_bip39_applet_vector(void **state) {
  (void)state;
  uint8_t seed[64], i64[64], pub[65];
  assert_int_equal(keycard_client_mnemonic_to_seed(APPLET_MNEMONIC, NULL, seed), 0);
  assert_hex(seed, 64,
             "B059400CE0F55498A5527667E77048BB482FF6DAA16C37B4B9E8AF70C85B3F4DF588004F19812A1A027C9A51E5E9425"
             "9A560268E"
             "91CD10E206451A129826E740");
  assert_int_equal(cf_hmac_sha512("Bitcoin seed", 12, seed, 64, i64), 0);
  assert_int_equal(cf_ec_pub_from_priv(i64, pub), 0);
  assert_hex(pub, 65, APPLET_MASTER_PUB);
}

static void keycard_client_digits(void **state) {
  (void)state;
  assert_true(keycard_client_digits_ok("123456", 6));
  assert_false(keycard_client_digits_ok("12345", 6));
  assert_false(keycard_client_digits_ok("1234567", 6));
  assert_false(keycard_client_digits_ok("12345a", 6));
  assert_false(keycard_client_digits_ok(NULL, 6));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_client_sc_session_keys),
      cmocka_unit_test(keycard_client_sc_wrap_unwrap_chain),
      cmocka_unit_test(keycard_client_sc_unwrap_rejects_tampering),
      cmocka_unit_test(keycard_client_sc_wrap_limits),
      cmocka_unit_test(keycard_client_one_shot_init_vector),
      cmocka_unit_test(keycard_client_pairing_password_vector),
      cmocka_unit_test(keycard_client_pairing_password_nfkd),
      cmocka_unit_test(keycard_client_bip39_published_vectors),
      cmocka_unit_test(keycard_client_bip39_applet_vector),
      cmocka_unit_test(keycard_client_digits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
