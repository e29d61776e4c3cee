/* Keycard pairing keys in a real SoftHSM2 token in a temporary state directory
 * (host/keycard/keycard_pairing_token.c, host/keystore/pkcs11_secret.c): the token's
 * SHA-512(before || key || after) equals OpenSSL's for the same bytes, the session keys derived
 * through the token equal the host derivation's, the key's value is refused (CKR_ATTRIBUTE_SENSITIVE)
 * and cannot be wrapped out or used as a cipher key, and the pairing file records the token label
 * without key bytes. Exits 77 (skipped) only when SoftHSM2 is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard_client.h"
#include "cardforge/keystore.h"
#include "keycard_pairing_token.h"
#include "keystore_internal.h"
#include "token_fixture.h"

static char state_dir[] = "/tmp/cf-kcp11-XXXXXX";
static cf_keystore *ks;

static const uint8_t uid[KEYCARD_CLIENT_UID_LEN] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                                    0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F};

static void fill(uint8_t *b, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)(seed + 7 * i);
}

static int open_token(void **state) {
  (void)state;
  char err[512];
  cf_ks_config c = {.state_dir = state_dir};
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

static cf_ks_handle import_key(const char *label, const uint8_t key[32], bool replace) {
  char err[512] = "";
  cf_ks_handle h = 0;
  int rc = cf_ks_secret_import(ks, label, key, 32, replace, &h, err, sizeof err);
  if (rc != 0) fprintf(stderr, "import %s: %s\n", label, err);
  assert_int_equal(rc, 0);
  assert_true(h != 0);
  return h;
}

static void test_label(void **state) {
  (void)state;
  char label[KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1];
  keycard_pairing_token_label(uid, 3, label);
  assert_string_equal(label, "keycard-pair/101112131415161718191A1B1C1D1E1F/3");
  assert_true(cf_ks_label_valid(label));
  keycard_pairing_token_label(uid, 254, label);
  assert_true(cf_ks_label_valid(label));
}

/* The value stays in the token: not readable, not wrappable, no cipher use. */
static void test_key_not_extractable(void **state) {
  (void)state;
  uint8_t key[32];
  fill(key, sizeof key, 0x41);
  cf_ks_handle h = import_key("keycard-pair/sensitive/0", key, false);
  uint8_t value[64];
  CK_ATTRIBUTE a = {CKA_VALUE, value, sizeof value};
  assert_int_equal(ks->p11->C_GetAttributeValue(ks->session, h, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
  CK_BBOOL sens = CK_FALSE, extr = CK_TRUE;
  CK_KEY_TYPE kt = 0;
  CK_ATTRIBUTE attrs[] = {{CKA_SENSITIVE, &sens, sizeof sens},
                          {CKA_EXTRACTABLE, &extr, sizeof extr},
                          {CKA_KEY_TYPE, &kt, sizeof kt}};
  assert_int_equal(ks->p11->C_GetAttributeValue(ks->session, h, attrs, 3), CKR_OK);
  assert_true(sens == CK_TRUE);
  assert_true(extr == CK_FALSE);
  assert_int_equal(kt, CKK_GENERIC_SECRET);
  /* wrapping it out under an AES key of ours is refused */
  char err[512];
  cf_ks_key wrapper;
  uint8_t aes[16];
  fill(aes, sizeof aes, 0x90);
  assert_int_equal(cf_ks_import(ks, "kcp11-wrapper", CF_KS_AES, aes, 16, false, &wrapper, err, sizeof err),
                   0);
  uint8_t wrapped[128];
  CK_ULONG wlen = sizeof wrapped;
  CK_MECHANISM wrap = {CKM_AES_KEY_WRAP, NULL, 0};
  CK_RV rv = ks->p11->C_WrapKey(ks->session, &wrap, wrapper.obj, h, wrapped, &wlen);
  assert_int_not_equal(rv, CKR_OK);
  /* and it is no cipher key */
  CK_MECHANISM ecb = {CKM_AES_ECB, NULL, 0};
  assert_int_not_equal(ks->p11->C_EncryptInit(ks->session, &ecb, h), CKR_OK);
  assert_int_equal(cf_ks_delete(ks, "kcp11-wrapper", err, sizeof err), 1);
  /* generic secrets are not among the cipher keys `hsm list` shows */
  cf_ks_key keys[64];
  size_t n = 0;
  assert_int_equal(cf_ks_list(ks, keys, 64, &n, err, sizeof err), 0);
  for (size_t i = 0; i < n; i++)
    assert_string_not_equal(keys[i].label, "keycard-pair/sensitive/0");
  assert_int_equal(cf_ks_secret_delete(ks, "keycard-pair/sensitive/0", err, sizeof err), 1);
}

/* SHA-512 inside the token, over the key by C_DigestKey, equals OpenSSL's over the same bytes. */
static void test_digest_matches_openssl(void **state) {
  (void)state;
  uint8_t key[32], before[32], after[32], want[64], got[64];
  char err[512];
  for (uint8_t round = 0; round < 4; round++) {
    fill(key, sizeof key, (uint8_t)(0x11 * round + 1));
    fill(before, sizeof before, (uint8_t)(0x30 + round));
    fill(after, sizeof after, (uint8_t)(0xC0 - round));
    cf_ks_handle h = import_key("keycard-pair/digest/1", key, round > 0);
    cf_iov parts[3] = {{before, 32}, {key, 32}, {after, 32}};
    assert_int_equal(cf_sha512_v(parts, 3, want), 0);
    err[0] = 0;
    int rc = cf_ks_sha512_with_secret(ks, h, before, 32, after, 32, got, err, sizeof err);
    if (rc != 0) fprintf(stderr, "digest: %s\n", err);
    assert_int_equal(rc, 0);
    assert_memory_equal(got, want, 64);
  }
  /* the key alone, no data around it */
  cf_ks_handle h;
  assert_int_equal(cf_ks_secret_find(ks, "keycard-pair/digest/1", &h, err, sizeof err), 1);
  assert_int_equal(cf_sha512(key, 32, want), 0);
  assert_int_equal(cf_ks_sha512_with_secret(ks, h, NULL, 0, NULL, 0, got, err, sizeof err), 0);
  assert_memory_equal(got, want, 64);
  /* a handle that is no key: an error, out wiped */
  memset(got, 0xAA, sizeof got);
  assert_int_equal(cf_ks_sha512_with_secret(ks, 0, before, 32, after, 32, got, err, sizeof err), -1);
  assert_non_null(strstr(err, "C_DigestKey"));
  uint8_t zero[64] = {0};
  assert_memory_equal(got, zero, 64);
  assert_int_equal(cf_ks_secret_delete(ks, "keycard-pair/digest/1", err, sizeof err), 1);
  assert_int_equal(cf_ks_secret_delete(ks, "keycard-pair/digest/1", err, sizeof err), 0);
}

/* The Keycard's session keys through the token's digest equal the host derivation's. */
static void test_session_keys_match_host(void **state) {
  (void)state;
  uint8_t key[32], secret[32], resp[48];
  fill(key, sizeof key, 0x5A);
  fill(secret, sizeof secret, 0x23);
  fill(resp, sizeof resp, 0x77);
  keycard_pairing_token_key tk = {.ks = ks, .obj = import_key("keycard-pair/session/2", key, false)};
  keycard_client_sc host, token;
  memset(&host, 0, sizeof host);
  memset(&token, 0, sizeof token);
  assert_int_equal(keycard_client_sc_derive(&host, secret, key, resp, sizeof resp), KEYCARD_CLIENT_OK);
  assert_int_equal(
      keycard_client_sc_derive_with(&token, secret, keycard_pairing_token_digest, &tk, resp, sizeof resp),
      KEYCARD_CLIENT_OK);
  assert_true(token.open);
  assert_memory_equal(token.enc_key, host.enc_key, 32);
  assert_memory_equal(token.mac_key, host.mac_key, 32);
  assert_memory_equal(token.iv, host.iv, 16);
  /* a short answer is refused before the token is asked */
  keycard_client_sc bad;
  memset(&bad, 0, sizeof bad);
  assert_int_equal(keycard_client_sc_derive_with(&bad, secret, keycard_pairing_token_digest, &tk, resp, 47),
                   KEYCARD_CLIENT_EPROTO);
  assert_false(bad.open);
  /* a key that is gone: an internal error, the channel not open */
  char err[512];
  assert_int_equal(cf_ks_secret_delete(ks, "keycard-pair/session/2", err, sizeof err), 1);
  assert_int_equal(keycard_client_sc_derive_with(&bad, secret, keycard_pairing_token_digest, &tk, resp, 48),
                   KEYCARD_CLIENT_EINTERNAL);
  assert_false(bad.open);
  assert_true(tk.err[0] != 0);
}

/* Importing over an existing label: refused unless replace; replace swaps the value. */
static void test_replace(void **state) {
  (void)state;
  uint8_t k1[32], k2[32], out[64], want[64];
  char err[512];
  fill(k1, 32, 1);
  fill(k2, 32, 2);
  import_key("keycard-pair/replace/0", k1, false);
  assert_int_equal(cf_ks_secret_import(ks, "keycard-pair/replace/0", k2, 32, false, NULL, err, sizeof err),
                   -1);
  cf_ks_handle h = import_key("keycard-pair/replace/0", k2, true);
  assert_int_equal(cf_ks_secret_find(ks, "keycard-pair/replace/0", &h, err, sizeof err), 1);
  assert_int_equal(cf_ks_sha512_with_secret(ks, h, NULL, 0, NULL, 0, out, err, sizeof err), 0);
  assert_int_equal(cf_sha512(k2, 32, want), 0);
  assert_memory_equal(out, want, 64);
  /* bad labels and lengths */
  assert_int_equal(cf_ks_secret_import(ks, "has blank", k1, 32, false, NULL, err, sizeof err), -1);
  assert_int_equal(cf_ks_secret_import(ks, "keycard-pair/x", k1, 0, false, NULL, err, sizeof err), -1);
  assert_int_equal(cf_ks_secret_delete(ks, "keycard-pair/replace/0", err, sizeof err), 1);
}

/* The pairing file records the token label, never key bytes; find / list / forget read it. */
static void test_pairing_file_records_label(void **state) {
  (void)state;
  char path[1200], err[512] = "", label[KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1];
  snprintf(path, sizeof path, "%s/keycard-pairings.txt", state_dir);
  uint8_t file_key[32];
  fill(file_key, 32, 0xE0);
  assert_int_equal(keycard_client_pairing_put(path, uid, 1, file_key, err, sizeof err), 0);
  keycard_pairing_token_label(uid, 2, label);
  assert_int_equal(keycard_client_pairing_put_token(path, uid, 2, label, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_put_token(path, uid, 0xFF, label, err, sizeof err), -1);
  assert_int_equal(keycard_client_pairing_put_token(path, uid, 3, "two words", err, sizeof err), -1);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char text[1024] = "";
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  assert_non_null(strstr(
      text, "101112131415161718191A1B1C1D1E1F 2 pkcs11:keycard-pair/101112131415161718191A1B1C1D1E1F/2\n"));
  keycard_client_pairing p;
  assert_int_equal(keycard_client_pairing_find(path, uid, -1, &p, err, sizeof err), 1);
  assert_true(p.in_token);
  assert_int_equal(p.index, 2);
  assert_string_equal(p.token_label, label);
  uint8_t zero[32] = {0};
  assert_memory_equal(p.key, zero, 32);
  assert_int_equal(keycard_client_pairing_find(path, uid, 1, &p, err, sizeof err), 1);
  assert_false(p.in_token);
  assert_memory_equal(p.key, file_key, 32);
  keycard_client_pairing all[4];
  assert_int_equal(keycard_client_pairing_list(path, uid, all, 4, err, sizeof err), 2);
  assert_int_equal(keycard_client_pairing_count(path, uid, err, sizeof err), 2);
  /* the old reader: the newest is slot 2, its key not in the file */
  uint8_t index = 0, key[32];
  assert_int_equal(keycard_client_pairing_get(path, uid, &index, key, err, sizeof err), 1);
  assert_int_equal(index, 2);
  assert_memory_equal(key, zero, 32);
  assert_int_equal(keycard_client_pairing_forget(path, uid, 2, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_find(path, uid, -1, &p, err, sizeof err), 1);
  assert_false(p.in_token);
  assert_int_equal(p.index, 1);
  assert_int_equal(keycard_client_pairing_forget(path, uid, -1, err, sizeof err), 0);
  assert_int_equal(keycard_client_pairing_find(path, uid, -1, &p, err, sizeof err), 0);
}

int main(void) {
  int made = token_fixture_make(state_dir, false, "5678", "1234");
  if (made != 0) return made;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_label),
      cmocka_unit_test(test_key_not_extractable),
      cmocka_unit_test(test_digest_matches_openssl),
      cmocka_unit_test(test_session_keys_match_host),
      cmocka_unit_test(test_replace),
      cmocka_unit_test(test_pairing_file_records_label),
  };
  int failed = cmocka_run_group_tests(tests, open_token, close_token);
  token_fixture_remove(state_dir);
  return failed;
}
