/* The Keycard client against the emulated Keycard, in process (cf_transport_open_card): the whole
 * life of a card, the applet test's published key vectors, DUPLICATE KEY over three cards, and the
 * client's reaction to answers a tampering transport corrupts. */
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
#define PUK "012345678901" /* its first six digits (the default alternate PIN) differ from the PIN */
#define MNEMONIC                                                                                             \
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful "     \
  "legal will"
/* Expected by the applet's JUnit mnemonicTest for that mnemonic. */
#define MASTER_PUB                                                                                           \
  "04cc620f846055ed43995391ca5e490c52251ea40453f64a0515bef84c24a653a7c4e02b9de56f66d9ee58dc6b591b534f5a20c0" \
  "550b2c"                                                                                                   \
  "33a086b90b866cf70799"
#define EIP1581_PUB                                                                                          \
  "04e7370d118461e1ab01f3e86e88c4b0c7b92cecb79c5e320cef73dda912f173beae74df15090b6405a274963c054cdfe6ac7843" \
  "a302c2"                                                                                                   \
  "60390d1fe776008f310e"

/* ---- a transport that forwards to a card and can corrupt one answer ---- */
typedef struct tamper {
  cf_card *card;
  int exchanges;  /* counted */
  int corrupt_at; /* exchange number whose answer gets a flipped bit (0 = none) */
  size_t flip_at; /* which byte */
  int replace_at; /* exchange number whose answer becomes just replace_sw */
  uint16_t replace_sw;
  int fail_at;      /* exchange number that fails as a dead reader would */
  uint8_t last_ins; /* INS of the last command */
} tamper;

static int tamper_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                           size_t *rlen) {
  tamper *tp = t->impl;
  tp->exchanges++;
  tp->last_ins = len > 1 ? cmd[1] : 0;
  if (tp->exchanges == tp->fail_at) {
    snprintf(t->err, sizeof t->err, "reader unplugged");
    return -1;
  }
  *rlen = cf_card_transmit(tp->card, cmd, len, resp, cap);
  if (tp->exchanges == tp->corrupt_at && *rlen > 2) resp[tp->flip_at % (*rlen - 2)] ^= 0x01;
  if (tp->exchanges == tp->replace_at) {
    cf_put_be16(resp, tp->replace_sw);
    *rlen = 2;
  }
  return 0;
}

static void tamper_close(cf_transport *t) {
  t->impl = NULL;
}
static const cf_transport_ops tamper_ops = {.exchange = tamper_exchange, .close = tamper_close};

typedef struct fixture {
  cf_store *store;
  cf_card *card;
  tamper tp;
  cf_transport *t;
  keycard_client kc;
} fixture;

static void fixture_open(fixture *f, const char *params) {
  memset(f, 0, sizeof *f);
  assert_int_equal(cf_store_open_memory(&f->store), 0);
  f->card = keycard_profile.create(f->store, params);
  assert_non_null(f->card);
  cf_card_power_on(f->card);
  f->tp.card = f->card;
  f->t = calloc(1, sizeof *f->t);
  f->t->ops = &tamper_ops;
  f->t->impl = &f->tp;
  keycard_client_init(&f->kc, f->t);
}

static void fixture_close(fixture *f) {
  keycard_client_wipe(&f->kc);
  cf_transport_close(f->t);
  cf_card_free(f->card);
  cf_store_close(f->store);
}

static void default_secret(uint8_t secret[32]) {
  assert_int_equal(keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret), 0);
}

