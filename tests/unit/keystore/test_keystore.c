/* The PKCS#11 key store against a real SoftHSM2 token in a temporary state directory: token
 * creation, import / generate / list / delete, check values, the token refusing to give key values
 * out, and every operation's result equal to OpenSSL's with the same key (crypto/). Exits 77
 * (skipped) only when SoftHSM2 is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keystore.h"
#include "keystore_internal.h"
#include "token_fixture.h"

static char state_dir[] = "/tmp/cf-keystore-XXXXXX";
static cf_keystore *ks;

static const uint8_t gp_default[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                       0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const uint8_t aes_key[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                                    0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};

/* call must return 0; its err is printed when it does not */
#define OK(call)                                                                                             \
  do {                                                                                                       \
    err[0] = 0;                                                                                              \
    int rc_ = (call);                                                                                        \
    if (rc_ != 0) fprintf(stderr, "%s: %s\n", #call, err);                                                   \
    assert_int_equal(rc_, 0);                                                                                \
  } while (0)

static cf_ks_config config(void) {
  cf_ks_config c = {.state_dir = state_dir};
  return c;
}

static int open_token(void **state) {
  (void)state;
  char err[512];
  cf_ks_config c = config();
  int rc = cf_ks_open(&c, &ks, err, sizeof err);
  if (rc != 0) fprintf(stderr, "open: %s\n", err);
  return rc;
}

static int close_token(void **state) {
  (void)state;
  cf_ks_close(ks);
  ks = NULL;
  return 0;
}

static void import(const char *label, cf_ks_type type, const uint8_t *v, size_t len, bool exportable,
                   cf_ks_key *k) {
  char err[512] = "";
  int rc = cf_ks_import(ks, label, type, v, len, exportable, k, err, sizeof err);
  if (rc != 0) fprintf(stderr, "import %s: %s\n", label, err);
  assert_int_equal(rc, 0);
}

static void test_token_files_private(void **state) {
  (void)state;
  char path[1200];
  struct stat st;
  snprintf(path, sizeof path, "%s/pkcs11/tokens", state_dir);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  snprintf(path, sizeof path, "%s/pkcs11/softhsm2.conf", state_dir);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 077, 0);
}

