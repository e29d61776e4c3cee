/* Keycard applet: SELECT, INIT, PAIR, UNPAIR, OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE and the
 * secure channel's wrapping rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

static void keycard_select_before_init(void **state) {
  kch h;
  kch_new(&h, NULL);
  /* nothing is selected before SELECT (the applet is not the default one): the runtime answers */
  assert_int_equal(kch_send(&h, 0x80, 0xF2, 0, 0, NULL, 0), 0x6999);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(h.len, 67);
  assert_int_equal(h.data[0], 0x80);
  assert_int_equal(h.data[1], 0x41);
  assert_int_equal(h.data[2], 0x04);
  assert_int_equal(cf_ec_pub_normalize(h.card_pub, 65, NULL, NULL), 0);
  /* only INIT (and IDENTIFY CARD) before INIT */
  assert_int_equal(kch_send(&h, 0x80, 0xF2, 0, 0, NULL, 0), 0x6D00);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0, 0, (uint8_t[32]){0}, 32), 0x6D00);
  assert_int_equal(kch_send(&h, 0x80, 0x14, 0, 0, (uint8_t[32]){0}, 32), 0x6985);
  /* the channel key is stable until INIT */
  uint8_t pub[65];
  memcpy(pub, h.card_pub, 65);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_memory_equal(pub, h.card_pub, 65);
  kch_free(&h);
}

static void keycard_init_checks(void **state) {
  kch h;
  kch_new(&h, NULL);
  assert_int_equal(kch_select(&h), 0x9000);
  uint8_t before[32], after[32];
  kch_snapshot(&h, before);
  const uint8_t *secret = kch_test_secret();
  /* format: 18 digits, then the secret, then nothing, 2 limits, or 2 limits + 6 bytes */
  assert_int_equal(kch_init(&h, "00000a", KCH_PUK, secret, NULL, 0), 0x6A80);
  assert_int_equal(kch_init(&h, "000000", "12345678901b", secret, NULL, 0), 0x6A80);
  assert_int_equal(kch_init(&h, "000000", KCH_PUK, secret, (const uint8_t *)"\x03", 1), 0x6A80);
  assert_int_equal(kch_init(&h, "000000", KCH_PUK, secret, (const uint8_t *)"\x03\x05\x01", 3), 0x6A80);
  assert_int_equal(kch_init(&h, "000000", KCH_PUK, secret, (const uint8_t *)"\x01\x05", 2), 0x6A80);
  assert_int_equal(kch_init(&h, "000000", KCH_PUK, secret, (const uint8_t *)"\x0B\x05", 2), 0x6A80);
  assert_int_equal(kch_init(&h, "000000", KCH_PUK, secret, (const uint8_t *)"\x03\x02", 2), 0x6A80);
  assert_int_equal(kch_init(&h, "000000", KCH_PUK, secret, (const uint8_t *)"\x03\x0D", 2), 0x6A80);
  /* a cryptogram the card cannot decrypt */
  uint8_t junk[1 + 65 + 16 + 16] = {65, 0x04};
  assert_int_equal(kch_send(&h, 0x80, 0xFE, 0, 0, junk, sizeof junk), 0x6A80);
  assert_int_equal(kch_send(&h, 0x80, 0xFE, 0, 0, NULL, 0), 0x6A80);
  uint8_t short_ct[1 + 65 + 16 + 8];
  memcpy(short_ct, junk, sizeof short_ct);
  short_ct[0] = 65;
  assert_int_equal(kch_send(&h, 0x80, 0xFE, 0, 0, short_ct, sizeof short_ct), 0x6A80);
  kch_snapshot(&h, after);
  assert_memory_equal(before, after, 32);

  uint8_t old_pub[65];
  memcpy(old_pub, h.card_pub, 65);
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, secret, NULL, 0), 0x9000);
  assert_int_equal(h.len, 0);
  /* INIT makes a new channel key; the A4 template follows */
  assert_int_equal(kch_select(&h), 0x9000);
  assert_true(h.initialized);
  assert_memory_not_equal(old_pub, h.card_pub, 65);
  /* A4 61 8F 10 uid 80 41 pub 02 02 03 02 02 01 0A 8E 00 8D 01 1F (3.2: ten slots; factory reset is 10) */
  assert_int_equal(h.len, 99);
  assert_int_equal(h.data[0], 0xA4);
  assert_int_equal(h.data[1], 97);
  assert_int_equal(h.data[2], 0x8F);
  assert_int_equal(h.data[3], 16);
  const uint8_t tail[] = {0x02, 0x02, 0x03, 0x02, 0x02, 0x01, 0x0A, 0x8E, 0x00, 0x8D, 0x01, 0x1F};
  assert_memory_equal(h.data + 20 + 67, tail, sizeof tail);
  /* INIT is gone once initialized */
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, secret, NULL, 0), 0x6D00);
  kch_free(&h);
}