/* Fresh card -> initialized, paired, channel open, PIN verified. */
static void bring_up(fixture *f) {
  uint8_t secret[32];
  default_secret(secret);
  assert_int_equal(keycard_client_select(&f->kc, NULL, 0), 0);
  if (!f->kc.info.initialized) {
    assert_int_equal(keycard_client_init_card(&f->kc, PIN, PUK, secret, 0, 0, NULL), 0);
    assert_int_equal(keycard_client_select(&f->kc, NULL, 0), 0);
  }
  assert_int_equal(keycard_client_pair(&f->kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(&f->kc), 0);
  assert_int_equal(keycard_client_verify_pin(&f->kc, PIN, NULL), 0);
}

static void expect_hex(const uint8_t *got, size_t len, const char *hex) {
  uint8_t want[128];
  long n = cf_hex_decode(hex, want, sizeof want);
  assert_int_equal((long)len, n);
  assert_memory_equal(got, want, len);
}

static void keycard_client_e2e_lifecycle(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, "");
  keycard_client *kc = &f.kc;
  uint8_t secret[32];
  default_secret(secret);

  /* before INIT: only the channel key, and no channel possible */
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_false(kc->info.initialized);
  assert_int_equal(keycard_client_pair(kc, secret), KEYCARD_CLIENT_ESTATE);
  assert_int_equal(keycard_client_init_card(kc, "12345", PUK, secret, 0, 0, NULL), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_init_card(kc, PIN, PUK, secret, 1, 5, NULL), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_init_card(kc, PIN, PUK, secret, 0, 0, NULL), 0);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_true(kc->info.initialized);
  assert_int_equal(kc->info.version, 0x0302); /* the default card is 3.2, with ten pairing slots */
  assert_int_equal(kc->info.free_slots, 10);
  assert_false(kc->info.has_key);
  assert_int_equal(keycard_client_init_card(kc, PIN, PUK, secret, 0, 0, NULL), KEYCARD_CLIENT_ESTATE);

  /* pairing with the wrong secret fails on the card's cryptogram */
  uint8_t wrong[32];
  assert_int_equal(keycard_client_pairing_secret("not the password", wrong), 0);
  assert_int_equal(keycard_client_pair(kc, wrong), KEYCARD_CLIENT_EVERIFY);
  assert_int_equal(keycard_client_pair(kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(kc), 0);

  keycard_client_status st;
  assert_int_equal(keycard_client_get_status(kc, &st), 0);
  assert_int_equal(st.pin_retries, 3);
  assert_int_equal(st.puk_retries, 5);
  assert_false(st.key_initialized);

  int retries = -1;
  assert_int_equal(keycard_client_verify_pin(kc, "000000", &retries), KEYCARD_CLIENT_ECARD);
  assert_int_equal(retries, 2);
  assert_int_equal(kc->sw, 0x63C2);
  assert_int_equal(keycard_client_verify_pin(kc, "12345x", &retries), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_verify_pin(kc, PIN, &retries), 0);
  assert_int_equal(keycard_client_get_status(kc, &st), 0);
  assert_int_equal(st.pin_retries, 3);

  /* LOAD KEY from the applet test's mnemonic: the card's master key is the published one */
  uint8_t seed[64], uid[32], want_uid[32], pub[65];
  assert_int_equal(keycard_client_mnemonic_to_seed(MNEMONIC, "", seed), 0);
  assert_int_equal(keycard_client_load_seed(kc, seed, uid), 0);
  assert_int_equal(cf_hex_decode(MASTER_PUB, pub, sizeof pub), 65);
  assert_int_equal(cf_sha256(pub, 65, want_uid), 0);
  assert_memory_equal(uid, want_uid, 32);

  keycard_client_exported key;
  assert_int_equal(keycard_client_export_key(kc, KEYCARD_CLIENT_EXPORT_PUBLIC, NULL, false, &key), 0);
  expect_hex(key.pub, 65, MASTER_PUB);
  keycard_client_path path;
  assert_int_equal(keycard_client_parse_path("m/43'/60'/1581'/0'/0", &path), 0);
  assert_int_equal(keycard_client_export_key(kc, KEYCARD_CLIENT_EXPORT_PUBLIC, &path, false, &key), 0);
  expect_hex(key.pub, 65, EIP1581_PUB);
  /* private export only under the EIP-1581 prefix */
  assert_int_equal(keycard_client_export_key(kc, KEYCARD_CLIENT_EXPORT_PRIVATE, &path, false, &key), 0);
  assert_true(key.has_priv);
  expect_hex(key.pub, 65, EIP1581_PUB); /* completed from the private key */
  assert_int_equal(keycard_client_export_key(kc, KEYCARD_CLIENT_EXPORT_PRIVATE, NULL, false, &key),
                   KEYCARD_CLIENT_ECARD);
  assert_int_equal(kc->sw, 0x6985);

  /* SIGN with the master key and with a derived one; the recovery id recovers the key */
  uint8_t hash[32];
  assert_int_equal(cf_sha256("cardforge", 9, hash), 0);
  keycard_client_signature sig;
  assert_int_equal(keycard_client_sign(kc, hash, NULL, false, &sig), 0);
  expect_hex(sig.pub, 65, MASTER_PUB);
  assert_true(cf_ec_verify(sig.pub, 65, hash, sig.rs));
  uint8_t rec[65];
  assert_int_equal(cf_ec_recover(hash, sig.rs, sig.recid, rec), 0);
  assert_memory_equal(rec, sig.pub, 65);
  assert_int_equal(keycard_client_parse_path("m/44'/60'/0'/0/0", &path), 0);
  assert_int_equal(keycard_client_sign(kc, hash, &path, false, &sig), 0);
  assert_memory_not_equal(sig.pub, pub, 65);
  assert_true(cf_ec_verify(sig.pub, 65, hash, sig.rs));

  /* DERIVE KEY moves the current key: the key path and the signing key follow */
  assert_int_equal(keycard_client_derive_key(kc, &path), 0);
  uint8_t raw[64];
  size_t rlen = 0;
  char text[128];
  assert_int_equal(keycard_client_get_key_path(kc, raw, sizeof raw, &rlen), 0);
  assert_int_equal(keycard_client_format_path(raw, rlen, text, sizeof text), 0);
  assert_string_equal(text, "m/44'/60'/0'/0/0");
  keycard_client_signature sig2;
  assert_int_equal(keycard_client_sign(kc, hash, NULL, false, &sig2), 0);
  assert_memory_equal(sig2.pub, sig.pub, 65);

  /* public data object */
  uint8_t data[64];
  size_t dlen = 0;
  assert_int_equal(keycard_client_store_data(kc, KEYCARD_CLIENT_DATA_PUBLIC, (const uint8_t *)"hello", 5), 0);
  assert_int_equal(keycard_client_get_data(kc, KEYCARD_CLIENT_DATA_PUBLIC, data, sizeof data, &dlen), 0);
  assert_int_equal(dlen, 5);
  assert_memory_equal(data, "hello", 5);

  /* a new PIN works after a fresh SELECT; the old one no longer does */
  assert_int_equal(keycard_client_change_secret(kc, KEYCARD_CLIENT_CHANGE_PIN, (const uint8_t *)"654321", 6),
                   0);
  assert_int_equal(keycard_client_change_secret(kc, KEYCARD_CLIENT_CHANGE_PIN, (const uint8_t *)"65432", 5),
                   KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_true(kc->info.has_key);
  assert_memory_equal(kc->info.key_uid, want_uid, 32);
  assert_int_equal(kc->info.free_slots, 9); /* ten slots (3.2), one used */
  /* GET DATA works without a channel too */
  assert_int_equal(keycard_client_get_data(kc, KEYCARD_CLIENT_DATA_PUBLIC, data, sizeof data, &dlen), 0);
  assert_int_equal(dlen, 5);
  assert_int_equal(keycard_client_open_channel(kc), 0);
  assert_int_equal(keycard_client_verify_pin(kc, PIN, &retries), KEYCARD_CLIENT_ECARD);
  assert_int_equal(keycard_client_verify_pin(kc, "654321", &retries), 0);

  /* REMOVE KEY, then UNPAIR our own slot: the pairing is gone */
  assert_int_equal(keycard_client_remove_key(kc), 0);
  assert_int_equal(keycard_client_get_status(kc, &st), 0);
  assert_false(st.key_initialized);
  assert_int_equal(keycard_client_unpair(kc, kc->pairing_index), 0);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_int_equal(kc->info.free_slots, 10);
  assert_int_equal(keycard_client_open_channel(kc), KEYCARD_CLIENT_ECARD);

  /* FACTORY RESET: back to the pre-INIT form */
  assert_int_equal(keycard_client_factory_reset(kc), 0);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_false(kc->info.initialized);
  fixture_close(&f);
}

static void keycard_client_e2e_init_options_and_unblock(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, "version=3.1"); /* retry limits and an alternate PIN in INIT: 3.1 only */
  keycard_client *kc = &f.kc;
  uint8_t secret[32];
  default_secret(secret);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_int_equal(keycard_client_init_card(kc, PIN, PUK, secret, 4, 6, "111111"), 0);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_int_equal(kc->info.version, 0x0301);
  assert_int_equal(keycard_client_pair(kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(kc), 0);
  keycard_client_status st;
  assert_int_equal(keycard_client_get_status(kc, &st), 0);
  assert_int_equal(st.pin_retries, 4);
  assert_int_equal(st.puk_retries, 6);
  assert_int_equal(keycard_client_verify_pin(kc, "111111", NULL), 0); /* the alternate PIN */

  int retries = -1;
  for (int left = 3; left >= 0; left--) {
    assert_int_equal(keycard_client_verify_pin(kc, "999999", &retries), KEYCARD_CLIENT_ECARD);
    assert_int_equal(retries, left);
  }
  assert_int_equal(keycard_client_verify_pin(kc, PIN, &retries), KEYCARD_CLIENT_ECARD);
  assert_int_equal(retries, 0);
  assert_int_equal(keycard_client_unblock_pin(kc, "000000000000", "222222", &retries), KEYCARD_CLIENT_ECARD);
  assert_int_equal(retries, 5);
  assert_int_equal(keycard_client_unblock_pin(kc, "12345678901", "222222", &retries), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_unblock_pin(kc, PUK, "222222", &retries), 0);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_int_equal(keycard_client_open_channel(kc), 0);
  assert_int_equal(keycard_client_verify_pin(kc, "222222", NULL), 0);
  fixture_close(&f);
}

static void keycard_client_e2e_duplicate(void **state) {
  (void)state;
  fixture cards[3];
  for (int i = 0; i < 3; i++) {
    fixture_open(&cards[i], "version=2.2.1"); /* the only version with DUPLICATE KEY */
    bring_up(&cards[i]);
  }
  uint8_t src_uid[32];
  assert_int_equal(keycard_client_generate_key(&cards[0].kc, src_uid), 0);
  uint8_t entropy[3][32];
  for (int i = 0; i < 3; i++)
    assert_int_equal(cf_rand(entropy[i], 32), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(keycard_client_duplicate_start(&cards[i].kc, 3, entropy[0]), 0);
  /* EXPORT before every piece is in: refused */
  assert_int_equal(keycard_client_duplicate_export(&cards[0].kc, (uint8_t[256]){0}, 256, &(size_t){0}),
                   KEYCARD_CLIENT_ECARD);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(keycard_client_select(&cards[i].kc, NULL, 0), 0);
    for (int p = 1; p < 3; p++)
      assert_int_equal(keycard_client_duplicate_add_entropy(&cards[i].kc, entropy[p]), 0);
    assert_false(cards[i].kc.sc.open);
    /* one piece too many */
    assert_int_equal(keycard_client_duplicate_add_entropy(&cards[i].kc, entropy[1]), KEYCARD_CLIENT_ECARD);
  }
  uint8_t blob[KEYCARD_CLIENT_MAX_PLAIN];
  size_t blen = 0;
  assert_int_equal(keycard_client_select(&cards[0].kc, NULL, 0), 0);
  assert_int_equal(keycard_client_open_channel(&cards[0].kc), 0);
  assert_int_equal(keycard_client_verify_pin(&cards[0].kc, PIN, NULL), 0);
  assert_int_equal(keycard_client_duplicate_export(&cards[0].kc, blob, sizeof blob, &blen), 0);
  for (int i = 1; i < 3; i++) {
    uint8_t uid[32];
    assert_int_equal(keycard_client_select(&cards[i].kc, NULL, 0), 0);
    assert_int_equal(keycard_client_open_channel(&cards[i].kc), 0);
    assert_int_equal(keycard_client_verify_pin(&cards[i].kc, PIN, NULL), 0);
    assert_int_equal(keycard_client_duplicate_import(&cards[i].kc, blob, blen, uid), 0);
    assert_memory_equal(uid, src_uid, 32);
  }
  /* the same hash signed on the three cards: same key, same (deterministic) signature */
  uint8_t hash[32];
  assert_int_equal(cf_sha256("duplicate", 9, hash), 0);
  keycard_client_signature sig[3];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(keycard_client_sign(&cards[i].kc, hash, NULL, false, &sig[i]), 0);
    assert_true(cf_ec_verify(sig[i].pub, 65, hash, sig[i].rs));
  }
  assert_memory_equal(sig[0].pub, sig[1].pub, 65);
  assert_memory_equal(sig[0].pub, sig[2].pub, 65);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(keycard_client_select(&cards[i].kc, NULL, 0), 0);
    assert_memory_equal(cards[i].kc.info.key_uid, src_uid, 32);
    fixture_close(&cards[i]);
  }
}

