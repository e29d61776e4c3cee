/* Keycard applet: SIGN and EXPORT KEY remember the last key they derived (and its public key)
 * across commands. Whatever changes between two commands (the key, the chain code in use, the
 * path, the session), every answer must be byte for byte what a fresh card, with nothing
 * remembered, answers in the same state. Signatures are deterministic (RFC 6979), so whole SIGN
 * answers compare. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "kc_host.h"

#define ALT_PIN "123456" /* without one in INIT, the first six digits of the PUK */

static const uint8_t path_a[20] = {0x80, 0, 0, 44, 0x80, 0, 0, 60, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t path_b[20] = {0x80, 0, 0, 44, 0x80, 0, 0, 60, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

typedef struct answer {
  uint8_t data[256];
  size_t len;
} answer;

static void load_seed(kch *h, uint8_t fill) {
  uint8_t seed[64];
  memset(seed, fill, sizeof seed);
  assert_int_equal(kch_cmd(h, 0xD0, 0x03, 0, seed, sizeof seed), 0x9000);
}

/* SIGN P1 01 (derive from the current path, which stays empty here) with path levels. */
static void sign_at(kch *h, const uint8_t *path, size_t path_len, answer *out) {
  uint8_t data[32 + 40];
  assert_int_equal(cf_sha256("derived key cache", 17, data), 0);
  memcpy(data + 32, path, path_len);
  assert_int_equal(kch_cmd(h, 0xC0, 0x01, 0, data, 32 + path_len), 0x9000);
  assert_true(h->len > 70 && h->len <= sizeof out->data);
  /* the answer's public key verifies its own signature */
  uint8_t sig[64];
  assert_int_equal(cf_ec_sig_from_der(h->data + 70, h->len - 70, sig), 0);
  assert_true(cf_ec_verify(h->data + 5, 65, data, sig));
  memcpy(out->data, h->data, h->len);
  out->len = h->len;
}

/* EXPORT KEY P1 01 P2 02: the extended public key at a path. */
static void export_at(kch *h, const uint8_t *path, size_t path_len, answer *out) {
  assert_int_equal(kch_cmd(h, 0xC2, 0x01, 0x02, path, path_len), 0x9000);
  memcpy(out->data, h->data, h->len);
  out->len = h->len;
}

static void assert_same(const answer *a, const answer *b) {
  assert_int_equal(a->len, b->len);
  assert_memory_equal(a->data, b->data, a->len);
}

static void assert_other_key(const answer *a, const answer *b) {
  assert_memory_not_equal(a->data + 5, b->data + 5, 65);
}

/* What a fresh card with seed `fill`, logged in with `pin`, answers at path. */
static void reference(uint8_t fill, const char *pin, const uint8_t *path, answer *sign, answer *export) {
  kch f;
  kch_ready(&f, NULL);
  assert_int_equal(kch_cmd(&f, 0x20, 0, 0, pin, 6), 0x9000);
  load_seed(&f, fill);
  if (sign) sign_at(&f, path, 20, sign);
  kch_free(&f);
  if (export) {
    kch_ready(&f, NULL);
    assert_int_equal(kch_cmd(&f, 0x20, 0, 0, pin, 6), 0x9000);
    load_seed(&f, fill);
    export_at(&f, path, 20, export);
    kch_free(&f);
  }
}

static void derived_key_follows_every_change(void **state) {
  (void)state;
  answer ref_a, ref_b, ref_a_alt, ref_a_other, ref_exp_a, ref_exp_a_other, got, again;
  reference(0x11, KCH_PIN, path_a, &ref_a, &ref_exp_a);
  reference(0x11, KCH_PIN, path_b, &ref_b, NULL);
  reference(0x11, ALT_PIN, path_a, &ref_a_alt, NULL);
  reference(0x22, KCH_PIN, path_a, &ref_a_other, &ref_exp_a_other);
  assert_other_key(&ref_a, &ref_b);
  assert_other_key(&ref_a, &ref_a_alt);
  assert_other_key(&ref_a, &ref_a_other);

  kch h;
  kch_ready_pin(&h, NULL);
  load_seed(&h, 0x11);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a);
  sign_at(&h, path_a, 20, &again); /* the remembered key */
  assert_same(&again, &ref_a);
  export_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_exp_a);
  /* another path, then back */
  sign_at(&h, path_b, 20, &got);
  assert_same(&got, &ref_b);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a);
  /* the alternate PIN switches the chain code, within the same session */
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, ALT_PIN, 6), 0x9000);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a_alt);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a);
  /* a new key over the old one, same path, no reset */
  load_seed(&h, 0x22);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a_other);
  export_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_exp_a_other);
  /* removed and loaded again: the first key's answers again */
  assert_int_equal(kch_cmd(&h, 0xD3, 0, 0, NULL, 0), 0x9000);
  uint8_t data[52] = {0};
  memcpy(data + 32, path_a, 20);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, data, sizeof data), 0x6985);
  load_seed(&h, 0x11);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a);
  /* a new session (SELECT) and a reset keep nothing stale either */
  kch_reopen(&h);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a);
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, ALT_PIN, 6), 0x9000);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref_a_alt);
  kch_free(&h);
}

