/* Malformed input against the Keycard, in each state a host meets: before INIT, initialized
 * without a channel, inside the channel without and with the PIN. Expected status words are the
 * public applet's (status-im/status-keycard 3.2, the default card's version, KeycardApplet.java /
 * SecureChannel.java): its order of checks decides which error a doubly wrong command gets. Inside
 * the channel the status word is the inner one. (Commands the applet refuses before it unwraps them,
 * such as an unknown INS inside the channel, get an answer the host cannot read, in the public
 * applet as here: they are checked without a channel.) Every case must leave the persistent state
 * byte-identical: a PIN of the wrong format, for one, must not cost a try. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cardforge/keycard.h"
#include "cardforge/sw.h"
#include "robust_keycard.h"

static char *dir;

#define SEL "00A4040009A00000080400010101|"

static const rb_bad_case fresh_cases[] = {
    {"GET STATUS before INIT", SEL "80F20000", SW_INS_NOT_SUPPORTED, 0, false},
    {"VERIFY PIN before INIT", SEL "8020000006313233343536", SW_INS_NOT_SUPPORTED, 0, false},
    {"INIT with a public key that is not a point",
     SEL "80FE00002B"
         "2001020304050607080910111213141516171819"
         "2021222324252627282930313233343536373839404142",
     SW_WRONG_DATA, 0, false},
    {"CLA FF", SEL "FFFE0000", SW_CLA_NOT_SUPPORTED, 0, false},
    {"Lc longer than the data", SEL "80FE000041AABB", SW_WRONG_LENGTH, 0, false},
};

static const rb_bad_case plain_cases[] = {
    {"unknown INS", "80990000", SW_INS_NOT_SUPPORTED, 0, false},
    {"INIT again", "80FE00000100", SW_INS_NOT_SUPPORTED, 0, false},
    {"VERIFY PIN without a channel", "8020000006313233343536", SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"GET STATUS without a channel", "80F20000", SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"MUTUALLY AUTHENTICATE before OPEN SECURE CHANNEL",
     "8011000020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"OPEN SECURE CHANNEL, slot index out of range",
     "8010050041"
     "04"
     "11111111111111111111111111111111"
     "11111111111111111111111111111111"
     "22222222222222222222222222222222"
     "22222222222222222222222222222222",
     SW_INCORRECT_P1P2, 0, false},
    {"OPEN SECURE CHANNEL, free slot",
     "8010030041"
     "04"
     "11111111111111111111111111111111"
     "11111111111111111111111111111111"
     "22222222222222222222222222222222"
     "22222222222222222222222222222222",
     SW_INCORRECT_P1P2, 0, false},
    {"OPEN SECURE CHANNEL, not a curve point",
     "8010000041"
     "04"
     "11111111111111111111111111111111"
     "11111111111111111111111111111111"
     "22222222222222222222222222222222"
     "22222222222222222222222222222222",
     SW_WRONG_DATA, 0, false},
    {"PAIR with a 16-byte challenge", "801200001000112233445566778899AABBCCDDEEFF", SW_WRONG_DATA, 0, false},
    {"PAIR last step without a first step",
     "8012010020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", SW_INCORRECT_P1P2, 0,
     false},
    {"PAIR with P1 02", "8012020020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     SW_INCORRECT_P1P2, 0, false},
    {"PAIR last step with a wrong cryptogram",
     "8012000020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F|"
     "8012010020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"FACTORY RESET without its magic P1 P2", "80FD0000", SW_INCORRECT_P1P2, 0, false},
    /* P1 is checked before the channel: refused in the clear (6B00, not 6A86, as the applet does) */
    {"SIGN with P1 04",
     "80C0040020"
     "4242424242424242424242424242424242424242424242424242424242424242",
     SW_WRONG_P1P2, 0, false},
    {"FACTORY RESET with P2 only", "80FD0055", SW_INCORRECT_P1P2, 0, false},
    {"GET DATA, unknown type", "80CA0300", SW_INCORRECT_P1P2, 0, false},
    {"Le shorter than the SELECT answer (T=1: Le bytes, then 61XX)", "00A4040009A0000008040001010101", 0x6100,
     0xFF00, false},
    {"logical channel 2", "82F20000", SW_LOGICAL_CHANNEL_NOT_SUPPORTED, 0, false},
    {"Lc shorter than the data", "801200000100112233", SW_WRONG_LENGTH, 0, false},
    {"chain with another INS in the middle",
     "9012000010000102030405060708090A0B0C0D0E0F|"
     "9013000010000102030405060708090A0B0C0D0E0F",
     SW_LAST_COMMAND_EXPECTED, 0, false},
};

