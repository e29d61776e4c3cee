/* Keycard applet: DERIVE KEY, SIGN, SET PINLESS PATH and EXPORT KEY of 2.2.1 and 3.0 (derivation
 * at DERIVE KEY time, their checks and answers) next to 3.1, and SET NDEF of 2.2.1; the rows of
 * the version table in docs/keycard.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

static const char *const eager_versions[] = {"version=2.2.1", "version=3.0"};

/* m/43'/60'/1581'/0'/0 (EIP-1581, 5 levels) and m/44'/60'/0'/0 */
static const uint8_t eip[20] = {0x80, 0,    0,    0x2B, 0x80, 0, 0, 0x3C, 0x80, 0,
                                0x06, 0x2D, 0x80, 0,    0,    0, 0, 0,    0,    0};
static const uint8_t bip44[16] = {0x80, 0, 0, 0x2C, 0x80, 0, 0, 0x3C, 0x80, 0, 0, 0, 0, 0, 0, 0};

static void ready_with_seed(kch *h, const char *params) {
  kch_ready_pin(h, params);
  uint8_t seed[64];
  memset(seed, 0x5C, sizeof seed);
  assert_int_equal(kch_cmd(h, 0xD0, 0x03, 0, seed, 64), 0x9000);
}

/* The public key EXPORT KEY P1 01 P2 01 gives for a path from the master key. */
static void public_at(kch *h, const uint8_t *path, size_t len, uint8_t pub[65]) {
  assert_int_equal(kch_cmd(h, 0xC2, 0x01, 0x01, path, len), 0x9000);
  assert_int_equal(h->len, 69);
  memcpy(pub, h->data + 4, 65);
}

static void keycard_eager_derive_key(void **state) {
  (void)state;
  for (size_t v = 0; v < 2; v++) {
    kch h;
    kch_ready_pin(&h, eager_versions[v]);
    /* no key, or a key without a chain code: 6985 even for no levels (3.1: 9000) */
    assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, NULL, 0), 0x6985);
    uint8_t only[36] = {0xA1, 34, 0x81, 32};
    memset(only + 4, 0x11, 32);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, only, 36), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, NULL, 0), 0x6985);
    kch_free(&h);

    ready_with_seed(&h, eager_versions[v]);
    assert_int_equal(kch_cmd(&h, 0xD1, 0x40, 0, "\0\0\0\1", 4), 0x6B00); /* no parent yet */
    assert_int_equal(kch_cmd(&h, 0xD1, 0x80, 0, NULL, 0), 0x6A80);
    assert_int_equal(kch_cmd(&h, 0xD1, 0xC0, 0, NULL, 0), 0x6A86);
    assert_int_equal(kch_cmd(&h, 0xD1, 0x01, 0, bip44, 16), 0x6A86);
    assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, bip44, 15), 0x6A80);
    assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, bip44, 16), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xD1, 0x40, 0, NULL, 0), 0x6A80); /* a parent, but no level */
    assert_int_equal(kch_cmd(&h, 0xD1, 0x40, 0, "\0\0\0\7", 4), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
    assert_int_equal(h.len, 16);
    assert_memory_equal(h.data, bip44, 12);
    assert_memory_equal(h.data + 12, "\0\0\0\7", 4);
    /* 00 without data: back to the master key */
    assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, NULL, 0), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
    assert_int_equal(h.len, 0);
    kch_free(&h);
  }
  /* 3.1 for contrast */
  kch h;
  ready_with_seed(&h, "version=3.1");
  assert_int_equal(kch_cmd(&h, 0xD1, 0x80, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD1, 0xC0, 0, NULL, 0), 0x9000);
  kch_free(&h);
}

static void keycard_eager_sign(void **state) {
  (void)state;
  uint8_t data[32 + 16], want[65], pinless_pub[65];
  memset(data, 0x42, 32);
  memcpy(data + 32, bip44, 16);
  for (size_t v = 0; v < 3; v++) {
    bool eager = v < 2;
    kch h;
    ready_with_seed(&h, v < 2 ? eager_versions[v] : "version=3.1");
    public_at(&h, bip44, 16, want);
    /* P1 00 with levels after the hash; P1 01 with the hash only */
    assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, data, 36), eager ? 0x6A80 : 0x9000);
    assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, data, 32), eager ? 0x6A80 : 0x9000);
    assert_int_equal(kch_cmd(&h, 0xC0, 0xC1, 0, data, 36), eager ? 0x6A86 : 0x6A80);
    /* P1 01 derives without making current, P1 02 makes it current */
    assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, data, sizeof data), 0x9000);
    assert_memory_equal(h.data + 5, want, 65);
    assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
    assert_int_equal(h.len, 0);
    assert_int_equal(kch_cmd(&h, 0xC0, 0x02, 0, data, sizeof data), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, data, 32), 0x9000);
    assert_memory_equal(h.data + 5, want, 65);
    /* without the PIN: the PIN check comes before the length check in 2.2.1 and 3.0 */
    kch_reopen(&h);
    assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, data, 31), eager ? 0x6985 : 0x6A80);
    assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, bip44, 16), 0x9000);
    public_at(&h, bip44, 16, pinless_pub);
    kch_reopen(&h);
    /* the current path is the PIN-less one: P1 00 signs without the PIN in every version */
    assert_int_equal(kch_cmd(&h, 0xC0, 0x00, 0, data, 32), 0x9000);
    assert_memory_equal(h.data + 5, pinless_pub, 65);
    /* P1 01 to that same path without the PIN: 3.1 compares the path signed with, 2.2.1 and 3.0
     * the current path (equal here), so all sign */
    assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, data, sizeof data), 0x9000);
    kch_free(&h);
  }
}