/* LOAD KEY P1 02: an extended key template A1 { 81 private key, 82 chain code }. */
static void load_template(kch *h, uint8_t priv_fill, uint8_t chain_fill) {
  uint8_t tpl[2 + 34 + 34] = {0xA1, 68, 0x81, 32};
  memset(tpl + 4, priv_fill, 32);
  tpl[36] = 0x82, tpl[37] = 32;
  memset(tpl + 38, chain_fill, 32);
  assert_int_equal(kch_cmd(h, 0xD0, 0x02, 0, tpl, sizeof tpl), 0x9000);
}

/* Two keys with the same chain code: only the private key tells their derivations apart. */
static void same_chain_code_other_key(void **state) {
  (void)state;
  answer ref1, ref2, got;
  kch f;
  kch_ready_pin(&f, NULL);
  load_template(&f, 0x01, 0x77);
  sign_at(&f, path_a, 20, &ref1);
  kch_free(&f);
  kch_ready_pin(&f, NULL);
  load_template(&f, 0x02, 0x77);
  sign_at(&f, path_a, 20, &ref2);
  kch_free(&f);
  assert_other_key(&ref1, &ref2);
  kch h;
  kch_ready_pin(&h, NULL);
  load_template(&h, 0x01, 0x77);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref1);
  load_template(&h, 0x02, 0x77);
  sign_at(&h, path_a, 20, &got);
  assert_same(&got, &ref2);
  kch_free(&h);
}

/* The current path made by DERIVE KEY is the same derivation as a path given to SIGN. */
static void current_path_and_given_path_agree(void **state) {
  (void)state;
  answer ref, got;
  reference(0x33, KCH_PIN, path_b, &ref, NULL);
  kch h;
  kch_ready_pin(&h, NULL);
  load_seed(&h, 0x33);
  sign_at(&h, path_a, 20, &got); /* something else remembered first */
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, path_b, 20), 0x9000);
  uint8_t hash[32];
  assert_int_equal(cf_sha256("derived key cache", 17, hash), 0);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x9000);
  assert_int_equal(h.len, ref.len);
  assert_memory_equal(h.data, ref.data, ref.len);
  /* the master key (empty path) answers its own public key, the one EXPORT KEY gives */
  assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, hash, 32), 0x9000);
  uint8_t master[65], sig[64];
  memcpy(master, h.data + 5, 65);
  assert_int_equal(cf_ec_sig_from_der(h.data + 70, h.len - 70, sig), 0);
  assert_true(cf_ec_verify(master, 65, hash, sig));
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x9000);
  assert_memory_equal(h.data + 4, master, 65);
  kch_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(derived_key_follows_every_change),
      cmocka_unit_test(same_chain_code_other_key),
      cmocka_unit_test(current_path_and_given_path_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
