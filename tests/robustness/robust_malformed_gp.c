/* Malformed input against the GlobalPlatform card, without a channel, in the middle of a
 * handshake and inside SCP02 / SCP03 channels. Expected status words: GP Card Specification 2.3.1,
 * the PUT KEY words of its section 9.8 (6A80, 6A84, 6A88, 9484, 9485), and the order of checks
 * docs/gp.md fixes. Every case must leave the persistent state byte-identical. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cardforge/gp.h"
#include "cardforge/sw.h"
#include "robust_gp.h"

static char *dir;

#define IU                                                                                                   \
  "8050FF0008"                                                                                               \
  "0102030405060708"                                                                                         \
  "00|"
#define B16 "11111111111111111111111111111111"
/* secure cases are CLA INS P1 P2 data: the client adds Lc (and the MAC) */

/* on the SCP02 card (INITIALIZE UPDATE writes nothing there: the counter rises at EXTERNAL
 * AUTHENTICATE only when its C-MAC verifies) */
static const rb_bad_case plain_cases[] = {
    {"CLA FF", "FFCA00E000", SW_CLA_NOT_SUPPORTED, 0, false},
    {"CLA C0", "C0CA00E000", SW_CLA_NOT_SUPPORTED, 0, false},
    {"CLA A0", "A0CA00E000", SW_CLA_NOT_SUPPORTED, 0, false},
    {"unknown INS", "80990000", SW_INS_NOT_SUPPORTED, 0, false},
    {"logical channel 1", "81CA00E000", SW_LOGICAL_CHANNEL_NOT_SUPPORTED, 0, false},
    {"SELECT the ISD with P2 04", "00A4040408A000000151000000", SW_INCORRECT_P1P2, 0, false},
    {"SELECT an unknown AID", "00A4040008A000000151000099", SW_FILE_NOT_FOUND, 0, false},
    {"GET DATA, unknown tag", "80CA123400", SW_REFERENCED_DATA_NOT_FOUND, 0, false},
    {"GET DATA with data", "80CA00E00100", SW_WRONG_LENGTH, 0, false},
    {"GET DATA, Le shorter than the data (T=1: Le bytes, then 61XX)", "80CA00E001", 0x6100, 0xFF00, false},
    {"Lc longer than the data", "80CA00E005AABB", SW_WRONG_LENGTH, 0, false},
    {"INITIALIZE UPDATE, CLA 00", "0050000008010203040506070800", SW_CLA_NOT_SUPPORTED, 0, false},
    {"INITIALIZE UPDATE, P2 01", "8050000108010203040506070800", SW_INCORRECT_P1P2, 0, false},
    {"INITIALIZE UPDATE, 7-byte challenge", "805000000701020304050607", SW_WRONG_LENGTH, 0, false},
    {"INITIALIZE UPDATE, unknown key set", "8050420008010203040506070800", SW_REFERENCED_DATA_NOT_FOUND, 0,
     false},
    {"EXTERNAL AUTHENTICATE without INITIALIZE UPDATE", "8482010010" B16, SW_CONDITIONS_NOT_SATISFIED, 0,
     false},
    {"EXTERNAL AUTHENTICATE in the clear (CLA 80)", IU "8082010010" B16, SW_SECURITY_STATUS_NOT_SATISFIED, 0,
     false},
    {"EXTERNAL AUTHENTICATE, P2 01", IU "8482010110" B16, SW_INCORRECT_P1P2, 0, false},
    {"EXTERNAL AUTHENTICATE, level 02", IU "8482020010" B16, SW_INCORRECT_P1P2, 0, false},
    {"EXTERNAL AUTHENTICATE, level 33 on SCP02", IU "8482330010" B16, SW_INCORRECT_P1P2, 0, false},
    {"EXTERNAL AUTHENTICATE, 8 bytes", IU "84820100080102030405060708", SW_WRONG_LENGTH, 0, false},
    {"EXTERNAL AUTHENTICATE, wrong C-MAC", IU "8482010010" B16, SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"EXTERNAL AUTHENTICATE twice (handshake spent)", IU "8482010010" B16 "|8482010010" B16,
     SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"PUT KEY without a channel",
     "80D8000116"
     "01"
     "8010" B16 "03000000",
     SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"PUT KEY in the ISO class",
     "00D8000116"
     "01"
     "8010" B16 "03000000",
     SW_CLA_NOT_SUPPORTED, 0, false},
    {"DELETE KEY without a channel", "80E4000003D201FF", SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"SET STATUS without a channel", "80F0807F00", SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"INSTALL without a channel", "80E60C000100", SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"LOAD without a channel", "80E880000200C4", SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"STORE DATA without a channel", "80E280000101", SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"protected command outside a channel", "84CA00E0081122334455667788", SW_SECURITY_STATUS_NOT_SATISFIED, 0,
     false},
};

