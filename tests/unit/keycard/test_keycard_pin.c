/* Keycard applet: VERIFY PIN, CHANGE PIN, UNBLOCK PIN, the alternate PIN of INIT, retry limits,
 * and power cuts during PIN and PUK checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

static uint16_t verify(kch *h, const char *pin) {
  return kch_cmd(h, 0x20, 0, 0, pin, strlen(pin));
}

static int pin_tries(kch *h) {
  int pin = -1;
  kch_status(h, &pin, NULL, NULL);
  return pin;
}

static int puk_tries(kch *h) {
  int puk = -1;
  kch_status(h, NULL, &puk, NULL);
  return puk;
}

static void keycard_verify_pin(void **state) {
  kch h;
  kch_ready(&h, NULL);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  /* no channel */
  assert_int_equal(kch_send(&h, 0x80, 0x20, 0, 0, KCH_PIN, 6), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  /* wrong format: no try spent */
  assert_int_equal(verify(&h, "12345"), 0x6A80);
  assert_int_equal(verify(&h, "1234567"), 0x6A80);
  assert_int_equal(verify(&h, "12345a"), 0x6A80);
  assert_int_equal(pin_tries(&h), 3);
  assert_int_equal(verify(&h, "654321"), 0x63C2);
  assert_int_equal(verify(&h, KCH_PIN), 0x9000);
  assert_int_equal(pin_tries(&h), 3);
  /* a wrong PIN also ends the verified state */
  assert_int_equal(verify(&h, "654321"), 0x63C2);
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x6985);
  assert_int_equal(verify(&h, "654321"), 0x63C1);
  assert_int_equal(verify(&h, "654321"), 0x63C0);
  assert_int_equal(verify(&h, KCH_PIN), 0x63C0);
  assert_int_equal(pin_tries(&h), 0);
  /* blocked survives a reset */
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(verify(&h, KCH_PIN), 0x63C0);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, KCH_PUK "000000", 18), 0x9000);
  assert_int_equal(pin_tries(&h), 3);
  kch_free(&h);
}

static void keycard_change_pin(void **state) {
  kch h;
  kch_ready(&h, NULL);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x21, 0, 0, "123456", 6), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x21, 0x00, 0, "123456", 6), 0x6985);
  assert_int_equal(verify(&h, KCH_PIN), 0x9000);
  uint8_t before[32], after[32];
  kch_snapshot(&h, before);
  assert_int_equal(kch_cmd(&h, 0x21, 0x03, 0, "123456", 6), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0x21, 0x00, 0, "654a21", 6), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x21, 0x00, 0, "54321", 5), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x21, 0x00, 0, "7654321", 7), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x21, 0x01, 0, "210987654a21", 12), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x21, 0x01, 0, "10987654321", 11), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x21, 0x01, 0, "3210987654321", 13), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x21, 0x02, 0, "abcdefghilmnopqrstuvz123456789012", 33), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x21, 0x02, 0, "abcdefghilmnopqrstuvz1234567890", 31), 0x6A80);
  kch_snapshot(&h, after);
  assert_memory_equal(before, after, 32);
  /* a changed PIN stays verified */
  assert_int_equal(kch_cmd(&h, 0x21, 0x00, 0, "123456", 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x21, 0x00, 0, "654321", 6), 0x9000);
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(verify(&h, KCH_PIN), 0x63C2);
  assert_int_equal(verify(&h, "654321"), 0x9000);
  /* PUK */
  assert_int_equal(kch_cmd(&h, 0x21, 0x01, 0, "210987654321", 12), 0x9000);
  for (int i = 2; i >= 0; i--)
    assert_int_equal(verify(&h, "000001"), 0x63C0 | i);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, KCH_PUK "000000", 18), 0x63C4);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "210987654321000000", 18), 0x9000);
  assert_int_equal(puk_tries(&h), 5);
  /* pairing secret: new pairings need the new one, existing ones stay */
  uint8_t new_secret[32];
  memcpy(new_secret, "abcdefghilmnopqrstuvz12345678901", 32);
  assert_int_equal(kch_cmd(&h, 0x21, 0x02, 0, new_secret, 32), 0x9000);
  kch_reset(&h);
  kch_reopen(&h);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_pair(&h, kch_test_secret()), KCH_BAD);
  assert_int_equal(kch_pair(&h, new_secret), 0x9000);
  assert_int_equal(kch_open(&h), 0x9000);
  kch_free(&h);
}