/* "2.2", the project's earlier spelling, still makes a 2.2.1 card */
static void keycard_select_version_2_2(void **state) {
  kch h;
  kch_new(&h, "version=2.2");
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), NULL, 0), 0x9000);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(h.data[20 + 67 + 2], 0x02);
  assert_int_equal(h.data[20 + 67 + 3], 0x02);
  kch_free(&h);
  cf_store *s;
  assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
  assert_null(keycard_profile.create(s, "version=9.9"));
  cf_store_close(s);
}

static void keycard_pairing_password_vector(void **state) {
  /* the common default password; the value is the one Keycard Shell ships as its default key */
  uint8_t secret[32], expected[32];
  kch_hex("675deabb0d7c724b4a36caad0e280826159e89886f7082535d431e924848bcf1", expected, 32);
  assert_int_equal(cf_pbkdf2_sha256("KeycardDefaultPairing", 21, KEYCARD_PAIRING_SALT,
                                    strlen(KEYCARD_PAIRING_SALT), KEYCARD_PAIRING_ITERATIONS, secret, 32),
                   0);
  assert_memory_equal(secret, expected, 32);
  kch h;
  kch_new(&h, NULL);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, secret, NULL, 0), 0x9000);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_pair(&h, secret), 0x9000);
  assert_int_equal(kch_open(&h), 0x9000);
  /* a client with another secret detects the card's cryptogram is wrong */
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_pair(&h, kch_test_secret()), KCH_BAD);
  kch_free(&h);
}

static void keycard_pair_checks(void **state) {
  kch h;
  kch_new(&h, NULL);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), NULL, 0), 0x9000);
  assert_int_equal(kch_select(&h), 0x9000);
  uint8_t challenge[32] = {1, 2, 3};
  /* wrong length before the step is looked at */
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, 0, challenge, 31), 0x6A80);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x05, 0, challenge, 31), 0x6A80);
  /* last step without a first one, and a P1 that is no step */
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x01, 0, challenge, 32), 0x6A86);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x02, 0, challenge, 32), 0x6A86);
  /* wrong client cryptogram: 6982, and the step is over */
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, 0, challenge, 32), 0x9000);
  assert_int_equal(h.len, 64);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x01, 0, challenge, 32), 0x6982);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x01, 0, challenge, 32), 0x6A86);
  /* OPEN SECURE CHANNEL (even a failing one) interrupts pairing */
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, 0, challenge, 32), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x00, 0, h.card_pub, 65), 0x6A86);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x01, 0, challenge, 32), 0x6A86);
  /* so does SELECT */
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, 0, challenge, 32), 0x9000);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x01, 0, challenge, 32), 0x6A86);
  /* ten slots (3.2), then 6A84 for a persistent pairing (P2 02); SELECT counts them down */
  for (int i = 0; i < KEYCARD_PAIRING_SLOTS_3_2; i++) {
    assert_int_equal(kch_select(&h), 0x9000);
    assert_int_equal(h.select[20 + 67 + 6], KEYCARD_PAIRING_SLOTS_3_2 - i);
    assert_int_equal(kch_pair(&h, kch_test_secret()), 0x9000);
    assert_int_equal(h.pairing_index, i);
  }
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(h.select[20 + 67 + 6], 0);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, KEYCARD_PAIR_P2_PERSISTENT, challenge, 32), 0x6A84);
  assert_int_equal(kch_open(&h), 0x9000); /* with the last pairing */
  /* with the channel open PAIR answers 6985, wrapped before any unwrapping */
  assert_int_equal(kch_cmd_not_unwrapped(&h, 0x12, 0x00, 0x00, challenge, 32), 0x6985);
  assert_int_equal(h.outer_sw, 0x9000);
  int pin = 0;
  kch_status(&h, &pin, NULL, NULL);
  assert_int_equal(pin, 3);
  kch_free(&h);
}