/* inside the channel of the SCP03 card holding sets FF and 01 (AES-128) */
static const rb_bad_case scp03_cases[] = {
    {"PUT KEY without data", "80D80081", SW_WRONG_LENGTH, 0, true},
    {"PUT KEY, new KVN 80",
     "80D80001"
     "80"
     "8810" B16 "00",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, new KVN 00",
     "80D80001"
     "00"
     "8810" B16 "00",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, key type A1",
     "80D80001"
     "05"
     "A110" B16 "00",
     SW_GP_ALGORITHM_NOT_SUPPORTED, 0, true},
    {"PUT KEY, KCV that does not match",
     "80D80001"
     "05"
     "8810" B16 "03000000",
     SW_GP_INVALID_KCV, 0, true},
    {"PUT KEY, key block truncated",
     "80D80001"
     "05"
     "881011111111",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, key block not whole AES blocks",
     "80D80001"
     "05"
     "880C111111111111111111111111"
     "00",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, KCV length 2",
     "80D80001"
     "05"
     "8810" B16 "020000",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, two keys without P2 b8",
     "80D80001"
     "05"
     "8810" B16 "00"
     "8810" B16 "00",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, ids 7F and 80",
     "80D800FF"
     "05"
     "8810" B16 "00"
     "8810" B16 "00",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, replace a set that does not exist",
     "80D80501"
     "06"
     "8810" B16 "00",
     SW_REFERENCED_DATA_NOT_FOUND, 0, true},
    {"PUT KEY, add a set whose KVN exists",
     "80D80001"
     "01"
     "8810" B16 "00",
     SW_WRONG_DATA, 0, true},
    {"DELETE KEY, P1 01", "80E40100D20101", SW_INCORRECT_P1P2, 0, true},
    {"DELETE KEY, P2 01", "80E40001D20101", SW_INCORRECT_P1P2, 0, true},
    {"DELETE KEY without data", "80E40000", SW_WRONG_LENGTH, 0, true},
    {"DELETE KEY, tag D1", "80E40000D10101", SW_WRONG_DATA, 0, true},
    {"DELETE KEY, length 2", "80E40000D2020101", SW_WRONG_DATA, 0, true},
    {"DELETE KEY, truncated", "80E40000D201", SW_WRONG_DATA, 0, true},
    {"DELETE KEY, tag twice", "80E40000D20101D20101", SW_WRONG_DATA, 0, true},
    {"DELETE KEY, an application",
     "80E40000"
     "4F05A000000151",
     SW_REFERENCED_DATA_NOT_FOUND, 0, true},
    {"DELETE KEY, no such set", "80E40000D20142", SW_REFERENCED_DATA_NOT_FOUND, 0, true},
    {"GET DATA, unknown tag", "80CA1234", SW_REFERENCED_DATA_NOT_FOUND, 0, true},
    {"SET STATUS, P1 20", "80F02080", SW_INCORRECT_P1P2, 0, true},
    {"SET STATUS, card to OP_READY", "80F08001", SW_INCORRECT_P1P2, 0, true},
    {"SET STATUS, card back to INITIALIZED", "80F08007", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"SET STATUS, another AID for the card", "80F0807FA000000151000001", SW_REFERENCED_DATA_NOT_FOUND, 0,
     true},
    {"SET STATUS, lock the ISD as an application", "80F04080A000000151000000", SW_CONDITIONS_NOT_SATISFIED, 0,
     true},
    {"SET STATUS, lock an unknown application", "80F04080A000000151000001", SW_REFERENCED_DATA_NOT_FOUND, 0,
     true},
    {"SET STATUS, application AID of 4 bytes", "80F04080A0000001", SW_WRONG_DATA, 0, true},
    {"DELETE the ISD", "80E400004F08A000000151000000", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"DELETE, AID of 3 bytes", "80E400004F03A00000", SW_WRONG_DATA, 0, true},
    {"DELETE, 4F truncated", "80E400004F09A000000151", SW_WRONG_DATA, 0, true},
    {"INSTALL for extradition", "80E6100000", SW_INCORRECT_P1P2, 0, true},
    {"INSTALL, P2 01", "80E60C0100", SW_INCORRECT_P1P2, 0, true},
    {"INSTALL without data", "80E60C00", SW_WRONG_LENGTH, 0, true},
    {"INSTALL, fields overrun the data", "80E60C0007A000000804", SW_WRONG_DATA, 0, true},
    {"INSTALL, a load file this card does not have",
     "80E60C00"
     "07A0000008040001"
     "08A000000804000103"
     "09A00000080400010301"
     "0100"
     "02C900"
     "00",
     SW_REFERENCED_DATA_NOT_FOUND, 0, true},
    {"INSTALL for load, a package cardforge does not have", "80E6020007A0000000620001000000", SW_WRONG_DATA,
     0, true},
    {"INSTALL for load, hash of 5 bytes", "80E6020007A00000080400010005111111111100", SW_WRONG_DATA, 0, true},
    {"INSTALL for personalization, unknown application", "80E62000000009A00000080400010101000000",
     SW_REFERENCED_DATA_NOT_FOUND, 0, true},
    {"LOAD without INSTALL for load", "80E88000C400", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"STORE DATA without INSTALL for personalization", "80E2800001", SW_CONDITIONS_NOT_SATISFIED, 0, true},
};