/* LOAD KEY with a key pair TLV: with and without the public key, with and without a chain code. */
static void keycard_client_e2e_load_keypair(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, "");
  bring_up(&f);
  keycard_client *kc = &f.kc;
  uint8_t priv[32], pub[65], chain[32], uid[32], want_uid[32], hash[32];
  memset(priv, 0x5C, 32);
  memset(chain, 0xC5, 32);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_int_equal(cf_sha256(pub, 65, want_uid), 0);
  assert_int_equal(cf_sha256("keypair", 7, hash), 0);
  keycard_client_path path;
  assert_int_equal(keycard_client_parse_path("m/1", &path), 0);
  for (int variant = 0; variant < 4; variant++) {
    bool with_pub = variant & 1, with_chain = variant & 2;
    assert_int_equal(
        keycard_client_load_keypair(kc, priv, with_pub ? pub : NULL, with_chain ? chain : NULL, uid), 0);
    assert_memory_equal(uid, want_uid, 32);
    keycard_client_signature sig;
    assert_int_equal(keycard_client_sign(kc, hash, NULL, false, &sig), 0);
    assert_memory_equal(sig.pub, pub, 65);
    keycard_client_exported key;
    int rc = keycard_client_export_key(kc, KEYCARD_CLIENT_EXPORT_EXTENDED_PUBLIC, NULL, false, &key);
    if (with_chain) {
      assert_int_equal(rc, 0);
      assert_memory_equal(key.chain, chain, 32);
      assert_int_equal(keycard_client_derive_key(kc, &path), 0);
    } else {
      /* no chain code: no derivation */
      assert_int_equal(keycard_client_derive_key(kc, &path), KEYCARD_CLIENT_ECARD);
      assert_int_equal(kc->sw, 0x6985);
    }
  }
  fixture_close(&f);
}

