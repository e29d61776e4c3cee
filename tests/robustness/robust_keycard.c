/* Keycard templates and set-ups for the robustness tests (see robust_keycard.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "robust_keycard.h"

#include <string.h>

#include "cardforge/keycard.h"

uint8_t rk_secret[32];
uint8_t rk_pair_index, rk_pair_key[32];
static uint8_t rk_pair_key_221[32]; /* the pairing of the 2.2.1 templates (another card, another key) */
uint8_t rk_entropy[2][32];
uint8_t rk_blob[256];
size_t rk_blob_len;

static keycard_client rk_kc;

keycard_client *rk_client(rb_card *c) {
  if (c->client == NULL || ((keycard_client *)c->client)->t != c->t) {
    keycard_client_init(&rk_kc, c->t);
    c->client = &rk_kc;
  }
  return c->client;
}

int rk_select(rb_card *c) {
  return keycard_client_select(rk_client(c), NULL, 0) == KEYCARD_CLIENT_OK ? 0 : -1;
}

int rk_channel(rb_card *c) {
  if (rk_select(c) != 0) return -1;
  bool v221 = rk_client(c)->info.version == KEYCARD_VERSION_2_2_1;
  keycard_client_set_pairing(rk_client(c), rk_pair_index, v221 ? rk_pair_key_221 : rk_pair_key);
  return keycard_client_open_channel(rk_client(c)) == KEYCARD_CLIENT_OK ? 0 : -1;
}

int rk_pin(rb_card *c) {
  if (rk_channel(c) != 0) return -1;
  return keycard_client_verify_pin(rk_client(c), RK_PIN, NULL) == KEYCARD_CLIENT_OK ? 0 : -1;
}

int rk_secure(rb_card *c, const uint8_t *apdu, size_t len, uint16_t *sw) {
  uint8_t resp[256];
  size_t rlen = 0;
  if (len < 4) return -1;
  keycard_client *kc = rk_client(c);
  if (keycard_client_secure_exchange(kc, apdu[1], apdu[2], apdu[3], apdu + 4, len - 4, false, resp,
                                     sizeof resp, &rlen) != KEYCARD_CLIENT_OK) {
    if (!rb_sweep_cutting()) print_message("keycard client: %s (SW %04X)\n", kc->err, kc->sw);
    return -1;
  }
  *sw = kc->sw;
  return 0;
}

int rk_tries(rb_card *c, int tries[4]) {
  keycard_client_status st;
  if (rk_channel(c) != 0 || keycard_client_get_status(rk_client(c), &st) != KEYCARD_CLIENT_OK) return -1;
  tries[0] = st.pin_retries;
  tries[1] = st.puk_retries;
  return 2;
}

static void must(int rc, const char *what, rb_card *c) {
  if (rc != 0) fail_msg("keycard template: %s failed: %s", what, c->client ? rk_client(c)->err : "");
}

/* A new card is made with params (its version); a copy keeps the version it was made with. */
static void open_copy(rb_card *c, const char *dir, const char *from, const char *to, const char *params) {
  if (from) assert_int_equal(rb_copy_card(rb_path(dir, from), rb_path(dir, to)), 0);
  assert_int_equal(rb_card_open(c, &keycard_profile, params, rb_path(dir, to)), 0);
}

/* Initialized, paired (the same slot and key on every ready card), PIN verified, the BIP39 key
 * loaded and derived to m/44'/60'/0'/0/0. */
static void make_ready(const char *dir, const char *fresh, const char *ready, uint8_t pair_key[32]) {
  rb_card c;
  uint8_t seed[64];
  keycard_client_path path;
  open_copy(&c, dir, fresh, ready, "");
  keycard_client *kc = rk_client(&c);
  must(rk_select(&c), "SELECT", &c);
  must(keycard_client_init_card(kc, RK_PIN, RK_PUK, rk_secret, 0, 0, NULL), "INIT", &c);
  must(rk_select(&c), "SELECT", &c);
  must(keycard_client_pair(kc, rk_secret), "PAIR", &c);
  rk_pair_index = kc->pairing_index;
  memcpy(pair_key, kc->pairing_key, 32);
  must(keycard_client_open_channel(kc), "OPEN SECURE CHANNEL", &c);
  must(keycard_client_verify_pin(kc, RK_PIN, NULL), "VERIFY PIN", &c);
  must(keycard_client_mnemonic_to_seed(RK_MNEMONIC, "", seed), "BIP39", &c);
  must(keycard_client_load_seed(kc, seed, NULL), "LOAD KEY", &c);
  must(keycard_client_parse_path("m/44'/60'/0'/0/0", &path), "path", &c);
  must(keycard_client_derive_key(kc, &path), "DERIVE KEY", &c);
  rb_card_close(&c);
}

void rk_make_templates(const char *dir) {
  rb_card c;
  uint8_t seed[64];
  assert_int_equal(keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, rk_secret), 0);
  for (int i = 0; i < 2; i++)
    memset(rk_entropy[i], 0xE0 + i, 32);

  open_copy(&c, dir, NULL, "fresh.card", "");
  rb_card_close(&c);
  make_ready(dir, "fresh.card", "ready.card", rk_pair_key);
  /* DUPLICATE KEY and SET NDEF exist in applet 2.2.1 only */
  open_copy(&c, dir, NULL, "fresh221.card", "version=2.2.1");
  rb_card_close(&c);
  make_ready(dir, "fresh221.card", "ready221.card", rk_pair_key_221);

  open_copy(&c, dir, "ready.card", "blocked.card", "");
  must(rk_channel(&c), "channel", &c);
  for (int i = 0; i < 3; i++)
    keycard_client_verify_pin(rk_client(&c), "000000", NULL);
  rb_card_close(&c);

  /* the source of DUPLICATE KEY holds another key; it exports under the shared entropy */
  open_copy(&c, dir, "ready221.card", "source.card", "");
  keycard_client *kc = rk_client(&c);
  must(rk_pin(&c), "PIN", &c);
  must(keycard_client_mnemonic_to_seed(RK_MNEMONIC, "source", seed), "BIP39", &c);
  must(keycard_client_load_seed(kc, seed, NULL), "LOAD KEY", &c);
  must(keycard_client_duplicate_start(kc, 2, rk_entropy[0]), "DUPLICATE START", &c);
  must(keycard_client_duplicate_add_entropy(kc, rk_entropy[1]), "DUPLICATE ADD ENTROPY", &c);
  must(rk_pin(&c), "PIN", &c);
  must(keycard_client_duplicate_export(kc, rk_blob, sizeof rk_blob, &rk_blob_len), "DUPLICATE EXPORT", &c);
  rb_card_close(&c);

  open_copy(&c, dir, "ready221.card", "dup.card", "");
  kc = rk_client(&c);
  must(rk_pin(&c), "PIN", &c);
  must(keycard_client_duplicate_start(kc, 2, rk_entropy[0]), "DUPLICATE START", &c);
  must(keycard_client_duplicate_add_entropy(kc, rk_entropy[1]), "DUPLICATE ADD ENTROPY", &c);
  rb_card_close(&c);

  open_copy(&c, dir, "ready221.card", "dupstart.card", "");
  must(rk_pin(&c), "PIN", &c);
  must(keycard_client_duplicate_start(rk_client(&c), 2, rk_entropy[0]), "DUPLICATE START", &c);
  rb_card_close(&c);
}
