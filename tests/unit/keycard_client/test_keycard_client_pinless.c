/* The Keycard client's SET PINLESS PATH, PIN-less SIGN (inside and outside the secure channel) and
 * GENERATE MNEMONIC against the emulated Keycard in process, with the card's refusals. */
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
#include "cardforge/keycard.h"
#include "cardforge/keycard_client.h"
#include "cardforge/store.h"
#include "cardforge/transport.h"

#define PIN "123456"
#define PUK "012345678901"
#define MNEMONIC                                                                                             \
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful "     \
  "legal will"
/* The applet's JUnit mnemonicTest: this mnemonic's key at m/43'/60'/1581'/0'/0. */
#define EIP1581_PATH "m/43'/60'/1581'/0'/0"
#define EIP1581_PUB                                                                                          \
  "04e7370d118461e1ab01f3e86e88c4b0c7b92cecb79c5e320cef73dda912f173beae74df15090b6405a274963c054cdfe6ac7843" \
  "a302c2"                                                                                                   \
  "60390d1fe776008f310e"

typedef struct fixture {
  cf_store *store;
  cf_card *card;
  cf_transport *t;
  keycard_client kc;
  uint8_t secret[32];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f || cf_store_open_memory(&f->store) != 0) return -1;
  f->card = keycard_profile.create(f->store, "");
  if (!f->card) return -1;
  cf_card_power_on(f->card);
  f->t = cf_transport_open_card(f->card);
  if (!f->t) return -1;
  keycard_client_init(&f->kc, f->t);
  if (keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, f->secret) != 0) return -1;
  if (keycard_client_select(&f->kc, NULL, 0) != 0 ||
      keycard_client_init_card(&f->kc, PIN, PUK, f->secret, 0, 0, NULL) != 0 ||
      keycard_client_select(&f->kc, NULL, 0) != 0 || keycard_client_pair(&f->kc, f->secret) != 0)
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  keycard_client_wipe(&f->kc);
  cf_transport_close(f->t);
  cf_card_free(f->card);
  cf_store_close(f->store);
  free(f);
  return 0;
}

/* SELECT, then (level >= 1) the secure channel, then (level 2) the PIN. */
static void reopen(fixture *f, int level) {
  assert_int_equal(keycard_client_select(&f->kc, NULL, 0), KEYCARD_CLIENT_OK);
  if (level >= 1) assert_int_equal(keycard_client_open_channel(&f->kc), KEYCARD_CLIENT_OK);
  if (level >= 2) assert_int_equal(keycard_client_verify_pin(&f->kc, PIN, NULL), KEYCARD_CLIENT_OK);
}

static void load_mnemonic(fixture *f) {
  uint8_t seed[64];
  assert_int_equal(keycard_client_mnemonic_to_seed(MNEMONIC, "", seed), KEYCARD_CLIENT_OK);
  assert_int_equal(keycard_client_load_seed(&f->kc, seed, NULL), KEYCARD_CLIENT_OK);
}

static void expect_pinless_signature(fixture *f, uint8_t fill) {
  uint8_t hash[32], want[65];
  keycard_client_signature sig;
  memset(hash, fill, sizeof hash);
  assert_int_equal(keycard_client_sign_pinless(&f->kc, hash, &sig), KEYCARD_CLIENT_OK);
  assert_int_equal(cf_hex_decode(EIP1581_PUB, want, sizeof want), 65);
  assert_memory_equal(sig.pub, want, 65);
  /* the client recovered the key from (hash, r, s): recompute it independently of the card */
  uint8_t recovered[65];
  assert_int_equal(cf_ec_recover(hash, sig.rs, sig.recid, recovered), 0);
  assert_memory_equal(recovered, want, 65);
}

