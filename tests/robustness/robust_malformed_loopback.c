/* Malformed input against the loopback card: what the runtime itself answers (class, length
 * coding, chaining, GET RESPONSE, Le in both response styles) and the test application's own
 * checks. Every case must leave the persistent state byte-identical. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cardforge/loopback.h"
#include "cardforge/sw.h"
#include "robust_card.h"

static char *dir;

static const rb_bad_case runtime_cases[] = {
    {"CLA FF", "FF010000", SW_CLA_NOT_SUPPORTED, 0, false},
    {"logical channel 1", "81010000", SW_LOGICAL_CHANNEL_NOT_SUPPORTED, 0, false},
    {"logical channel 3, interindustry", "03010000", SW_LOGICAL_CHANNEL_NOT_SUPPORTED, 0, false},
    {"class the application refuses", "84010000", SW_CLA_NOT_SUPPORTED, 0, false},
    {"unknown INS", "807F0000", SW_INS_NOT_SUPPORTED, 0, false},
    {"header of 3 bytes", "800100", SW_WRONG_LENGTH, 0, false},
    {"Lc longer than the data", "8001000005AABB", SW_WRONG_LENGTH, 0, false},
    {"data longer than Lc (and not Le)", "8001000002AABBCCDD", SW_WRONG_LENGTH, 0, false},
    {"extended Lc longer than the data", "80010000000005AABB", SW_WRONG_LENGTH, 0, false},
    {"extended Le truncated", "800200000001", SW_WRONG_LENGTH, 0, false},
    {"echo with P1 P2", "8001010000", SW_INCORRECT_P1P2, 0, false},
    {"counter with data", "800400000100", SW_WRONG_LENGTH, 0, false},
    {"counter with P1", "80040100", SW_INCORRECT_P1P2, 0, false},
    {"status without the status word", "800300000190", SW_WRONG_LENGTH, 0, false},
    {"status word 61XX requested", "80030000026100", SW_WRONG_DATA, 0, false},
    {"status word outside 6X/9X", "80030000025000", SW_WRONG_DATA, 0, false},
    {"chained counter command, then another INS", "1004000001AA|80010000", SW_LAST_COMMAND_EXPECTED, 0,
     false},
    {"chain, other P1 in the middle", "1001000001AA|1001010001BB", SW_LAST_COMMAND_EXPECTED, 0, false},
    {"chained counter increment with data", "1004000001AA|0004000001BB", SW_WRONG_LENGTH, 0, false},
    {"GET RESPONSE with nothing pending", "00C0000000", SW_INS_NOT_SUPPORTED, 0, false},
    {"GET RESPONSE with P1", "8002012C00|00C0010000", SW_INCORRECT_P1P2, 0, false},
    {"GET RESPONSE with data", "8002012C00|00C0000001AA", SW_WRONG_LENGTH, 0, false},
    {"SELECT of an unknown AID", "00A4040005A000000099", SW_INS_NOT_SUPPORTED, 0, false},
    {"an answered error keeps no data", "80030000066A80DEADBEEF", 0x6A80, 0, false},
    /* Le shorter than the data on a T=1 card: Le bytes now, 61XX for the rest */
    {"Le shorter than the data (T=1)", "8002002010", SW_BYTES_REMAINING(0x10), 0, false},
};

static const rb_bad_case t0_cases[] = {
    {"Le larger than the data (T=0)", "8002001020", SW_WRONG_LE(0x10), 0, false},
    {"GET RESPONSE Le larger than what is left (T=0)", "8001000002AABB|00C0000005", SW_WRONG_LE(2), 0, false},
    {"case 4 leaves its data for GET RESPONSE (T=0)", "8001000002AABB00", SW_BYTES_REMAINING(2), 0, false},
    {"unknown INS (T=0)", "807F0000", SW_INS_NOT_SUPPORTED, 0, false},
};

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rb_card c;
  assert_int_equal(rb_card_open(&c, &loopback_profile, "mode=t1", rb_path(dir, "t1.card")), 0);
  assert_int_equal(rb_card_send_hex(&c, "80040000", NULL, 0, NULL),
                   SW_OK); /* counter 1: not a fresh record */
  rb_card_close(&c);
  assert_int_equal(rb_card_open(&c, &loopback_profile, "mode=t0", rb_path(dir, "t0.card")), 0);
  rb_card_close(&c);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rb_rmdir(dir);
  return 0;
}

static void test_runtime_table(void **state) {
  (void)state;
  rb_bad_table t = {"loopback (T=1)",
                    &loopback_profile,
                    "mode=t1",
                    "t1.card",
                    NULL,
                    NULL,
                    runtime_cases,
                    sizeof runtime_cases / sizeof runtime_cases[0]};
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_t0_table(void **state) {
  (void)state;
  rb_bad_table t = {"loopback (T=0)",
                    &loopback_profile,
                    "mode=t0",
                    "t0.card",
                    NULL,
                    NULL,
                    t0_cases,
                    sizeof t0_cases / sizeof t0_cases[0]};
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

/* A chain longer than the runtime's 4096-byte buffer is refused (6700) and dropped: the next
 * part starts a new command, and nothing reached the application. */
static void test_oversize_chain(void **state) {
  (void)state;
  rb_card c;
  assert_int_equal(rb_copy_card(rb_path(dir, "t1.card"), rb_path(dir, "chain.card")), 0);
  assert_int_equal(rb_card_open(&c, &loopback_profile, "mode=t1", rb_path(dir, "chain.card")), 0);
  rb_state before, after;
  assert_int_equal(rb_state_take(c.store, &before), 0);
  uint8_t part[5 + 255];
  memset(part, 0xA5, sizeof part);
  part[0] = 0x10, part[1] = 0x04, part[2] = 0x00, part[3] = 0x00, part[4] = 0xFF;
  uint16_t sw = SW_OK;
  int parts = 0;
  while (sw == SW_OK && parts < 32) {
    sw = rb_card_send(&c, part, sizeof part, NULL, 0, NULL);
    parts++;
  }
  assert_int_equal(sw, SW_WRONG_LENGTH);
  assert_int_equal(parts, 17); /* 16 x 255 = 4080 fit, the 17th part overflows */
  /* the chain is gone: a plain counter command runs normally and counts once */
  uint8_t resp[8];
  size_t n = 0;
  assert_int_equal(rb_card_send_hex(&c, "80040000", resp, sizeof resp, &n), SW_OK);
  assert_int_equal(n, 4);
  assert_int_equal(resp[3], 2);
  assert_int_equal(rb_state_take(c.store, &after), 0);
  uint32_t keys[4];
  assert_int_equal(rb_state_diff(&before, &after, keys, 4), 1); /* only the counter, by the good command */
  rb_state_free(&before);
  rb_state_free(&after);
  rb_card_close(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_runtime_table),
      cmocka_unit_test(test_t0_table),
      cmocka_unit_test(test_oversize_chain),
  };
  return cmocka_run_group_tests_name("robust_malformed_loopback", tests, group_setup, group_teardown);
}
