/* Keycard applet: each selectable version is that tag of status-im/status-keycard (2.2.1, 3.0,
 * 3.1.0, 3.2): its instruction set, its INIT forms, its SELECT answer, its PIN rules and its key
 * derivation. The expectations are the table in docs/keycard.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

typedef struct version_case {
  const char *params;
  uint16_t number;
  uint8_t capabilities;
  const uint8_t *extra_ins; /* the instructions this version has beyond the common ones */
  size_t extra_count;
  bool init_options;
  bool identify_before_init;
  uint8_t slots; /* pairing slots, free after INIT */
} version_case;

static const uint8_t ins_221[] = {0xD5, 0xF3};
static const uint8_t ins_30[] = {0xCA, 0xE2};
static const uint8_t ins_31[] = {0x14, 0xCA, 0xE2, 0xFD};
static const uint8_t ins_32[] = {0x14, 0xCA, 0xE2, 0xFD}; /* the tag 3.2 process() adds none */

static const version_case cases[] = {
    {"version=2.2.1", 0x0202, 0x0F, ins_221, sizeof ins_221, false, false, 5},
    {"version=3.0", 0x0300, 0x0F, ins_30, sizeof ins_30, false, false, 5},
    {"version=3.1", 0x0301, 0x1F, ins_31, sizeof ins_31, true, true, 5},
    {"version=3.2", 0x0302, 0x1F, ins_32, sizeof ins_32, true, true, 10},
    {"", 0x0302, 0x1F, ins_32, sizeof ins_32, true, true, 10}, /* the default is 3.2 */
};
#define CASE_COUNT (sizeof cases / sizeof cases[0])

/* Known to every version once initialized: the secure channel, PINs, keys, SIGN, EXPORT, STATUS. */
static const uint8_t ins_common[] = {0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x22, 0xC0,
                                     0xC1, 0xC2, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xF2};

static bool in_list(const uint8_t *list, size_t n, uint8_t ins) {
  for (size_t i = 0; i < n; i++)
    if (list[i] == ins) return true;
  return false;
}

/* Every INS with CLA 80, P1 P2 00, no data, no channel: the version's instructions answer
 * something else than 6D00 (a missing channel, PIN, or bad data), all others 6D00. */
static void keycard_versions_instruction_set(void **state) {
  (void)state;
  for (size_t v = 0; v < CASE_COUNT; v++) {
    const version_case *c = &cases[v];
    kch h;
    kch_new(&h, c->params);
    assert_int_equal(kch_select(&h), 0x9000);
    for (unsigned ins = 0; ins < 0x100; ins++) {
      uint16_t sw = kch_send(&h, 0x80, (uint8_t)ins, 0, 0, NULL, 0);
      bool known = ins == 0xFE || (ins == 0x14 && c->identify_before_init);
      if (known != (sw != 0x6D00)) fail_msg("%s before INIT: INS %02X answered %04X", c->params, ins, sw);
    }
    kch_free(&h);
    kch_ready(&h, c->params);
    kch_reset(&h);
    assert_int_equal(kch_select(&h), 0x9000);
    for (unsigned ins = 0; ins < 0x100; ins++) {
      uint16_t sw = kch_send(&h, 0x80, (uint8_t)ins, 0, 0, NULL, 0);
      bool known = in_list(ins_common, sizeof ins_common, (uint8_t)ins) ||
                   in_list(c->extra_ins, c->extra_count, (uint8_t)ins);
      if (known != (sw != 0x6D00)) fail_msg("%s: INS %02X answered %04X", c->params, ins, sw);
    }
    /* inside the channel an unknown INS is a wrapped 6D00 (answered before unwrapping) */
    assert_int_equal(kch_open(&h), 0x9000);
    if (c->number == 0x0202)
      assert_int_equal(kch_cmd(&h, 0xD5, 0x00, 0x00, NULL, 0), 0x6985); /* PIN not verified */
    else
      assert_int_equal(kch_cmd_not_unwrapped(&h, 0xD5, 0x00, 0x00, NULL, 0), 0x6D00);
    kch_free(&h);
  }
}