static void keycard_unblock_pin(void **state) {
  kch h;
  kch_ready(&h, NULL);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x22, 0, 0, KCH_PUK "000000", 18), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  /* not blocked: 6985 comes before the format check */
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "1", 1), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, KCH_PUK "000000", 18), 0x6985);
  for (int i = 2; i >= 0; i--)
    assert_int_equal(verify(&h, "123450"), 0x63C0 | i);
  /* formats: no PUK try spent */
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "12345678901000000", 17), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "1234567890123000000", 19), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "12345678901a000000", 18), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "12345678901200000a", 18), 0x6A80);
  assert_int_equal(puk_tries(&h), 5);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "123456789010000000", 18), 0x63C4);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, KCH_PUK "654321", 18), 0x9000);
  /* the new PIN is verified right away and is the PIN from now on */
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  assert_int_equal(puk_tries(&h), 5);
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(verify(&h, "654321"), 0x9000);
  /* a blocked PUK answers 63C0 and nothing unblocks the PIN */
  for (int i = 2; i >= 0; i--)
    assert_int_equal(verify(&h, "123450"), 0x63C0 | i);
  for (int i = 4; i >= 0; i--)
    assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "999999999999000000", 18), 0x63C0 | i);
  assert_int_equal(kch_cmd(&h, 0x22, 0, 0, KCH_PUK "000000", 18), 0x63C0);
  assert_int_equal(puk_tries(&h), 0);
  kch_free(&h);
}

/* Public key at a path through EXPORT KEY (P1 01 derive from master, P2 01 public). */
static void export_pub(kch *h, const uint8_t *path, size_t path_len, uint8_t pub[65]) {
  assert_int_equal(kch_cmd(h, 0xC2, 0x01, 0x01, path, path_len), 0x9000);
  assert_int_equal(h->len, 69);
  memcpy(pub, h->data + 4, 65);
}

static const uint8_t eth_path[20] = {0x80, 0, 0, 44, 0x80, 0, 0, 60, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static void keycard_alternate_pin(void **state) {
  kch h;
  kch_new(&h, NULL);
  assert_int_equal(kch_select(&h), 0x9000);
  uint8_t extra[8] = {5, 7, '1', '1', '1', '1', '1', '1'};
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), extra, sizeof extra), 0x9000);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_pair(&h, kch_test_secret()), 0x9000);
  assert_int_equal(kch_open(&h), 0x9000);
  int pin, puk;
  kch_status(&h, &pin, &puk, NULL);
  assert_int_equal(pin, 5);
  assert_int_equal(puk, 7);
  assert_int_equal(verify(&h, KCH_PIN), 0x9000);
  uint8_t seed[64];
  memset(seed, 0x42, sizeof seed);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 64), 0x9000);
  uint8_t main_pub[65], alt_pub[65], master_main[65], master_alt[65];
  export_pub(&h, eth_path, sizeof eth_path, main_pub);
  export_pub(&h, NULL, 0, master_main);
  /* the alternate PIN opens the same master key with another tree under it */
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(verify(&h, "111111"), 0x9000);
  export_pub(&h, eth_path, sizeof eth_path, alt_pub);
  export_pub(&h, NULL, 0, master_alt);
  assert_memory_not_equal(main_pub, alt_pub, 65);
  assert_memory_equal(master_main, master_alt, 65);
  /* wrong tries count on both; a match restores them */
  assert_int_equal(verify(&h, "222222"), 0x63C4);
  assert_int_equal(pin_tries(&h), 4);
  assert_int_equal(verify(&h, "111111"), 0x9000);
  assert_int_equal(pin_tries(&h), 5);
  /* CHANGE PIN after logging in with the alternate PIN changes the alternate PIN */
  assert_int_equal(kch_cmd(&h, 0x21, 0x00, 0, "333333", 6), 0x9000);
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(verify(&h, "111111"), 0x63C4);
  assert_int_equal(verify(&h, "333333"), 0x9000);
  export_pub(&h, eth_path, sizeof eth_path, alt_pub);
  assert_memory_not_equal(main_pub, alt_pub, 65);
  kch_reset(&h);
  kch_reopen(&h);
  assert_int_equal(verify(&h, KCH_PIN), 0x9000);
  uint8_t again[65];
  export_pub(&h, eth_path, sizeof eth_path, again);
  assert_memory_equal(main_pub, again, 65);
  kch_free(&h);
}