static void keycard_eager_set_pinless_path(void **state) {
  (void)state;
  for (size_t v = 0; v < 3; v++) {
    bool eager = v < 2;
    kch h;
    kch_ready_pin(&h, v < 2 ? eager_versions[v] : "version=3.1");
    /* no key: a path needs one with a chain code in 2.2.1 and 3.0 */
    assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, bip44, 16), eager ? 0x6985 : 0x9000);
    assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, NULL, 0), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, bip44, 15), 0x6A80);
    kch_free(&h);
  }
}

static void keycard_eager_export_key(void **state) {
  (void)state;
  for (size_t v = 0; v < 3; v++) {
    bool eager = v < 2;
    kch h;
    ready_with_seed(&h, v < 2 ? eager_versions[v] : "version=3.1");
    uint8_t pub[65], priv_pub[65];
    public_at(&h, eip, 20, priv_pub);
    assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x02, NULL, 0), eager ? 0x6A86 : 0x9000);
    /* a derived private key: 81 alone everywhere */
    assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x00, eip, 20), 0x9000);
    assert_int_equal(h.len, 36);
    assert_memory_equal(h.data, "\xA1\x22\x81\x20", 4);
    uint8_t priv[32], check[65];
    memcpy(priv, h.data + 4, 32);
    assert_int_equal(cf_ec_pub_from_priv(priv, check), 0);
    assert_memory_equal(check, priv_pub, 65);
    /* derive from the current key (80) under a current path that is not EIP-1581: refused */
    assert_int_equal(kch_cmd(&h, 0xC2, 0x81, 0x00, "\0\0\0\1", 4), 0x6985);
    /* make the EIP-1581 path current: 2.2.1 and 3.0 answer the public and the private key */
    assert_int_equal(kch_cmd(&h, 0xC2, 0x02, 0x00, eip, 20), 0x9000);
    if (eager) {
      assert_int_equal(h.len, 103);
      assert_memory_equal(h.data, "\xA1\x65\x80\x41", 4);
      assert_memory_equal(h.data + 4, priv_pub, 65);
      assert_memory_equal(h.data + 69, "\x81\x20", 2);
      assert_memory_equal(h.data + 71, priv, 32);
    } else {
      assert_int_equal(h.len, 36);
      assert_memory_equal(h.data + 4, priv, 32);
    }
    /* P1 00 ignores its data in 2.2.1 and 3.0 (3.1 appends it to the current path) */
    assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, "\0\0\0\1", 4), 0x9000);
    memcpy(pub, h.data + 4, 65);
    if (eager)
      assert_memory_equal(pub, priv_pub, 65);
    else
      assert_memory_not_equal(pub, priv_pub, 65);
    /* from the current EIP-1581 key (80): 2.2.1 and 3.0 check the current path, 3.1 the new one */
    assert_int_equal(kch_cmd(&h, 0xC2, 0x81, 0x00, "\0\0\0\1", 4), 0x9000);
    /* P1 01, source 00, no data: back to the master key, made current in 2.2.1 and 3.0 */
    assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, NULL, 0), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xF2, 0x01, 0, NULL, 0), 0x9000);
    assert_int_equal(h.len, eager ? 0 : 20);
    kch_free(&h);
  }
}

/* SET NDEF (2.2.1): data that carries its own 2-byte length is stored as it is, other data gets
 * 00 Lc in front; more than the 223-byte file is 6F00. Other versions do not know F3. */
static void keycard_eager_set_ndef(void **state) {
  (void)state;
  kch h;
  kch_ready(&h, "version=2.2.1");
  const uint8_t with_len[] = {0x00, 0x03, 0xD0, 0x00, 0x00};
  assert_int_equal(kch_cmd(&h, 0xF3, 0, 0, with_len, sizeof with_len), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF3, 0, 0, with_len, sizeof with_len), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF3, 0, 0, with_len + 2, 3), 0x9000);
  uint8_t big[223];
  memset(big, 0x55, sizeof big);
  uint8_t before[32], after[32];
  kch_snapshot(&h, before);
  assert_int_equal(kch_cmd(&h, 0xF3, 0, 0, big, 222), 0x6F00);
  kch_snapshot(&h, after);
  assert_memory_equal(before, after, 32);
  assert_int_equal(kch_cmd(&h, 0xF3, 0, 0, big, 221), 0x9000);
  big[0] = 0x00, big[1] = 221;
  assert_int_equal(kch_cmd(&h, 0xF3, 0, 0, big, 223), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF3, 0, 0, NULL, 0), 0x9000);
  kch_free(&h);
  kch_ready_pin(&h, "version=3.0");
  assert_int_equal(kch_cmd_not_unwrapped(&h, 0xF3, 0, 0, with_len, sizeof with_len), 0x6D00);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0, with_len, sizeof with_len), 0x9000);
  kch_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_eager_derive_key),       cmocka_unit_test(keycard_eager_sign),
      cmocka_unit_test(keycard_eager_set_pinless_path), cmocka_unit_test(keycard_eager_export_key),
      cmocka_unit_test(keycard_eager_set_ndef),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