/* INIT: 50 bytes everywhere; with try limits (52) and an alternate PIN (58) only from 3.1. */
static void keycard_versions_init_forms(void **state) {
  (void)state;
  const uint8_t limits[8] = {4, 6, '1', '1', '1', '1', '1', '1'};
  for (size_t v = 0; v < CASE_COUNT; v++) {
    const version_case *c = &cases[v];
    for (size_t extra = 0; extra <= 8; extra += 2) {
      if (extra == 4 || extra == 6) continue;
      kch h;
      kch_new(&h, c->params);
      assert_int_equal(kch_select(&h), 0x9000);
      uint16_t want = extra == 0 || c->init_options ? 0x9000 : 0x6A80;
      assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), limits, extra), want);
      if (want == 0x9000) {
        assert_int_equal(kch_select(&h), 0x9000);
        assert_int_equal(kch_pair(&h, kch_test_secret()), 0x9000);
        assert_int_equal(kch_open(&h), 0x9000);
        int pin, puk;
        bool key;
        kch_status(&h, &pin, &puk, &key);
        assert_int_equal(pin, extra ? 4 : 3);
        assert_int_equal(puk, extra ? 6 : 5);
        /* the alternate PIN of the 58-byte form */
        if (extra == 8) assert_int_equal(kch_cmd(&h, 0x20, 0, 0, "111111", 6), 0x9000);
      }
      kch_free(&h);
    }
  }
}

/* SELECT after INIT: version, free slots and capabilities; 2.2.1 and 3.0 make a new channel key at
 * the 101st SELECT (SC_COUNTER_MAX 100), 3.1 and 3.2 never do. */
static void keycard_versions_application_info(void **state) {
  (void)state;
  for (size_t v = 0; v < CASE_COUNT; v++) {
    const version_case *c = &cases[v];
    kch h;
    kch_ready(&h, c->params); /* its SELECT after INIT is the first one counted */
    assert_int_equal(h.select_len, 99);
    const uint8_t *tail = h.select + 20 + 67;
    assert_memory_equal(tail, "\x02\x02", 2);
    assert_int_equal((tail[2] << 8) | tail[3], c->number);
    assert_memory_equal(tail + 4, "\x02\x01", 2);
    assert_int_equal(tail[6], c->slots); /* taken before PAIR */
    assert_memory_equal(tail + 7, "\x8E\x00\x8D\x01", 4);
    assert_int_equal(tail[11], c->capabilities);
    uint8_t first[65];
    memcpy(first, h.card_pub, 65);
    for (int i = 2; i <= 100; i++) {
      assert_int_equal(kch_select(&h), 0x9000);
      assert_memory_equal(h.card_pub, first, 65);
    }
    assert_int_equal(kch_select(&h), 0x9000);
    if (c->number >= 0x0301)
      assert_memory_equal(h.card_pub, first, 65);
    else
      assert_memory_not_equal(h.card_pub, first, 65);
    /* the pairing still holds with the new key */
    assert_int_equal(kch_open(&h), 0x9000);
    kch_free(&h);
  }
}

/* VERIFY PIN of something that is not 6 digits: 6A80 from 3.0, a wrong PIN (one try) in 2.2.1. */
static void keycard_versions_verify_pin_format(void **state) {
  (void)state;
  for (size_t v = 0; v < CASE_COUNT; v++) {
    kch h;
    kch_ready(&h, cases[v].params);
    bool checks = cases[v].number != 0x0202;
    assert_int_equal(kch_cmd(&h, 0x20, 0, 0, "12345", 5), checks ? 0x6A80 : 0x63C2);
    assert_int_equal(kch_cmd(&h, 0x20, 0, 0, "00000a", 6), checks ? 0x6A80 : 0x63C1);
    assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
    kch_free(&h);
  }
}

/* BIP32 test vector 2 (bitcoin/bips bip-0032.mediawiki): seed, and the public keys of m/0 and
 * m/0/2147483647' (from the published xpubs). */
static const char tv2_seed[] =
    "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b"
    "7875726f6c696663605d5a5754514e4b484542";
