/* GlobalPlatform channel keys in a SoftHSM2 token (host/gp/gp_keysource_pkcs11.c): the session keys
 * the token computes equal the ones scp/ derives from the same static keys in clear, for SCP02
 * (i=55 and i=54: three keys and one; masters diversified EMV / VISA2 inside the token) and SCP03 (AES-128
 * and AES-256, S8 and S16); a key to put comes out only when exportable. Exits 77 (skipped) only when
 * SoftHSM2 is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keystore.h"
#include "cardforge/scp.h"
#include "gp_keysource_pkcs11.h"
#include "token_fixture.h"

static char home[] = "/tmp/cf-gp-token-XXXXXX";
static uint8_t des_enc[16], des_mac[16], des_dek[16], aes128[16], aes256[32];

static void import(cf_keystore *ks, const char *label, cf_ks_type t, const uint8_t *v, size_t len, bool exp) {
  cf_ks_key k;
  char err[300];
  int rc = cf_ks_import(ks, label, t, v, len, exp, &k, err, sizeof err);
  if (rc != 0) fprintf(stderr, "%s: %s\n", label, err);
  assert_int_equal(rc, 0);
}

/* Session keys through the token for channel keys enc/mac/dek (labels), against scp/'s. */
static void compare_div(const char *enc, const char *mac, const char *dek, const cf_scp_keys *clear,
                        uint8_t scp, uint8_t i, int diversify) {
  gp_opts o;
  memset(&o, 0, sizeof o);
  o.diversify = diversify;
  char e[80], m[80], d[80];
  snprintf(e, sizeof e, "pkcs11:%s", enc);
  snprintf(m, sizeof m, "pkcs11:%s", mac);
  snprintf(d, sizeof d, "pkcs11:%s", dek);
  assert_int_equal(gp_p11_key_option("--key-enc", e, 1, true, &o.chan), 0);
  assert_int_equal(gp_p11_key_option("--key-mac", m, 2, true, &o.chan), 0);
  assert_int_equal(gp_p11_key_option("--key-dek", d, 3, true, &o.chan), 0);
  gp_p11_channel ch;
  cf_gp_open_opts oo;
  memset(&oo, 0, sizeof oo);
  cf_scp_keys placeholder = {0};
  assert_int_equal(gp_p11_channel_open(&o, &ch, &oo, &placeholder), 0);
  assert_non_null(oo.session_keys);
  assert_int_equal(placeholder.klen, clear->klen);
  uint8_t host[16], card[16], kdd[10];
  uint16_t counter = 0x0102;
  cf_rand(host, sizeof host);
  cf_rand(card, sizeof card);
  cf_rand(kdd, sizeof kdd);
  cf_scp_session want, got;
  cf_scp_keys card_keys = *clear;
  if (diversify != CF_SCP_DIV_NONE)
    assert_int_equal(cf_scp_diversify_keys(diversify, clear, kdd, &card_keys), 0);
  clear = &card_keys;
  if (scp == 2) {
    assert_int_equal(cf_scp02_session_init(&want, clear, counter, i), 0);
    assert_int_equal(cf_scp02_session_init(&got, &placeholder, counter, i), 0);
  } else {
    assert_int_equal(cf_scp03_session_init(&want, clear, host, card, i), 0);
    assert_int_equal(cf_scp03_session_init(&got, &placeholder, host, card, i), 0);
  }
  assert_int_equal(oo.session_keys(oo.session_ctx, &got, counter, host, card, kdd), 0);
  assert_memory_equal(got.s_enc, want.s_enc, sizeof want.s_enc);
  assert_memory_equal(got.s_mac, want.s_mac, sizeof want.s_mac);
  assert_memory_equal(got.s_rmac, want.s_rmac, sizeof want.s_rmac);
  if (scp == 2 || ch.dek.extractable) {
    assert_int_equal(got.dek_len, want.dek_len);
    assert_memory_equal(got.dek, want.dek, sizeof want.dek);
  } else {
    assert_int_equal(got.dek_len, 0); /* SCP03 with a DEK the token keeps: no PUT KEY */
  }
  gp_p11_channel_close(&ch);
}

static void compare(const char *enc, const char *mac, const char *dek, const cf_scp_keys *clear, uint8_t scp,
                    uint8_t i) {
  compare_div(enc, mac, dek, clear, scp, i, CF_SCP_DIV_NONE);
}