static void keycard_client_pinless_sign(void **state) {
  fixture *f = *state;
  keycard_client_path path;
  uint8_t hash[32] = {0x42};
  keycard_client_signature sig;
  assert_int_equal(keycard_client_parse_path(EIP1581_PATH, &path), KEYCARD_CLIENT_OK);

  reopen(f, 2);
  load_mnemonic(f);
  /* no PIN-less path yet: 6A88, in the channel and outside it */
  assert_int_equal(keycard_client_sign_pinless(&f->kc, hash, &sig), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f->kc.sw, 0x6A88);
  reopen(f, 0);
  assert_int_equal(keycard_client_sign_pinless(&f->kc, hash, &sig), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f->kc.sw, 0x6A88);
  assert_non_null(strstr(f->kc.err, "no PIN-less path"));

  /* SET PINLESS PATH needs the PIN (6985) and the channel (client refuses without one) */
  reopen(f, 1);
  assert_int_equal(keycard_client_set_pinless_path(&f->kc, &path), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f->kc.sw, 0x6985);
  reopen(f, 0);
  assert_int_equal(keycard_client_set_pinless_path(&f->kc, &path), KEYCARD_CLIENT_ESTATE);
  reopen(f, 2);
  keycard_client_path relative;
  assert_int_equal(keycard_client_parse_path("../1", &relative), KEYCARD_CLIENT_OK);
  assert_int_equal(keycard_client_set_pinless_path(&f->kc, &relative), KEYCARD_CLIENT_EARG);
  /* the card refuses data that is not whole levels */
  uint8_t resp[64];
  size_t n = 0;
  assert_int_equal(keycard_client_secure_exchange(&f->kc, KEYCARD_CLIENT_INS_SET_PINLESS_PATH, 0, 0,
                                                  path.data, 5, false, resp, sizeof resp, &n),
                   KEYCARD_CLIENT_OK);
  assert_int_equal(f->kc.sw, 0x6A80);
  assert_int_equal(keycard_client_set_pinless_path(&f->kc, &path), KEYCARD_CLIENT_OK);

  /* signed with the PIN-less key: through the channel without the PIN, and with no channel at all */
  reopen(f, 1);
  expect_pinless_signature(f, 0x11);
  reopen(f, 0);
  expect_pinless_signature(f, 0x22);
  assert_false(f->kc.sc.open);
  /* the current key still needs the PIN */
  reopen(f, 1);
  assert_int_equal(keycard_client_sign(&f->kc, hash, NULL, false, &sig), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f->kc.sw, 0x6985);

  /* removing it (empty data) brings 6A88 back */
  reopen(f, 2);
  assert_int_equal(keycard_client_set_pinless_path(&f->kc, NULL), KEYCARD_CLIENT_OK);
  reopen(f, 0);
  assert_int_equal(keycard_client_sign_pinless(&f->kc, hash, &sig), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f->kc.sw, 0x6A88);

  /* loading a key drops the PIN-less path */
  reopen(f, 2);
  assert_int_equal(keycard_client_set_pinless_path(&f->kc, &path), KEYCARD_CLIENT_OK);
  load_mnemonic(f);
  reopen(f, 0);
  assert_int_equal(keycard_client_sign_pinless(&f->kc, hash, &sig), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f->kc.sw, 0x6A88);
}

static void keycard_client_pinless_generate_mnemonic(void **state) {
  fixture *f = *state;
  uint16_t idx[KEYCARD_CLIENT_BIP39_MAX_WORDS];
  reopen(f, 1); /* no PIN needed */
  for (size_t words = 12; words <= 24; words += 3) {
    memset(idx, 0xFF, sizeof idx);
    assert_int_equal(keycard_client_generate_mnemonic(&f->kc, words, idx), KEYCARD_CLIENT_OK);
    assert_true(keycard_client_bip39_checksum_ok(idx, words));
    for (size_t i = 0; i < words; i++)
      assert_true(idx[i] < KEYCARD_CLIENT_BIP39_WORDS);
  }
  /* two draws differ (the card's entropy is random) */
  uint16_t again[12];
  assert_int_equal(keycard_client_generate_mnemonic(&f->kc, 12, idx), KEYCARD_CLIENT_OK);
  assert_int_equal(keycard_client_generate_mnemonic(&f->kc, 12, again), KEYCARD_CLIENT_OK);
  assert_memory_not_equal(idx, again, sizeof again);
  /* word counts the client refuses before asking the card */
  assert_int_equal(keycard_client_generate_mnemonic(&f->kc, 13, idx), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_generate_mnemonic(&f->kc, 27, idx), KEYCARD_CLIENT_EARG);
  /* the card's own refusal of a checksum length outside 4..8 */
  uint8_t resp[64];
  size_t n = 0;
  for (uint8_t p1 = 3; p1 <= 9; p1 += 6) {
    assert_int_equal(keycard_client_secure_exchange(&f->kc, KEYCARD_CLIENT_INS_GENERATE_MNEMONIC, p1, 0, NULL,
                                                    0, false, resp, sizeof resp, &n),
                     KEYCARD_CLIENT_OK);
    assert_int_equal(f->kc.sw, 0x6A86);
  }
  /* outside the channel the client refuses, and the card refuses a plain command (6985) */
  reopen(f, 0);
  assert_int_equal(keycard_client_generate_mnemonic(&f->kc, 12, idx), KEYCARD_CLIENT_ESTATE);
  const uint8_t plain[] = {0x80, KEYCARD_CLIENT_INS_GENERATE_MNEMONIC, 0x04, 0x00};
  uint8_t rapdu[64];
  size_t rlen = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_transceive_raw(f->t, plain, sizeof plain, CF_TX_RAW, rapdu, sizeof rapdu, &rlen, &sw),
                   0);
  assert_int_equal(rlen, 0);
  assert_int_equal(sw, 0x6985);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(keycard_client_pinless_sign, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_pinless_generate_mnemonic, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