static void keycard_open_secure_channel_checks(void **state) {
  kch h;
  kch_ready(&h, NULL);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  uint8_t eph[32], eph_pub[65];
  assert_int_equal(cf_ec_keygen(eph, eph_pub), 0);
  /* P1 checked first: a free slot or past the last one */
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x01, 0, eph_pub, 65), 0x6A86);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x05, 0, eph_pub, 65), 0x6A86);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0xFF, 0, (uint8_t[66]){0}, 66), 0x6A86);
  /* then the key */
  uint8_t long_key[66] = {0};
  memcpy(long_key, eph_pub, 65);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x00, 0, long_key, 66), 0x6A80);
  uint8_t bad_point[65] = {0x04};
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x00, 0, bad_point, 65), 0x6A80);
  /* MUTUALLY AUTHENTICATE before any OPEN SECURE CHANNEL */
  assert_int_equal(kch_send(&h, 0x80, 0x11, 0x00, 0, (uint8_t[48]){0}, 48), 0x6985);
  /* good OPEN: 32 salt + 16 IV; secure commands wait for mutual authentication */
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x00, 0, eph_pub, 65), 0x9000);
  assert_int_equal(h.len, 48);
  assert_int_equal(kch_send(&h, 0x80, 0xF2, 0x00, 0, (uint8_t[32]){0}, 32), 0x6985);
  /* a mutual authentication with a bad MAC: 6982, and the keys are gone */
  assert_int_equal(kch_send(&h, 0x80, 0x11, 0x00, 0, (uint8_t[48]){0}, 48), 0x6982);
  assert_int_equal(kch_send(&h, 0x80, 0x11, 0x00, 0, (uint8_t[48]){0}, 48), 0x6985);
  /* a well-wrapped but short challenge: 6982 too */
  assert_int_equal(kch_open(&h), 0x9000);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  uint8_t secret[32];
  assert_int_equal(cf_ec_ecdh_x(eph, h.card_pub, 65, secret), 0);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x00, 0, eph_pub, 65), 0x9000);
  uint8_t keys[64];
  cf_iov parts[3] = {{secret, 32}, {h.pairing_key, 32}, {h.data, 32}};
  assert_int_equal(cf_sha512_v(parts, 3, keys), 0);
  memcpy(h.enc, keys, 32);
  memcpy(h.mac, keys + 32, 32);
  memcpy(h.iv, h.data + 32, 16);
  h.sc = true;
  assert_int_equal(kch_cmd(&h, 0x11, 0, 0, (uint8_t[31]){0}, 31), 0x6982);
  assert_int_equal(kch_send(&h, 0x80, 0x11, 0x00, 0, (uint8_t[48]){0}, 48), 0x6985);
  /* the good case, then MUTUALLY AUTHENTICATE again: wrapped 6985, the channel stays */
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x11, 0, 0, (uint8_t[32]){0}, 32), 0x6985);
  assert_int_equal(h.outer_sw, 0x9000);
  int pin = 0;
  kch_status(&h, &pin, NULL, NULL);
  assert_int_equal(pin, 3);
  kch_free(&h);
}

static void keycard_secure_channel_rules(void **state) {
  kch h;
  kch_ready(&h, NULL);
  /* an unknown instruction is answered inside the channel, with the IV the card had */
  assert_int_equal(kch_cmd_not_unwrapped(&h, 0x55, 0, 0, NULL, 0), 0x6D00);
  assert_int_equal(h.outer_sw, 0x9000);
  assert_int_equal(kch_cmd(&h, 0xF2, 0, 0, NULL, 0), 0x9000);
  /* plain commands are refused while a wrapped one is expected */
  assert_int_equal(kch_send(&h, 0x80, 0xF2, 0, 0, (uint8_t[16]){0}, 16), 0x6982);
  /* ... and that closed the channel */
  assert_int_equal(kch_cmd(&h, 0xF2, 0, 0, NULL, 0), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  /* a bad MAC: plain 6982, channel closed */
  assert_int_equal(kch_cmd_bad_mac(&h, 0xF2, 0, 0, NULL, 0), 0x6982);
  assert_int_equal(h.len, 0);
  h.sc = true;
  assert_int_equal(kch_cmd(&h, 0xF2, 0, 0, NULL, 0), 0x6985);
  /* wrapped data of any odd length is a bad cryptogram */
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xF2, 0, 0, (uint8_t[40]){0}, 40), 0x6982);
  /* the largest plaintext goes through */
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  uint8_t big[223];
  memset(big, 0x5A, sizeof big);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0, big, sizeof big), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0, NULL, 0), 0x9000);
  assert_int_equal(h.len, 223);
  assert_memory_equal(h.data, big, 223);
  /* SELECT closes the channel */
  assert_int_equal(kch_select(&h), 0x9000);
  h.sc = true;
  assert_int_equal(kch_cmd(&h, 0xF2, 0, 0, NULL, 0), 0x6985);
  kch_free(&h);
}

static void keycard_unpair_checks(void **state) {
  kch h;
  kch_ready(&h, NULL);
  uint8_t first = h.pairing_index;
  uint8_t first_key[32];
  memcpy(first_key, h.pairing_key, 32);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_pair(&h, kch_test_secret()), 0x9000);
  assert_int_equal(h.pairing_index, 1);
  /* not open */
  assert_int_equal(kch_send(&h, 0x80, 0x13, first, 0, NULL, 0), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  /* PIN not verified */
  assert_int_equal(kch_cmd(&h, 0x13, first, 0, NULL, 0), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x13, 0x0A, 0, NULL, 0), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0x13, 0x80, 0, NULL, 0), 0x6F00); /* a negative Java byte */
  assert_int_equal(kch_cmd(&h, 0x13, first, 0, NULL, 0), 0x9000);
  /* unpairing a free slot is fine */
  assert_int_equal(kch_cmd(&h, 0x13, first, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x13, 0x04, 0, NULL, 0), 0x9000);
  /* the old pairing no longer opens a channel */
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(h.select[20 + 67 + 6], 9);
  memcpy(h.pairing_key, first_key, 32);
  h.pairing_index = first;
  assert_int_equal(kch_open(&h), 0x6A86);
  kch_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_select_before_init),   cmocka_unit_test(keycard_init_checks),
      cmocka_unit_test(keycard_select_version_2_2),   cmocka_unit_test(keycard_pairing_password_vector),
      cmocka_unit_test(keycard_pair_checks),          cmocka_unit_test(keycard_open_secure_channel_checks),
      cmocka_unit_test(keycard_secure_channel_rules), cmocka_unit_test(keycard_unpair_checks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