/* inside the channel of the SCP02 factory card: its only set cannot go */
static const rb_bad_case scp02_cases[] = {
    {"DELETE KEY of the last usable set", "80E40000D201FF", SW_CONDITIONS_NOT_SATISFIED, 0, true},
    {"PUT KEY, DES key of 8 bytes",
     "80D80001"
     "05"
     "80081111111111111111"
     "00",
     SW_WRONG_DATA, 0, true},
    {"PUT KEY, KCV that does not match",
     "80D80001"
     "05"
     "8010" B16 "03000000",
     SW_GP_INVALID_KCV, 0, true},
    {"PUT KEY, replace the factory set",
     "80D87F01"
     "01"
     "8010" B16 "00",
     SW_REFERENCED_DATA_NOT_FOUND, 0, true},
};

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rg_make_templates(dir);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rb_rmdir(dir);
  return 0;
}

#define TABLE(label, params, from, setup, cases)                                                             \
  (rb_bad_table) {                                                                                           \
    label, &gp_profile, params, from, setup, rg_secure, cases, sizeof cases / sizeof cases[0]                \
  }

static void test_plain(void **state) {
  (void)state;
  rb_bad_table t = TABLE("gp without a channel", "scp=02", "scp02.card", rg_select, plain_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_scp03(void **state) {
  (void)state;
  rb_bad_table t = TABLE("gp in SCP03", "scp=03", "scp03-two.card", rg_open, scp03_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

static void test_scp02(void **state) {
  (void)state;
  rb_bad_table t = TABLE("gp in SCP02", "scp=02", "scp02.card", rg_open, scp02_cases);
  assert_int_equal(rb_bad_run(dir, &t), t.count);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain),
      cmocka_unit_test(test_scp03),
      cmocka_unit_test(test_scp02),
  };
  return cmocka_run_group_tests_name("robust_malformed_gp", tests, group_setup, group_teardown);
}