static void test_import_kcv_not_extractable(void **state) {
  (void)state;
  cf_ks_key k;
  import("gp-enc", CF_KS_DES2, gp_default, 16, false, &k);
  uint8_t zero[8] = {0}, expect[8];
  assert_int_equal(cf_des3_ecb_encrypt(gp_default, 16, zero, expect, 8), 0);
  assert_memory_equal(k.kcv, expect, 3);
  assert_true(k.sensitive);
  assert_false(k.extractable);
  assert_int_equal(k.len, 16);
  assert_true(k.kl != 0);
  /* the token refuses the value: of the key and of its KL half */
  uint8_t value[32];
  CK_ATTRIBUTE a = {CKA_VALUE, value, sizeof value};
  assert_int_equal(ks->p11->C_GetAttributeValue(ks->session, k.obj, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
  a.ulValueLen = sizeof value;
  assert_int_equal(ks->p11->C_GetAttributeValue(ks->session, k.kl, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
  /* and will not wrap it out either */
  char err[512];
  assert_int_equal(cf_ks_export_value(ks, &k, value, sizeof value, err, sizeof err), -1);
  assert_non_null(strstr(err, "not exportable"));
}

static void test_same_label_refused(void **state) {
  (void)state;
  cf_ks_key k;
  char err[512];
  assert_int_equal(cf_ks_import(ks, "gp-enc", CF_KS_DES2, gp_default, 16, false, &k, err, sizeof err), -1);
  assert_non_null(strstr(err, "already"));
  assert_int_equal(cf_ks_import(ks, "bad label", CF_KS_DES2, gp_default, 16, false, &k, err, sizeof err), -1);
  assert_int_equal(cf_ks_import(ks, "x#kl", CF_KS_DES2, gp_default, 16, false, &k, err, sizeof err), -1);
  assert_int_equal(cf_ks_import(ks, "short", CF_KS_DES2, gp_default, 8, false, &k, err, sizeof err), -1);
  assert_int_equal(cf_ks_import(ks, "aes-odd", CF_KS_AES, aes_key, 15, false, &k, err, sizeof err), -1);
  assert_int_equal(cf_ks_find(ks, "short", &k, err, sizeof err), 0);
}

static void test_encrypt_and_mac_match_openssl(void **state) {
  (void)state;
  cf_ks_key k;
  char err[512];
  assert_int_equal(cf_ks_find(ks, "gp-enc", &k, err, sizeof err), 1);
  uint8_t data[37], iv[8] = {1, 2, 3, 4, 0, 0, 0, 0}, got[40], want[40];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7 + 3);
  OK(cf_ks_encrypt(ks, &k, NULL, data, 32, got, err, sizeof err));
  assert_int_equal(cf_des3_ecb_encrypt(gp_default, 16, data, want, 32), 0);
  assert_memory_equal(got, want, 32);
  OK(cf_ks_encrypt(ks, &k, iv, data, 32, got, err, sizeof err));
  assert_int_equal(cf_des3_cbc_encrypt(gp_default, 16, iv, data, want, 32), 0);
  assert_memory_equal(got, want, 32);
  assert_int_equal(cf_ks_encrypt(ks, &k, NULL, data, 7, got, err, sizeof err), -1);
  /* the retail MAC, for lengths of one, two and several blocks, with and without an IV */
  size_t lens[] = {0, 5, 8, 15, 16, 37};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    OK(cf_ks_mac_retail(ks, &k, iv, data, lens[i], got, err, sizeof err));
    assert_int_equal(cf_mac_alg3(gp_default, iv, data, lens[i], want), 0);
    assert_memory_equal(got, want, 8);
    OK(cf_ks_mac_retail(ks, &k, NULL, data, lens[i], got, err, sizeof err));
    assert_int_equal(cf_mac_alg3(gp_default, NULL, data, lens[i], want), 0);
    assert_memory_equal(got, want, 8);
  }
}

static void test_aes_cmac_and_derive(void **state) {
  (void)state;
  cf_ks_key k, d;
  char err[512];
  import("gp-aes", CF_KS_AES, aes_key, 16, false, &k);
  uint8_t ones[16], kcv[16];
  memset(ones, 1, sizeof ones);
  assert_int_equal(cf_aes_ecb_encrypt(aes_key, 16, ones, kcv, 16), 0);
  assert_memory_equal(k.kcv, kcv, 3);
  uint8_t data[29], got[16], want[16];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(0x30 + i);
  OK(cf_ks_cmac_aes(ks, &k, data, sizeof data, got, err, sizeof err));
  assert_int_equal(cf_aes_cmac(aes_key, 16, data, sizeof data, want), 0);
  assert_memory_equal(got, want, 16);
  /* an AES key derived in the token (a session object): its value is AES-ECB(data) */
  OK(cf_ks_derive_ecb(ks, &k, data, 16, CF_KS_AES, NULL, &d, err, sizeof err));
  uint8_t child[16], block[16];
  assert_int_equal(cf_aes_ecb_encrypt(aes_key, 16, data, child, 16), 0);
  OK(cf_ks_encrypt(ks, &d, NULL, ones, 16, got, err, sizeof err));
  assert_int_equal(cf_aes_ecb_encrypt(child, 16, ones, block, 16), 0);
  assert_memory_equal(got, block, 16);
  cf_ks_destroy(ks, &d);
}

static void test_des2_diversification(void **state) {
  (void)state;
  /* PBOC one-level diversification, F || ~F under K: the pyemv vector of the China Mobile profile */
  static const uint8_t mk[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
  static const uint8_t f[8] = {0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x45};
  static const uint8_t child[16] = {0x67, 0xF8, 0x29, 0x23, 0x58, 0x08, 0x3F, 0x5E,
                                    0xA6, 0xAB, 0x7F, 0xDA, 0x58, 0xD4, 0x3A, 0x6B};
  cf_ks_key k, d;
  char err[512];
  import("div-master", CF_KS_DES2, mk, 16, false, &k);
  uint8_t data[16];
  memcpy(data, f, 8);
  for (int i = 0; i < 8; i++)
    data[8 + i] = (uint8_t)~f[i];
  OK(cf_ks_derive_ecb(ks, &k, data, 16, CF_KS_DES2, "div-child", &d, err, sizeof err));
  uint8_t zero[8] = {0}, kcv[8];
  assert_int_equal(cf_des3_ecb_encrypt(child, 16, zero, kcv, 8), 0);
  assert_memory_equal(d.kcv, kcv, 3);
  assert_false(d.extractable);
  /* its KL companion came along: the retail MAC works and equals OpenSSL's with the child key */
  uint8_t msg[20] = "twenty bytes of data", got[8], want[8];
  OK(cf_ks_mac_retail(ks, &d, NULL, msg, sizeof msg, got, err, sizeof err));
  assert_int_equal(cf_mac_alg3(child, NULL, msg, sizeof msg, want), 0);
  assert_memory_equal(got, want, 8);
  assert_int_equal(cf_ks_find(ks, "div-child", &d, err, sizeof err), 1);
  assert_true(d.kl != 0);
}

static void test_generate(void **state) {
  (void)state;
  cf_ks_key k, again;
  char err[512];
  const struct {
    const char *label;
    cf_ks_type type;
    size_t len;
  } gen[] = {{"gen-des2", CF_KS_DES2, 16}, {"gen-aes", CF_KS_AES, 32}, {"gen-des3", CF_KS_DES3, 24}};
  for (size_t i = 0; i < sizeof gen / sizeof gen[0]; i++) {
    int rc = cf_ks_generate(ks, gen[i].label, gen[i].type, gen[i].len, &k, err, sizeof err);
    if (rc != 0) fprintf(stderr, "generate %s: %s\n", gen[i].label, err);
    assert_int_equal(rc, 0);
    assert_int_equal(k.type, gen[i].type);
    assert_int_equal(k.len, gen[i].len);
    assert_true(k.sensitive);
    assert_false(k.extractable);
    uint8_t value[32];
    CK_ATTRIBUTE a = {CKA_VALUE, value, sizeof value};
    assert_int_equal(ks->p11->C_GetAttributeValue(ks->session, k.obj, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(cf_ks_find(ks, gen[i].label, &again, err, sizeof err), 1);
    assert_memory_equal(again.kcv, k.kcv, 3);
  }
  /* a generated two-key 3DES key has its KL half: made by the same in-token derivation whose
   * companion test_des2_diversification checks against OpenSSL */
  assert_int_equal(cf_ks_find(ks, "gen-des2", &k, err, sizeof err), 1);
  assert_true(k.kl != 0);
  uint8_t msg[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, mac[8];
  OK(cf_ks_mac_retail(ks, &k, NULL, msg, sizeof msg, mac, err, sizeof err));
  /* the label is taken now */
  assert_int_equal(cf_ks_generate(ks, "gen-aes", CF_KS_AES, 16, &k, err, sizeof err), -1);
}

static void test_export_exportable(void **state) {
  (void)state;
  cf_ks_key k;
  char err[512];
  import("cmcc-export", CF_KS_DES2, gp_default, 16, true, &k);
  assert_true(k.extractable);
  assert_true(k.sensitive);
  uint8_t value[32] = {0}, v2[32];
  CK_ATTRIBUTE a = {CKA_VALUE, v2, sizeof v2};
  assert_int_equal(ks->p11->C_GetAttributeValue(ks->session, k.obj, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
  OK(cf_ks_export_value(ks, &k, value, sizeof value, err, sizeof err));
  assert_memory_equal(value, gp_default, 16);
}

static void test_list_and_delete(void **state) {
  (void)state;
  static cf_ks_key keys[64];
  size_t n = 0;
  char err[512];
  assert_int_equal(cf_ks_list(ks, keys, 64, &n, err, sizeof err), 0);
  const char *want[] = {"gp-enc",   "gp-aes",  "div-master", "div-child",
                        "gen-des2", "gen-aes", "gen-des3",   "cmcc-export"};
  assert_int_equal(n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < n; i++)
    assert_null(strstr(keys[i].label, CF_KS_KL_SUFFIX));
  for (size_t w = 0; w < n; w++) {
    bool seen = false;
    for (size_t i = 0; i < n; i++)
      seen = seen || strcmp(keys[i].label, want[w]) == 0;
    assert_true(seen);
  }
  assert_int_equal(cf_ks_delete(ks, "gp-enc", err, sizeof err), 1);
  assert_int_equal(cf_ks_delete(ks, "gp-enc", err, sizeof err), 0);
  cf_ks_key k;
  assert_int_equal(cf_ks_find(ks, "gp-enc", &k, err, sizeof err), 0);
  /* the companion went with it */
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, "gp-enc#kl", 9}};
  CK_OBJECT_HANDLE h[2];
  CK_ULONG found = 9;
  assert_int_equal(ks->p11->C_FindObjectsInit(ks->session, t, 2), CKR_OK);
  assert_int_equal(ks->p11->C_FindObjects(ks->session, h, 2, &found), CKR_OK);
  ks->p11->C_FindObjectsFinal(ks->session);
  assert_int_equal(found, 0);
  assert_int_equal(cf_ks_list(ks, keys, 64, &n, err, sizeof err), 0);
  assert_int_equal(n, sizeof want / sizeof want[0] - 1);
}

static void test_wrong_pin_and_second_init(void **state) {
  (void)state;
  char err[512];
  cf_keystore *other = NULL;
  /* SoftHSM2 keeps one login per process: the fixture's session goes first */
  close_token(state);
  setenv(CF_KS_PIN_ENV, "9999", 1);
  cf_ks_config c = config();
  assert_int_equal(cf_ks_open(&c, &other, err, sizeof err), -3);
  assert_null(other);
  setenv(CF_KS_PIN_ENV, "1234", 1);
  assert_int_equal(cf_ks_init_token(&c, "5678", "1234", err, sizeof err), -1);
  assert_non_null(strstr(err, "exists already"));
  /* a state directory without a token: -2, the message says what to run */
  cf_ks_config none = {.state_dir = "/nonexistent-cf-state"};
  assert_int_equal(cf_ks_open(&none, &other, err, sizeof err), -2);
  assert_non_null(strstr(err, "hsm init"));
}

static void test_uri_parse(void **state) {
  (void)state;
  cf_ks_uri u;
  char err[512];
  OK(cf_ks_uri_parse("pkcs11:token=My%20Token;object=gp-enc;type=secret-key"
                     "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin",
                     &u, err, sizeof err));
  assert_string_equal(u.token, "My Token");
  assert_string_equal(u.object, "gp-enc");
  assert_string_equal(u.module, "/usr/lib/softhsm/libsofthsm2.so");
  assert_string_equal(u.pin_source, "file:/run/pin");
  assert_string_equal(u.pin_value, "");
  OK(cf_ks_uri_parse("pkcs11:", &u, err, sizeof err));
  assert_string_equal(u.token, "");
  const char *bad[] = {
      "token=x",          "pkcs11:tokn=x",          "pkcs11:token=%4",    "pkcs11:token=%zz",
      "pkcs11:token",     "pkcs11:token=a;token=b", "pkcs11:?pin-vale=1", "pkcs11:module-path=/x",
      "pkcs11:token=%00x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(cf_ks_uri_parse(bad[i], &u, err, sizeof err), -1);
}

/* A named module and token through a URI: the same token, its keys there. */
static void test_open_by_uri(void **state) {
  char err[512];
  close_token(state);
  const char *module = getenv(CF_KS_MODULE_ENV);
  char uri[1400];
  snprintf(uri, sizeof uri, "pkcs11:token=cardforge?module-path=%s",
           module ? module : "/usr/lib/softhsm/libsofthsm2.so");
  cf_ks_config c = {.uri = uri};
  OK(cf_ks_open(&c, &ks, err, sizeof err));
  cf_ks_key k;
  assert_int_equal(cf_ks_find(ks, "gp-aes", &k, err, sizeof err), 1);
  close_token(state);
  cf_ks_config wrong = {.uri = uri, .token = "no-such-token"};
  assert_int_equal(cf_ks_open(&wrong, &ks, err, sizeof err), -1);
  assert_non_null(strstr(err, "no-such-token"));
  ks = NULL;
  assert_int_equal(open_token(state), 0);
}

int main(void) {
  int made = token_fixture_make(state_dir, false, "5678", "1234");
  if (made != 0) return made;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token_files_private),
      cmocka_unit_test(test_import_kcv_not_extractable),
      cmocka_unit_test(test_same_label_refused),
      cmocka_unit_test(test_encrypt_and_mac_match_openssl),
      cmocka_unit_test(test_aes_cmac_and_derive),
      cmocka_unit_test(test_des2_diversification),
      cmocka_unit_test(test_generate),
      cmocka_unit_test(test_export_exportable),
      cmocka_unit_test(test_list_and_delete),
      cmocka_unit_test(test_uri_parse),
      cmocka_unit_test(test_open_by_uri),
      cmocka_unit_test(test_wrong_pin_and_second_init),
  };
  int failed = cmocka_run_group_tests(tests, open_token, close_token);
  token_fixture_remove(state_dir);
  return failed;
}