static void keycard_alternate_pin_defaults(void **state) {
  /* without an alternate PIN in INIT it is the first six digits of the PUK */
  kch h;
  kch_ready_pin(&h, NULL);
  uint8_t seed[64];
  memset(seed, 0x17, sizeof seed);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 64), 0x9000);
  uint8_t main_pub[65], alt_pub[65];
  export_pub(&h, eth_path, sizeof eth_path, main_pub);
  /* the PIN-less path signs with the chain code of the last login, even after a reset */
  assert_int_equal(kch_cmd(&h, 0xC1, 0, 0, eth_path, sizeof eth_path), 0x9000);
  uint8_t hash[32] = {1};
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x03, 0, hash, 32), 0x9000);
  assert_memory_equal(h.data + 5, main_pub, 65);
  kch_open(&h);
  assert_int_equal(verify(&h, "123456"), 0x9000);
  export_pub(&h, eth_path, sizeof eth_path, alt_pub);
  assert_memory_not_equal(main_pub, alt_pub, 65);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xC0, 0x03, 0, hash, 32), 0x9000);
  assert_memory_equal(h.data + 5, alt_pub, 65);
  kch_free(&h);
  /* equal PINs: the alternate one wins */
  kch_new(&h, NULL);
  assert_int_equal(kch_select(&h), 0x9000);
  uint8_t extra[8] = {3, 5, '0', '0', '0', '0', '0', '0'};
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), extra, sizeof extra), 0x9000);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_pair(&h, kch_test_secret()), 0x9000);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(verify(&h, KCH_PIN), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0, seed, 64), 0x9000);
  export_pub(&h, eth_path, sizeof eth_path, main_pub);
  assert_memory_equal(main_pub, alt_pub, 65);
  kch_free(&h);
}

/* A power cut at every store write of one VERIFY PIN (or UNBLOCK PIN): the card may answer 6581
 * but never ends up with more tries than before, and a revealed mismatch is always paid for. */
static void cut_sweep(bool puk, bool correct) {
  bool saw_uncut = false, saw_durable_decrement = false;
  for (long cut = 1; cut <= 8 && !saw_uncut; cut++) {
    kch h;
    kch_ready(&h, NULL);
    if (puk) {
      for (int i = 2; i >= 0; i--)
        assert_int_equal(verify(&h, "000001"), 0x63C0 | i);
      assert_int_equal(kch_cmd(&h, 0x22, 0, 0, "000000000000000000", 18), 0x63C4);
    } else {
      assert_int_equal(verify(&h, "000001"), 0x63C2);
    }
    int before = puk ? puk_tries(&h) : pin_tries(&h);
    const char *good = puk ? KCH_PUK "000000" : KCH_PIN;
    const char *bad = puk ? "000000000000000000" : "000001";
    const char *arg = correct ? good : bad;
    cf_store_fault_at(h.store, cut);
    uint16_t sw = kch_cmd(&h, puk ? 0x22 : 0x20, 0, 0, arg, strlen(arg));
    bool was_cut = cf_store_is_cut(h.store);
    cf_store_fault_at(h.store, 0);
    if (was_cut) {
      assert_int_equal(sw, 0x6581);
      assert_int_equal(cf_store_power_restore(h.store), CF_STORE_OK);
    } else {
      saw_uncut = true;
    }
    kch_reset(&h);
    kch_reopen(&h);
    int after = puk ? puk_tries(&h) : pin_tries(&h);
    if (sw == 0x9000) {
      assert_false(was_cut);
      assert_int_equal(after, puk ? 5 : 3);
    } else if ((sw & 0xFFF0) == 0x63C0) {
      assert_int_equal(after, before - 1);
      assert_int_equal(sw, 0x63C0 | after);
    } else {
      assert_int_equal(sw, 0x6581);
      assert_true(after == before || after == before - 1);
      /* the spent try reached the store on its own, ahead of the restoring commit */
      if (after == before - 1) saw_durable_decrement = true;
    }
    assert_true(after <= before || sw == 0x9000);
    kch_free(&h);
  }
  assert_true(saw_uncut);
  /* a match is only restored after the decrement was durable: some cut must catch it in between */
  if (correct) assert_true(saw_durable_decrement);
}

static void keycard_verify_pin_power_cut(void **state) {
  cut_sweep(false, false);
  cut_sweep(false, true);
}

static void keycard_unblock_pin_power_cut(void **state) {
  cut_sweep(true, false);
  cut_sweep(true, true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_verify_pin),
      cmocka_unit_test(keycard_change_pin),
      cmocka_unit_test(keycard_unblock_pin),
      cmocka_unit_test(keycard_alternate_pin),
      cmocka_unit_test(keycard_alternate_pin_defaults),
      cmocka_unit_test(keycard_verify_pin_power_cut),
      cmocka_unit_test(keycard_unblock_pin_power_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
