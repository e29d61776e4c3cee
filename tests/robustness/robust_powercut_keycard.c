/* Power-cut sweep of the Keycard: every state-changing command, a cut at each physical write,
 * a restart from the card file, then: the state before or after the command, never a mix, and
 * PIN/PUK tries never higher than before. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "robust_keycard.h"

static char *dir;
static rb_sweep_stats stats;

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rk_make_templates(dir);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rb_sweep_print("keycard", &stats);
  rb_rmdir(dir);
  return 0;
}

#define KC(c) rk_client(c)
#define OK(expr) ((expr) == KEYCARD_CLIENT_OK ? 0 : -1)

static int do_init(rb_card *c) {
  return OK(keycard_client_init_card(KC(c), RK_PIN, RK_PUK, rk_secret, 0, 0, NULL));
}
static int do_pair(rb_card *c) {
  return OK(keycard_client_pair(KC(c), rk_secret));
}
static int do_unpair(rb_card *c) {
  return OK(keycard_client_unpair(KC(c), rk_pair_index));
}
static int do_open_channel(rb_card *c) {
  return rk_channel(c);
}
static int do_verify_right(rb_card *c) {
  return OK(keycard_client_verify_pin(KC(c), RK_PIN, NULL));
}
/* a wrong attempt is the action: it must be answered 63C2 (two tries left) */
static int do_verify_wrong(rb_card *c) {
  keycard_client_verify_pin(KC(c), "000000", NULL);
  return KC(c)->sw == 0x63C2 ? 0 : -1;
}
static int do_change_pin(rb_card *c) {
  return OK(keycard_client_change_secret(KC(c), KEYCARD_CLIENT_CHANGE_PIN, (const uint8_t *)"654321", 6));
}
static int do_change_puk(rb_card *c) {
  return OK(
      keycard_client_change_secret(KC(c), KEYCARD_CLIENT_CHANGE_PUK, (const uint8_t *)"210987654321", 12));
}
static int do_change_secret(rb_card *c) {
  uint8_t s[32];
  memset(s, 0x5C, sizeof s);
  return OK(keycard_client_change_secret(KC(c), KEYCARD_CLIENT_CHANGE_PAIRING_SECRET, s, 32));
}
static int do_unblock_right(rb_card *c) {
  return OK(keycard_client_unblock_pin(KC(c), RK_PUK, "111111", NULL));
}
static int do_unblock_wrong(rb_card *c) {
  keycard_client_unblock_pin(KC(c), "000000000000", "111111", NULL);
  return KC(c)->sw == 0x63C4 ? 0 : -1;
}
static int do_load_seed(rb_card *c) {
  uint8_t seed[64];
  if (keycard_client_mnemonic_to_seed(RK_MNEMONIC, "other", seed) != 0) return -1;
  return OK(keycard_client_load_seed(KC(c), seed, NULL));
}
static const uint8_t key_priv[32] = {0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88, 0x97, 0xa6, 0xb5,
                                     0xc4, 0xd3, 0xe2, 0xf1, 0x00, 0x10, 0x21, 0x32, 0x43, 0x54, 0x65,
                                     0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};
static int do_load_extended(rb_card *c) {
  uint8_t chain[32];
  memset(chain, 0xC7, sizeof chain);
  return OK(keycard_client_load_keypair(KC(c), key_priv, NULL, chain, NULL));
}
static int do_load_keypair(rb_card *c) {
  uint8_t pub[65];
  if (cf_ec_pub_from_priv(key_priv, pub) != 0) return -1;
  return OK(keycard_client_load_keypair(KC(c), key_priv, pub, NULL, NULL));
}
static int do_generate_key(rb_card *c) {
  return OK(keycard_client_generate_key(KC(c), NULL));
}
static int do_remove_key(rb_card *c) {
  return OK(keycard_client_remove_key(KC(c)));
}
static int do_derive(rb_card *c) {
  keycard_client_path p;
  if (keycard_client_parse_path("m/44'/60'/0'/0/7", &p) != 0) return -1;
  return OK(keycard_client_derive_key(KC(c), &p));
}
static int do_sign_make_current(rb_card *c) {
  uint8_t hash[32];
  keycard_client_path p;
  keycard_client_signature sig;
  memset(hash, 0x42, sizeof hash);
  if (keycard_client_parse_path("m/44'/60'/0'/0/9", &p) != 0) return -1;
  return OK(keycard_client_sign(KC(c), hash, &p, true, &sig));
}
static int do_export_make_current(rb_card *c) {
  keycard_client_path p;
  keycard_client_exported k;
  if (keycard_client_parse_path("m/44'/60'/0'/1", &p) != 0) return -1;
  return OK(keycard_client_export_key(KC(c), KEYCARD_CLIENT_EXPORT_PUBLIC, &p, true, &k));
}
static int do_set_pinless(rb_card *c) {
  static const uint8_t path[] = {0x80, 0x00, 0x00, 0x2B, 0x80, 0x00, 0x00, 0x3C, 0x80, 0x00, 0x06, 0x2D};
  uint16_t sw = 0;
  uint8_t apdu[4 + sizeof path] = {0x80, KEYCARD_INS_SET_PINLESS_PATH, 0x00, 0x00};
  memcpy(apdu + 4, path, sizeof path);
  return rk_secure(c, apdu, sizeof apdu, &sw) == 0 && sw == 0x9000 ? 0 : -1;
}
static int do_store_public(rb_card *c) {
  return OK(keycard_client_store_data(KC(c), KEYCARD_CLIENT_DATA_PUBLIC, (const uint8_t *)"public data", 11));
}
static int do_store_ndef(rb_card *c) {
  static const uint8_t ndef[] = {0x00, 0x0A, 0xD1, 0x01, 0x06, 0x55, 0x04, 'a', '.', 'c', 'o', 'm'};
  return OK(keycard_client_store_data(KC(c), KEYCARD_CLIENT_DATA_NDEF, ndef, sizeof ndef));
}
static int do_store_cash(rb_card *c) {
  return OK(keycard_client_store_data(KC(c), KEYCARD_CLIENT_DATA_CASH, (const uint8_t *)"cash", 4));
}
static int do_dup_start(rb_card *c) {
  return OK(keycard_client_duplicate_start(KC(c), 2, rk_entropy[0]));
}
static int do_dup_add_entropy(rb_card *c) {
  return OK(keycard_client_duplicate_add_entropy(KC(c), rk_entropy[1]));
}
static int do_dup_import(rb_card *c) {
  return OK(keycard_client_duplicate_import(KC(c), rk_blob, rk_blob_len, NULL));
}
static int do_set_ndef(rb_card *c) {
  static const uint8_t apdu[] = {
      0x80, KEYCARD_INS_SET_NDEF, 0x00, 0x00, 0xD1, 0x01, 0x06, 0x55, 0x04, 'a', '.', 'c', 'o', 'm'};
  uint16_t sw = 0;
  return rk_secure(c, apdu, sizeof apdu, &sw) == 0 && sw == 0x9000 ? 0 : -1;
}
static int do_factory_reset(rb_card *c) {
  return OK(keycard_client_factory_reset(KC(c)));
}