static void test_scp02(void **state) {
  (void)state;
  cf_scp_keys k = {.klen = 16};
  memcpy(k.enc, des_enc, 16), memcpy(k.mac, des_mac, 16), memcpy(k.dek, des_dek, 16);
  compare("enc", "mac", "dek", &k, 2, 0x55);
  compare("enc", "mac", "dek", &k, 2, 0x54); /* one base key: MAC and DEK from ENC */
  /* masters in the token, the card's keys derived there (C_DeriveKey) from the card's KDD */
  compare_div("enc", "mac", "dek", &k, 2, 0x55, CF_SCP_DIV_EMV);
  compare_div("enc", "mac", "dek", &k, 2, 0x55, CF_SCP_DIV_VISA2);
}

static void test_kdf3_refused(void **state) {
  (void)state;
  gp_opts o;
  memset(&o, 0, sizeof o);
  o.diversify = CF_SCP_DIV_KDF3;
  o.chan.p11_enc = o.chan.p11_mac = o.chan.p11_dek = "pkcs11:aes128";
  gp_p11_channel ch;
  cf_gp_open_opts oo = {0};
  cf_scp_keys keys = {0};
  assert_int_equal(gp_p11_channel_open(&o, &ch, &oo, &keys), 2);
  assert_null(oo.session_keys);
}

static void test_scp03(void **state) {
  (void)state;
  cf_scp_keys k = {.klen = 16};
  memcpy(k.enc, aes128, 16), memcpy(k.mac, aes128, 16), memcpy(k.dek, aes128, 16);
  compare("aes128", "aes128", "aes128", &k, 3, 0x70);
  compare("aes128", "aes128", "aes128", &k, 3, 0x71); /* S16 */
  cf_scp_keys k256 = {.klen = 32};
  memcpy(k256.enc, aes256, 32), memcpy(k256.mac, aes256, 32), memcpy(k256.dek, aes256, 32);
  compare("aes256", "aes256", "aes256", &k256, 3, 0x70);
  compare("aes256", "aes256", "aes256-kept", &k256, 3, 0x70);
}

static void test_keys_to_put(void **state) {
  (void)state;
  gp_key_opts k;
  memset(&k, 0, sizeof k);
  assert_int_equal(gp_p11_key_option("--new-key", "pkcs11:aes128", 0, false, &k), 0);
  assert_int_equal(k.enc_len, 16);
  assert_memory_equal(k.enc, aes128, 16);
  assert_memory_equal(k.dek, aes128, 16);
  memset(&k, 0, sizeof k);
  assert_int_equal(gp_p11_key_option("--new-key", "pkcs11:enc", 0, false, &k), 6); /* CF_EXIT_FILE */
  assert_int_equal(k.enc_len, 0);
  assert_int_equal(gp_p11_key_option("--new-key", "pkcs11:nothing", 0, false, &k), 6);
  assert_int_equal(gp_p11_key_option("--new-key", "pkcs11:", 0, false, &k), 2);
  /* channel keys: all three or none, and of one type */
  gp_opts o;
  memset(&o, 0, sizeof o);
  o.chan.p11_enc = "pkcs11:enc";
  gp_p11_channel ch;
  cf_gp_open_opts oo = {0};
  cf_scp_keys keys = {0};
  assert_int_equal(gp_p11_channel_open(&o, &ch, &oo, &keys), 2);
  o.chan.p11_mac = o.chan.p11_dek = "pkcs11:aes128";
  assert_int_equal(gp_p11_channel_open(&o, &ch, &oo, &keys), 2);
  assert_null(oo.session_keys);
}

int main(void) {
  int made = token_fixture_make(home, true, "13579111", "246810");
  if (made != 0) return made;
  char err[512] = "";
  cf_ks_config c = {0};
  cf_rand(des_enc, 16), cf_rand(des_mac, 16), cf_rand(des_dek, 16), cf_rand(aes128, 16), cf_rand(aes256, 32);
  cf_keystore *ks;
  if (cf_ks_open(&c, &ks, err, sizeof err) != 0) return 1;
  import(ks, "enc", CF_KS_DES2, des_enc, 16, false);
  import(ks, "mac", CF_KS_DES2, des_mac, 16, false);
  import(ks, "dek", CF_KS_DES2, des_dek, 16, false);
  import(ks, "aes128", CF_KS_AES, aes128, 16, true);
  import(ks, "aes256", CF_KS_AES, aes256, 32, true);
  import(ks, "aes256-kept", CF_KS_AES, aes256, 32, false);
  cf_ks_close(ks);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scp02),
      cmocka_unit_test(test_scp03),
      cmocka_unit_test(test_keys_to_put),
      cmocka_unit_test(test_kdf3_refused),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  token_fixture_remove(home);
  return failed;
}
