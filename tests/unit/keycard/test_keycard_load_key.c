/* Keycard applet: how LOAD KEY reads its key template. The applet walks the TLV by offsets
 * (status-keycard KeycardApplet.java loadKeyPair, tags 2.2.1 to 3.2) and hands the private key
 * to ECPrivateKey.setS with the length its TLV gives, right-aligned: SDKs that strip a leading 00
 * byte send 81 1F (or shorter), and the card must load the same key. Run on every version. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

static const char *const versions[] = {"version=2.2.1", "version=3.0", "version=3.1", "version=3.2"};
#define VERSION_COUNT (sizeof versions / sizeof versions[0])

/* A valid private key whose first two bytes are zero, so it has 30-, 31- and 32-byte encodings. */
static void short_key(uint8_t priv[32], uint8_t pub[65]) {
  do {
    assert_int_equal(cf_rand(priv + 2, 30), 0);
    priv[0] = priv[1] = 0;
  } while (!cf_ec_priv_valid(priv));
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
}

/* A1 L { [80 public key] 81 <skip leading bytes of priv> [82 chain] } */
static size_t template_of(uint8_t *out, const uint8_t priv[32], size_t skip, const uint8_t *pub,
                          size_t pub_len, const uint8_t *chain) {
  uint8_t body[200];
  size_t n = 0;
  if (pub) {
    body[n++] = 0x80, body[n++] = (uint8_t)pub_len;
    memcpy(body + n, pub, pub_len), n += pub_len;
  }
  body[n++] = 0x81, body[n++] = (uint8_t)(32 - skip);
  memcpy(body + n, priv + skip, 32 - skip), n += 32 - skip;
  if (chain) {
    body[n++] = 0x82, body[n++] = 32;
    memcpy(body + n, chain, 32), n += 32;
  }
  size_t m = 0;
  out[m++] = 0xA1;
  if (n > 127) out[m++] = 0x81;
  out[m++] = (uint8_t)n;
  memcpy(out + m, body, n);
  return m + n;
}

/* The public key of the master key: EXPORT KEY P1 00 P2 01 right after LOAD KEY (empty path). */
static void master_pub(kch *h, uint8_t pub[65]) {
  assert_int_equal(kch_cmd(h, 0xC2, 0x00, 0x01, NULL, 0), 0x9000);
  assert_int_equal(h->len, 69);
  assert_memory_equal(h->data, "\xA1\x43\x80\x41", 4);
  memcpy(pub, h->data + 4, 65);
}

/* 30-, 31- and 32-byte encodings of one key: the same key UID and public key, with or without a
 * chain code and a public key in the template; and the same child key when extended. */
static void keycard_load_key_short_private_key(void **state) {
  (void)state;
  uint8_t priv[32], pub[65], chain[32], uid[32];
  short_key(priv, pub);
  assert_int_equal(cf_rand(chain, 32), 0);
  assert_int_equal(cf_sha256(pub, 65, uid), 0);
  for (size_t v = 0; v < VERSION_COUNT; v++) {
    kch h;
    kch_ready_pin(&h, versions[v]);
    uint8_t child_first[65];
    for (size_t skip = 0; skip <= 2; skip++) {
      for (int form = 0; form < 3; form++) { /* priv only, priv + chain, pub + priv + chain */
        uint8_t tpl[160], got[65];
        size_t n = template_of(tpl, priv, skip, form == 2 ? pub : NULL, 65, form >= 1 ? chain : NULL);
        assert_int_equal(kch_cmd(&h, 0xD0, form ? 0x02 : 0x01, 0, tpl, n), 0x9000);
        assert_int_equal(h.len, 32);
        assert_memory_equal(h.data, uid, 32);
        assert_int_equal(kch_select(&h), 0x9000);
        assert_memory_equal(h.select + h.select_len - 35, uid, 32); /* 8E 20 <key UID> 8D 01 xx */
        assert_int_equal(kch_open(&h), 0x9000);
        assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
        master_pub(&h, got);
        assert_memory_equal(got, pub, 65);
        if (form >= 1) {
          assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, "\x80\0\0\x2C\0\0\0\1", 8), 0x9000);
          if (skip == 0 && form == 1) memcpy(child_first, h.data + 4, 65);
          assert_memory_equal(h.data + 4, child_first, 65);
        }
      }
    }
    kch_free(&h);
  }
}

static void keycard_load_key_length_rules(void **state) {
  (void)state;
  uint8_t priv[32], pub[65], chain[32], uid[32], pub33[33];
  assert_int_equal(cf_ec_keygen(priv, pub), 0);
  assert_int_equal(cf_ec_pub_normalize(pub, 65, NULL, pub33), 0);
  assert_int_equal(cf_rand(chain, 32), 0);
  assert_int_equal(cf_sha256(pub, 65, uid), 0);
  for (size_t v = 0; v < VERSION_COUNT; v++) {
    kch h;
    kch_ready_pin(&h, versions[v]);
    uint8_t tpl[200], before[32], after[32];
    size_t n;
    kch_snapshot(&h, before);
    /* a private key of 33 bytes, of none, or longer than the data */
    const uint8_t p33[37] = {0xA1, 35, 0x81, 33};
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, p33, sizeof p33), 0x6A80);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, "\xA1\x02\x81\x00", 4), 0x6A80);
    n = template_of(tpl, priv, 0, NULL, 0, NULL);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, tpl, n - 1), 0x6A80);
    /* a chain code must be 32 bytes, and all there */
    n = template_of(tpl, priv, 0, NULL, 0, chain);
    tpl[2 + 34 + 1] = 31;
    assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, tpl, n), 0x6A80);
    n = template_of(tpl, priv, 0, NULL, 0, chain);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, tpl, n - 1), 0x6A80);
    /* a public key that is no point, or not the private key's */
    n = template_of(tpl, priv, 0, pub, 64, NULL);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, tpl, n), 0x6A80);
    uint8_t other[65];
    memcpy(other, pub, 65);
    other[64] ^= 1;
    n = template_of(tpl, priv, 0, other, 65, NULL);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, tpl, n), 0x6A80);
    /* length bytes of 80..FF (negative in the applet's Java bytes) */
    n = template_of(tpl, priv, 0, NULL, 0, NULL);
    tpl[3] = 0xA0;
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, tpl, n), 0x6A80);
    kch_snapshot(&h, after);
    assert_memory_equal(before, after, 32);

    /* taken as the applet takes them: a compressed public key, a template length that is wrong,
     * and bytes after the elements */
    n = template_of(tpl, priv, 0, pub33, 33, chain);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, tpl, n), 0x9000);
    assert_memory_equal(h.data, uid, 32);
    n = template_of(tpl, priv, 0, NULL, 0, chain);
    tpl[1] = 0x10;
    assert_int_equal(kch_cmd(&h, 0xD0, 0x02, 0, tpl, n), 0x9000);
    assert_memory_equal(h.data, uid, 32);
    n = template_of(tpl, priv, 0, NULL, 0, NULL);
    memcpy(tpl + n, "\x99\x01\x02\x03", 4);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x01, 0, tpl, n + 4), 0x9000);
    assert_memory_equal(h.data, uid, 32);
    /* 81 20 then something that is not 82: a key without a chain code, not extended */
    assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\1", 4), 0x6985);
    kch_free(&h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_load_key_short_private_key),
      cmocka_unit_test(keycard_load_key_length_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
