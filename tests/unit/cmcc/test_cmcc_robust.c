/* Malformed and random commands against every cmcc profile: no crash (ASan/UBSan), and a refused
 * command (any status word but 90xx/61xx/63xx) leaves the store exactly as it was. */
#include "cmcc_test_util.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t classes[] = {0x00, 0x80, 0x84, 0xF0, 0xA0};
static const uint8_t instructions[] = {0x20, 0x24, 0x26, 0x30, 0x32, 0x50, 0x52, 0x54, 0x56,
                                       0x82, 0x84, 0x88, 0xA4, 0xB0, 0xB4, 0xC0, 0xC2, 0xC4,
                                       0xCA, 0xD4, 0xD6, 0xD8, 0xE0, 0xE1, 0xE2};

static void prepare(tcard *t, const char *profile) {
  if (strcmp(profile, "kmc") && strcmp(profile, "authcard") && strcmp(profile, "workcard")) return;
  uint8_t k[16];
  assert_int_equal(tc_verify_pin(t, 2, "22222222"), 0x9000);
  assert_int_equal(tc_verify_pin(t, 3, "33333333"), 0x9000);
  uint8_t p2 = strcmp(profile, "authcard") == 0 ? 0 : 2;
  uint8_t type = strcmp(profile, "kmc") == 0 ? 2 : strcmp(profile, "authcard") == 0 ? 3 : 5;
  default_key(type, k);
  assert_int_equal(tc_ext_auth(t, p2, k), 0x9000);
}

static void fuzz_profile(const char *profile, const char *params, unsigned seed) {
  tcard t;
  tc_open(&t, profile, params);
  prepare(&t, profile);
  srand(seed);
  uint16_t seen[64];
  size_t nseen = 0;
  for (int i = 0; i < 3000; i++) {
    uint8_t apdu[5 + 255 + 1];
    static const uint8_t pairs[][2] = {{0xF0, 0x20}, {0xF0, 0x24}, {0xF0, 0x26}, {0xF0, 0x82}, {0xF0, 0xA4},
                                       {0x00, 0xB4}, {0x80, 0xE1}, {0x80, 0xE2}, {0x80, 0xC2}, {0x80, 0xC4},
                                       {0x80, 0xD8}, {0x80, 0x32}, {0x80, 0x30}, {0x80, 0xC0}, {0x84, 0xE0},
                                       {0x84, 0xD6}, {0x84, 0xD4}, {0x84, 0x82}, {0x00, 0x88}, {0x00, 0xB0},
                                       {0x80, 0x50}, {0x80, 0x52}, {0x80, 0x54}, {0x80, 0x56}, {0x00, 0xCA}};
    static const uint8_t lengths[] = {0, 4, 5, 6, 8, 10, 11, 12, 14, 16, 17, 19, 20, 24, 28, 29, 36, 44};
    size_t lc = rand() % 5 == 0 ? (size_t)(rand() % 256) : lengths[rand() % sizeof lengths];
    if (rand() % 5) {
      size_t p = (size_t)rand() % (sizeof pairs / sizeof pairs[0]);
      apdu[0] = pairs[p][0], apdu[1] = pairs[p][1];
    } else {
      apdu[0] = classes[rand() % sizeof classes];
      apdu[1] = instructions[rand() % sizeof instructions];
    }
    apdu[2] = (uint8_t)(rand() % 4 == 0 ? rand() : rand() % 3 == 0 ? 1 : 0);
    apdu[3] = (uint8_t)(rand() % 4 == 0 ? rand() : rand() % 4);
    size_t len = 4;
    if (lc) {
      apdu[4] = (uint8_t)lc;
      for (size_t j = 0; j < lc; j++)
        apdu[5 + j] = (uint8_t)rand();
      len = 5 + lc;
    }
    if (rand() % 2) apdu[len++] = (uint8_t)rand(); /* Le */
    if (rand() % 50 == 0) {
      uint8_t gc[5] = {apdu[0] == 0xF0 ? 0xF0 : 0x00, 0x84, 0, 0, 4};
      tc_tx(&t, gc, 5); /* sometimes a fresh random first, so later checks are reached */
    }
    snapshot before;
    snap_take(t.store, &before);
    uint16_t sw = tc_tx(&t, apdu, len);
    uint8_t sw1 = sw >> 8;
    bool known = false;
    for (size_t k = 0; k < nseen; k++)
      known |= seen[k] == sw;
    if (!known && nseen < 64) seen[nseen++] = sw;
    if (sw1 != 0x90 && sw1 != 0x61 && sw1 != 0x63) snap_assert_same(t.store, &before);
    snap_free(&before);
  }
  /* the commands reach deep enough to draw many different answers, not just 6D00 / 6700 */
  print_message("%s: %zu distinct status words:", profile, nseen);
  for (size_t k = 0; k < nseen; k++)
    print_message(" %04X", seen[k]);
  print_message("\n");
  assert_true(nseen >= 6);
  tc_close(&t);
}

static void test_random_commands(void **state) {
  (void)state;
  fuzz_profile("kmc", "keys=010205060708090A0B", 1);
  fuzz_profile("authcard", NULL, 2);
  fuzz_profile("workcard", "keys=04050607", 3);
  fuzz_profile("usercard", NULL, 4);
  fuzz_profile("sam", NULL, 5);
  fuzz_profile("terminal", NULL, 6);
}

/* Truncations of valid commands: every prefix of the data field is refused cleanly. */
static void test_truncated_commands(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", "keys=010205060708090A0B");
  prepare(&t, "kmc");
  const char *valid[] = {
      ("80C200002C 84E00100 11223344 01 0102030405060708 010108 01 01 0102030405060708 010109 02 0101 01 06 "
       "112233445566"),
      "80C400000E 80D80002 010105 010106 0A0B0C0D",
      "8032000019 84820101 11223344 01 0102030405060708 010109 04 DEADBEEF",
  };
  for (size_t v = 0; v < 3; v++) {
    uint8_t apdu[128];
    size_t n = hex2bin(valid[v], apdu, sizeof apdu);
    assert_int_equal(tc_tx(&t, apdu, n), 0x9000);
    for (size_t cut = 0; cut < n - 5; cut++) {
      apdu[4] = (uint8_t)cut;
      snapshot before;
      snap_take(t.store, &before);
      uint16_t sw = tc_tx(&t, apdu, 5 + cut);
      assert_true(sw == 0x6700 || sw == 0x6A80 || sw == 0x6A86);
      snap_assert_same(t.store, &before);
      snap_free(&before);
    }
  }
  tc_close(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_commands),
      cmocka_unit_test(test_truncated_commands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