static void keycard_client_e2e_tampered_answers(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, "");
  keycard_client *kc = &f.kc;
  uint8_t secret[32];
  default_secret(secret);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_int_equal(keycard_client_init_card(kc, PIN, PUK, secret, 0, 0, NULL), 0);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);

  /* a corrupted card cryptogram: the client stops before answering the challenge */
  f.tp.corrupt_at = f.tp.exchanges + 1;
  f.tp.flip_at = 5;
  assert_int_equal(keycard_client_pair(kc, secret), KEYCARD_CLIENT_EVERIFY);
  assert_int_equal(f.tp.exchanges, f.tp.corrupt_at); /* PAIR step 2 never sent */
  assert_false(kc->paired);

  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_int_equal(keycard_client_pair(kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(kc), 0);
  assert_int_equal(keycard_client_verify_pin(kc, PIN, NULL), 0);

  /* every bit position of a secure answer is covered by its MAC */
  for (size_t flip = 0; flip < 32; flip += 7) {
    keycard_client_status st;
    f.tp.corrupt_at = f.tp.exchanges + 1;
    f.tp.flip_at = flip;
    assert_int_equal(keycard_client_get_status(kc, &st), KEYCARD_CLIENT_EVERIFY);
    assert_false(kc->sc.open);
    assert_int_equal(keycard_client_get_status(kc, &st), KEYCARD_CLIENT_ESTATE);
    assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
    assert_int_equal(keycard_client_open_channel(kc), 0);
  }

  /* 6982 outside an open channel: the channel is gone, i.e. another program reset or used the
   * card (a transport-level failure with its own exit code, never "wrong pairing") */
  keycard_client_status st;
  f.tp.replace_at = f.tp.exchanges + 1;
  f.tp.replace_sw = 0x6982;
  assert_int_equal(keycard_client_get_status(kc, &st), KEYCARD_CLIENT_ETRANSPORT);
  assert_int_equal(kc->sw, 0x6982);
  assert_int_equal(kc->t->fault, CF_TRANSPORT_FAULT_SHARED);
  assert_non_null(strstr(kc->err, "another program reset or used the card"));
  assert_false(kc->sc.open);

  /* a wrong pairing key: MUTUALLY AUTHENTICATE fails with 6982 */
  uint8_t bogus[32];
  memset(bogus, 0x5A, 32);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  keycard_client_set_pairing(kc, kc->pairing_index, bogus);
  assert_int_equal(keycard_client_open_channel(kc), KEYCARD_CLIENT_EVERIFY);
  assert_false(kc->sc.open);

  /* a SELECT answer that is not a Keycard's */
  f.tp.replace_at = f.tp.exchanges + 1;
  f.tp.replace_sw = 0x6A82;
  assert_int_equal(keycard_client_select(kc, NULL, 0), KEYCARD_CLIENT_ECARD);
  f.tp.corrupt_at = f.tp.exchanges + 1;
  f.tp.flip_at = 0; /* A4 -> A5 */
  assert_int_equal(keycard_client_select(kc, NULL, 0), KEYCARD_CLIENT_EPROTO);
  assert_false(kc->selected);

  /* a reader that fails mid-session: a transport error, the channel forgotten */
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  keycard_client_set_pairing(kc, 0, f.kc.pairing_key);
  f.tp.fail_at = f.tp.exchanges + 1;
  assert_int_equal(keycard_client_open_channel(kc), KEYCARD_CLIENT_ETRANSPORT);
  assert_non_null(strstr(kc->err, "reader unplugged"));
  assert_false(kc->sc.open);
  fixture_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_client_e2e_lifecycle),
      cmocka_unit_test(keycard_client_e2e_init_options_and_unblock),
      cmocka_unit_test(keycard_client_e2e_duplicate),
      cmocka_unit_test(keycard_client_e2e_load_keypair),
      cmocka_unit_test(keycard_client_e2e_tampered_answers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