/* after a restart the card must still be selectable (and pairable/openable if it was) */
static int alive(rb_card *c) {
  return rk_select(c);
}

static const rb_sweep_step steps[] = {
    {"INIT", "fresh.card", rk_select, do_init, NULL, true, NULL, alive},
    {"PAIR", "ready.card", rk_select, do_pair, NULL, true, NULL, alive},
    {"OPEN SECURE CHANNEL", "ready.card", NULL, do_open_channel, NULL, false, NULL, alive},
    {"UNPAIR", "ready.card", rk_pin, do_unpair, NULL, false, NULL, alive},
    {"VERIFY PIN (right)", "ready.card", rk_channel, do_verify_right, do_verify_wrong, false, rk_tries,
     alive},
    {"VERIFY PIN (wrong)", "ready.card", rk_channel, do_verify_wrong, NULL, false, rk_tries, alive},
    {"CHANGE PIN", "ready.card", rk_pin, do_change_pin, NULL, false, rk_tries, alive},
    {"CHANGE PIN (PUK)", "ready.card", rk_pin, do_change_puk, NULL, false, rk_tries, alive},
    {"CHANGE PIN (pairing secret)", "ready.card", rk_pin, do_change_secret, NULL, false, NULL, alive},
    {"UNBLOCK PIN (right PUK)", "blocked.card", rk_channel, do_unblock_right, do_unblock_wrong, false,
     rk_tries, alive},
    {"UNBLOCK PIN (wrong PUK)", "blocked.card", rk_channel, do_unblock_wrong, NULL, false, rk_tries, alive},
    {"LOAD KEY (seed)", "ready.card", rk_pin, do_load_seed, NULL, false, NULL, alive},
    {"LOAD KEY (extended key pair)", "ready.card", rk_pin, do_load_extended, NULL, false, NULL, alive},
    {"LOAD KEY (key pair)", "ready.card", rk_pin, do_load_keypair, NULL, false, NULL, alive},
    {"GENERATE KEY", "ready.card", rk_pin, do_generate_key, NULL, true, NULL, alive},
    {"REMOVE KEY", "ready.card", rk_pin, do_remove_key, NULL, false, NULL, alive},
    {"DERIVE KEY", "ready.card", rk_pin, do_derive, NULL, false, NULL, alive},
    {"SIGN (derive, make current)", "ready.card", rk_pin, do_sign_make_current, NULL, false, NULL, alive},
    {"EXPORT KEY (derive, make current)", "ready.card", rk_pin, do_export_make_current, NULL, false, NULL,
     alive},
    {"SET PINLESS PATH", "ready.card", rk_pin, do_set_pinless, NULL, false, NULL, alive},
    {"STORE DATA (public)", "ready.card", rk_pin, do_store_public, NULL, false, NULL, alive},
    {"STORE DATA (NDEF)", "ready.card", rk_pin, do_store_ndef, NULL, false, NULL, alive},
    {"STORE DATA (cash)", "ready.card", rk_pin, do_store_cash, NULL, false, NULL, alive},
    {"SET NDEF (2.2.1)", "ready221.card", rk_pin, do_set_ndef, NULL, false, NULL, alive},
    {"DUPLICATE KEY START (2.2.1)", "ready221.card", rk_pin, do_dup_start, NULL, false, NULL, alive},
    {"DUPLICATE KEY ADD ENTROPY (2.2.1)", "dupstart.card", rk_select, do_dup_add_entropy, NULL, false, NULL,
     alive},
    {"DUPLICATE KEY IMPORT (2.2.1)", "dup.card", rk_pin, do_dup_import, NULL, false, NULL, alive},
    {"FACTORY RESET", "ready.card", rk_select, do_factory_reset, NULL, true, NULL, alive},
};

static void test_sweep(void **state) {
  const rb_sweep_step *step = *state;
  rb_sweep(dir, &keycard_profile, "", keycard_aid, sizeof keycard_aid, step, &stats);
}

int main(void) {
  struct CMUnitTest tests[sizeof steps / sizeof steps[0]];
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    tests[i] = (struct CMUnitTest){steps[i].name, test_sweep, NULL, NULL, (void *)&steps[i]};
  }
  return _cmocka_run_group_tests("robust_powercut_keycard", tests, sizeof steps / sizeof steps[0],
                                 group_setup, group_teardown);
}
