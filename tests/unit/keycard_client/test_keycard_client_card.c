/* The Keycard host library against the Keycard as shipped (keycard-card), in process: PAIR in its
 * 3.2 modes (and what older versions are sent), the Cash client, NDEF read by the Type 4 Tag
 * procedure and written through the wallet per version, IDENTIFY CARD against a CA key, and
 * random INIT credentials. A recording transport keeps every command the host sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard.h"
#include "cardforge/keycard_card.h"
#include "cardforge/keycard_client.h"
#include "cardforge/store.h"
#include "cardforge/transport.h"

#include "keycard_card_recorder.h"

#define PIN "123456"
#define PUK "012345678901"
#define CA_KEY "00000000000000000000000000000000000000000000000000000000000000C5"

static void secret_of(const char *password, uint8_t secret[32]) {
  assert_int_equal(keycard_client_pairing_secret(password, secret), 0);
}

/* SELECT, INIT with PIN/PUK and the default pairing password, SELECT again. */
static void init_wallet(fixture *f) {
  uint8_t secret[32];
  secret_of(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret);
  assert_int_equal(keycard_client_select(&f->kc, NULL, 0), 0);
  assert_int_equal(keycard_client_init_card(&f->kc, PIN, PUK, secret, 0, 0, NULL), 0);
  assert_int_equal(keycard_client_select(&f->kc, NULL, 0), 0);
}

/* The index of the last command with this INS (-1: none). */
static int last_ins(const recorder *r, uint8_t ins) {
  for (int i = (r->count < LOG_MAX ? r->count : LOG_MAX) - 1; i >= 0; i--)
    if (r->ins[i] == ins) return i;
  return -1;
}

/* ---- PAIR ---- */

static void pair_p2_by_version(void **state) {
  (void)state;
  static const uint16_t old[] = {0x0202, 0x0300, 0x0301};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(keycard_client_pair_p2(old[i], KEYCARD_CLIENT_PAIR_PERSISTENT), 0x00);
    assert_int_equal(keycard_client_pair_p2(old[i], KEYCARD_CLIENT_PAIR_EPHEMERAL), -1);
  }
  assert_int_equal(keycard_client_pair_p2(0x0302, KEYCARD_CLIENT_PAIR_PERSISTENT), 0x02);
  assert_int_equal(keycard_client_pair_p2(0x0302, KEYCARD_CLIENT_PAIR_EPHEMERAL), 0x01);
}

/* 3.2: ten persistent pairings (P2 02), the eleventh is refused with 6A84 instead of getting slot
 * FF; the ephemeral one (P2 01) gets slot FF, opens a channel, and is never saved. */
static void pair_modes_on_3_2(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, &keycard_card_profile, "");
  init_wallet(&f);
  uint8_t secret[32];
  secret_of(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret);
  for (int i = 0; i < KEYCARD_PAIRING_SLOTS_3_2; i++) {
    assert_int_equal(keycard_client_pair(&f.kc, secret), 0);
    assert_int_equal(f.kc.pairing_index, i);
    int step1 = last_ins(&f.rec, KEYCARD_CLIENT_INS_PAIR) - 1;
    assert_int_equal(f.rec.p1[step1], 0x00);
    assert_int_equal(f.rec.p2[step1], 0x02);
    assert_int_equal(f.rec.p2[step1 + 1], 0x00); /* the second step's P2 stays 00 */
  }
  assert_int_equal(keycard_client_pair(&f.kc, secret), KEYCARD_CLIENT_ECARD);
  assert_int_equal(f.kc.sw, 0x6A84);

  assert_int_equal(keycard_client_pair_with_mode(&f.kc, secret, KEYCARD_CLIENT_PAIR_EPHEMERAL), 0);
  int step1 = last_ins(&f.rec, KEYCARD_CLIENT_INS_PAIR) - 1;
  assert_int_equal(f.rec.p2[step1], 0x01);
  assert_int_equal(f.kc.pairing_index, KEYCARD_CLIENT_EPHEMERAL_SLOT);
  assert_int_equal(keycard_client_open_channel(&f.kc), 0);
  assert_int_equal(keycard_client_verify_pin(&f.kc, PIN, NULL), 0);

  /* the pairing store refuses slot FF and leaves no file behind */
  char path[] = "/tmp/kc_card_pairs_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  remove(path);
  char err[256] = "";
  assert_int_equal(keycard_client_pairing_put(path, f.kc.info.instance_uid, KEYCARD_CLIENT_EPHEMERAL_SLOT,
                                              f.kc.pairing_key, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "ephemeral"));
  FILE *check = fopen(path, "r");
  assert_null(check);

  /* after a new SELECT the ephemeral pairing is gone (the card clears it on deselect) */
  assert_int_equal(keycard_client_select(&f.kc, NULL, 0), 0);
  assert_int_not_equal(keycard_client_open_channel(&f.kc), 0);
  assert_int_equal(f.kc.sw, 0x6A86);
  fixture_close(&f);
}

/* 3.1 ignores P2: the host sends 00, and an ephemeral request is refused before any command. */
static void pair_on_3_1_sends_p2_00(void **state) {
  (void)state;
  fixture f;
  fixture_open(&f, &keycard_profile, "version=3.1");
  init_wallet(&f);
  uint8_t secret[32];
  secret_of(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret);
  assert_int_equal(keycard_client_pair(&f.kc, secret), 0);
  int step1 = last_ins(&f.rec, KEYCARD_CLIENT_INS_PAIR) - 1;
  assert_int_equal(f.rec.p2[step1], 0x00);
  int sent = f.rec.count;
  assert_int_equal(keycard_client_pair_with_mode(&f.kc, secret, KEYCARD_CLIENT_PAIR_EPHEMERAL),
                   KEYCARD_CLIENT_EARG);
  assert_int_equal(f.rec.count, sent);
  fixture_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pair_p2_by_version),
      cmocka_unit_test(pair_modes_on_3_2),
      cmocka_unit_test(pair_on_3_1_sends_p2_00),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