/* channel open, PIN not verified */
static const rb_bad_case channel_cases[] = {
    {"LOAD KEY without the PIN", "80D00300", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"REMOVE KEY without the PIN", "80D30000", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"CHANGE PIN without the PIN", "8021000031313131313131", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"EXPORT KEY without the PIN", "80C20001", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"UNPAIR without the PIN", "80130000", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"VERIFY PIN of 5 digits (no try used)", "802000003132333435", SW_WRONG_DATA, 0, true},
    {"VERIFY PIN of 7 digits (no try used)", "8020000031323334353637", SW_WRONG_DATA, 0, true},
    {"VERIFY PIN with a letter (no try used)", "8020000031323334357A", SW_WRONG_DATA, 0, true},
    {"UNBLOCK PIN while the PIN is not blocked", "8022000031323334353637383930313231323334353600",
     SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"GET STATUS with P1 02", "80F20200", SW_INCORRECT_P1P2, 0, true},
    /* raw command with a MAC that cannot verify: refused outside the channel, which closes */
    {"secure command with a bad MAC",
     "80F2000020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
};

/* channel open, PIN verified */
static const rb_bad_case pin_cases[] = {
    {"CHANGE PIN with P1 03", "80210300313233343536", SW_INCORRECT_P1P2, 0, true},
    {"CHANGE PIN to 5 digits", "802100003132333435", SW_WRONG_DATA, 0, true},
    {"CHANGE PUK to 11 digits", "8021010031323334353637383930 31", SW_WRONG_DATA, 0, true},
    {"CHANGE pairing secret of 31 bytes",
     "80210200000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E", SW_WRONG_DATA, 0, true},
    {"LOAD KEY with P1 04", "80D00400", SW_INCORRECT_P1P2, 0, true},
    /* 3.2 (the default) takes seeds of 16..64 bytes */
    {"LOAD KEY seed of 65 bytes",
     "80D00300"
     "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
     "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20",
     SW_WRONG_DATA, 0, true},
    {"LOAD KEY seed of 15 bytes", "80D00300000102030405060708090A0B0C0D0E", SW_WRONG_DATA, 0, true},
    {"STORE DATA NDEF chunk past 512 bytes", "80E2017F0102030405", SW_WRONG_DATA, 0, true},
    {"STORE DATA NDEF at a negative offset (P2 80)", "80E2018001020304", SW_UNKNOWN, 0, true},
    {"LOAD KEY, template that is not A1",
     "80D00100A2228120"
     "1F2E3D4C5B6A798897A6B5C4D3E2F10010213243546576"
     "8798A9BACBDCEDFE0F",
     SW_WRONG_DATA, 0, true},
    {"LOAD KEY, no private key in the template",
     "80D00100A12282201F2E3D4C5B6A798897A6B5C4D3E2F1001021324354"
     "65768798A9BACBDCEDFE0F",
     SW_WRONG_DATA, 0, true},
    {"LOAD KEY, template truncated", "80D00100A12281201F2E3D4C5B6A7988", SW_WRONG_DATA, 0, true},
    {"LOAD KEY, chain code of 16 bytes",
     "80D00200A1348120"
     "1F2E3D4C5B6A798897A6B5C4D3E2F10010213243546576"
     "8798A9BACBDCEDFE0F"
     "8210C7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C7",
     SW_WRONG_DATA, 0, true},
    {"DERIVE KEY, path of 5 bytes", "80D100008000002C80", SW_WRONG_DATA, 0, true},
    {"DERIVE KEY, 11 levels",
     "80D10000"
     "8000002C8000003C800000000000000000000000"
     "0000000100000002000000030000000400000005000000060000000700",
     SW_WRONG_DATA, 0, true},
    {"DERIVE KEY, source 20", "80D120008000002C", SW_INCORRECT_P1P2, 0, true},
    {"GENERATE MNEMONIC, checksum 3", "80D20300", SW_INCORRECT_P1P2, 0, true},
    {"GENERATE MNEMONIC, checksum 9", "80D20900", SW_INCORRECT_P1P2, 0, true},
    {"SIGN a 31-byte hash",
     "80C00000"
     "42424242424242424242424242424242424242424242424242424242424242",
     SW_WRONG_DATA, 0, true},
    {"SIGN with a PIN-less path that is not set",
     "80C00300"
     "4242424242424242424242424242424242424242424242424242424242424242",
     SW_REFERENCED_DATA_NOT_FOUND, 0, true},
    {"EXPORT KEY with P2 03", "80C20003", SW_INCORRECT_P1P2, 0, true},
    {"EXPORT KEY with P1 03", "80C20301", SW_INCORRECT_P1P2, 0, true},
    {"EXPORT the private key outside EIP-1581", "80C20000", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"SET PINLESS PATH of 3 bytes", "80C10000800000", SW_WRONG_DATA, 0, true},
    {"STORE DATA with P1 03", "80E2030001", SW_INCORRECT_P1P2, 0, true},
    {"GET DATA with P1 03", "80CA0300", SW_INCORRECT_P1P2, 0, true},
    {"UNPAIR slot 10", "80130A00", SW_INCORRECT_P1P2, 0, true},
    {"UNPAIR slot 80 (a negative Java byte)", "80138000", SW_UNKNOWN, 0, true},
};

/* applet 2.2.1, no channel: the 3.x commands are unknown (FACTORY RESET must not reset) */
static const rb_bad_case plain_221_cases[] = {
    {"FACTORY RESET on 2.2.1", "80FDAA55", SW_INS_NOT_SUPPORTED, 0, false},
    {"GET DATA on 2.2.1", "80CA0000", SW_INS_NOT_SUPPORTED, 0, false},
    {"STORE DATA on 2.2.1", "80E2000001AA", SW_INS_NOT_SUPPORTED, 0, false},
    {"IDENTIFY CARD on 2.2.1", "8014000020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     SW_INS_NOT_SUPPORTED, 0, false},
    {"SET NDEF without the channel", "80F3000003D00000", SW_CONDITIONS_NOT_SATISFIED, 0, false},
};

/* applet 2.2.1, channel open, PIN verified: DUPLICATE KEY and the 2.2.1 derivation checks */
static const rb_bad_case pin_221_cases[] = {
    {"DUPLICATE KEY with P1 04", "80D50405", SW_INCORRECT_P1P2, 0, true},
    {"DUPLICATE KEY START with 31 bytes",
     "80D50002000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E", SW_WRONG_DATA, 0, true},
    {"DUPLICATE KEY EXPORT without a session", "80D50200", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"DUPLICATE KEY IMPORT without a session", "80D50300000102030405060708090A0B0C0D0E0F",
     SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"DERIVE KEY from the PIN-less path (no such source in 2.2.1)", "80D1C000", SW_INCORRECT_P1P2, 0, true},
    {"DERIVE KEY from the current key without a level", "80D18000", SW_WRONG_DATA, 0, true},
    {"SIGN the current key with a level after the hash",
     "80C00000"
     "424242424242424242424242424242424242424242424242424242424242424200000001",
     SW_WRONG_DATA, 0, true},
    {"SIGN with derivation and no level",
     "80C00100"
     "4242424242424242424242424242424242424242424242424242424242424242",
     SW_WRONG_DATA, 0, true},
    {"EXPORT KEY with P2 02 (3.1 only)", "80C20002", SW_INCORRECT_P1P2, 0, true},
};

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rk_make_templates(dir);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rb_rmdir(dir);
  return 0;
}

#define TABLE(label, from, setup, cases)                                                                     \
  (rb_bad_table) {                                                                                           \
    label, &keycard_profile, "", from, setup, rk_secure, cases, sizeof cases / sizeof cases[0]               \
  }

static void test_fresh(void **state) {
  (void)state;
  rb_bad_table t = TABLE("keycard before INIT", "fresh.card", NULL, fresh_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_plain(void **state) {
  (void)state;
  rb_bad_table t = TABLE("keycard without a channel", "ready.card", rk_select, plain_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_channel(void **state) {
  (void)state;
  rb_bad_table t = TABLE("keycard in the channel", "ready.card", rk_channel, channel_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_pin(void **state) {
  (void)state;
  rb_bad_table t = TABLE("keycard with the PIN", "ready.card", rk_pin, pin_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_plain_221(void **state) {
  (void)state;
  rb_bad_table t = TABLE("keycard 2.2.1 without a channel", "ready221.card", rk_select, plain_221_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_pin_221(void **state) {
  (void)state;
  rb_bad_table t = TABLE("keycard 2.2.1 with the PIN", "ready221.card", rk_pin, pin_221_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fresh), cmocka_unit_test(test_plain),     cmocka_unit_test(test_channel),
      cmocka_unit_test(test_pin),   cmocka_unit_test(test_plain_221), cmocka_unit_test(test_pin_221),
  };
  return cmocka_run_group_tests_name("robust_malformed_keycard", tests, group_setup, group_teardown);
}