static const char tv2_m[] = "03cbcaa9c98c877a26977d00825c956a238e8dddfbd322cce4f74b0b5bd6ace4a7";
static const char tv2_m_0[] = "02fc9e5af0ac8d9b3cecfe2a888e2117ba3d089d8585886c9c826b6b22a98d12ea";
static const char tv2_m_0_h[] = "03c01e7425647bdefa82b12d9bad5e3e6865bee0502694b94ca58b666abc0a5c3b";

/* EXPORT KEY P1 01 P2 01 (derive from the master key, public key): the compressed key. */
static void export_public(kch *h, const uint8_t *path, size_t len, uint8_t out[33]) {
  assert_int_equal(kch_cmd(h, 0xC2, 0x01, 0x01, path, len), 0x9000);
  assert_int_equal(h->len, 69);
  assert_memory_equal(h->data, "\xA1\x43\x80\x41", 4);
  assert_int_equal(cf_ec_pub_normalize(h->data + 4, 65, NULL, out), 0);
}

/* A card initialized with the 50-byte INIT, PIN 123456 and PUK 123456789012 (a common choice),
 * TV2's seed loaded, logged in with 123456. In 3.1 and 3.2 the alternate PIN defaults to the PUK's first
 * six digits, here the PIN itself, and it wins: the keys are another tree. 2.2.1 and 3.0 have no
 * alternate PIN and give the standard BIP32 keys. */
static void keycard_versions_default_credentials_derivation(void **state) {
  (void)state;
  uint8_t seed[64], want_m[33], want_0[33], want_0h[33], got[33], exported[33];
  assert_int_equal(kch_hex(tv2_seed, seed, sizeof seed), 64);
  kch_hex(tv2_m, want_m, 33);
  kch_hex(tv2_m_0, want_0, 33);
  kch_hex(tv2_m_0_h, want_0h, 33);
  const uint8_t m_0[4] = {0, 0, 0, 0}, m_0_h[8] = {0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
  for (size_t v = 0; v < CASE_COUNT; v++) {
    kch h;
    kch_new(&h, cases[v].params);
    assert_int_equal(kch_select(&h), 0x9000);
    assert_int_equal(kch_init(&h, "123456", "123456789012", kch_test_secret(), NULL, 0), 0x9000);
    assert_int_equal(kch_select(&h), 0x9000);
    assert_int_equal(kch_pair(&h, kch_test_secret()), 0x9000);
    assert_int_equal(kch_open(&h), 0x9000);
    assert_int_equal(kch_cmd(&h, 0x20, 0, 0, "123456", 6), 0x9000);
    assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 64), 0x9000);
    bool duress = cases[v].number >= 0x0301;
    assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x9000); /* the master key: same in all */
    assert_int_equal(cf_ec_pub_normalize(h.data + 4, 65, NULL, got), 0);
    assert_memory_equal(got, want_m, 33);
    export_public(&h, m_0, 4, got);
    if (duress)
      assert_memory_not_equal(got, want_0, 33);
    else
      assert_memory_equal(got, want_0, 33);
    export_public(&h, m_0_h, 8, got);
    if (duress)
      assert_memory_not_equal(got, want_0h, 33);
    else
      assert_memory_equal(got, want_0h, 33);
    /* signing at m/0 signs with the same key the export gave */
    uint8_t hash[32];
    memset(hash, 0x42, 32);
    uint8_t sign_data[36];
    memcpy(sign_data, hash, 32);
    memcpy(sign_data + 32, m_0, 4);
    export_public(&h, m_0, 4, exported);
    assert_int_equal(kch_cmd(&h, 0xC0, 0x01, 0, sign_data, 36), 0x9000);
    assert_int_equal(cf_ec_pub_normalize(h.data + 5, 65, NULL, got), 0);
    assert_memory_equal(got, exported, 33);
    kch_free(&h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_versions_instruction_set),
      cmocka_unit_test(keycard_versions_init_forms),
      cmocka_unit_test(keycard_versions_application_info),
      cmocka_unit_test(keycard_versions_verify_pin_format),
      cmocka_unit_test(keycard_versions_default_credentials_derivation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
