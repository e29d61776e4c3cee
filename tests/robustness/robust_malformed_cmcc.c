/* Malformed input against the China Mobile cards (T=0 style). Expected status words: the spec's
 * tables (密钥母卡设备要求 v1.0.0 chapter 8) in the order of checks docs/cmcc-profile.md fixes
 * (class 6E00, instruction 6D00, P1/P2 6A86, lengths 6700, security 6982, random 6985/6984, data).
 * Every case must leave the persistent state byte-identical; in particular a refused PIN or
 * authentication of the wrong format must not cost a try. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cardforge/cmcc.h"
#include "cardforge/sw.h"
#include "robust_cmcc.h"

static char *dir;

#define PIN8 "3232323232323232"
#define B8 "0102030405060708"
#define B32 B8 B8 B8 B8
#define CHAL "F084000004|"

static const rb_bad_case kmc_cases[] = {
    {"CLA FF", "FF20000208" PIN8, SW_CLA_NOT_SUPPORTED, 0, false},
    {"Verify PIN with CLA 00", "0020000208" PIN8, SW_CLA_NOT_SUPPORTED, 0, false},
    {"Verify PIN with CLA 84", "8420000208" PIN8, SW_CLA_NOT_SUPPORTED, 0, false},
    {"Generate Key with CLA F0",
     "F0E200000B"
     "0901010000320000000000",
     SW_CLA_NOT_SUPPORTED, 0, false},
    {"unknown INS", "F0990000", SW_INS_NOT_SUPPORTED, 0, false},
    {"unknown INS, class 80", "80990000", SW_INS_NOT_SUPPORTED, 0, false},
    {"Verify PIN, P1 01", "F020010208" PIN8, SW_INCORRECT_P1P2, 0, false},
    {"Verify PIN, P2 04", "F020000408" PIN8, SW_INCORRECT_P1P2, 0, false},
    {"Verify PIN of 7 bytes (no try used)", "F02000020732323232323232", SW_WRONG_LENGTH, 0, false},
    {"Verify PIN without data", "F0200002", SW_WRONG_LENGTH, 0, false},
    {"Change PIN with only the old PIN", "F024000208" PIN8, SW_WRONG_LENGTH, 0, false},
    {"Reload PIN without the operator", "F026000208" PIN8, SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"Reload PIN, P2 04", "F026000408" PIN8, SW_INCORRECT_P1P2, 0, false},
    {"Get Challenge, P1 01", "F084010004", SW_INCORRECT_P1P2, 0, false},
    {"Get Challenge, Le 8 (T=0: 6C04)", "F084000008", SW_WRONG_LE(4), 0, false},
    {"External Authentication, P2 03", "F082000308" B8, SW_INCORRECT_P1P2, 0, false},
    {"External Authentication, P1 01", "F082010208" B8, SW_INCORRECT_P1P2, 0, false},
    {"External Authentication, P2 00 on the KMC", "F082000008" B8, SW_FUNC_NOT_SUPPORTED, 0, false},
    {"External Authentication, 7 bytes", CHAL "F08200020701020304050607", SW_WRONG_LENGTH, 0, false},
    {"External Authentication without Get Challenge", "F082000208" B8, SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"External Authentication, challenge voided", CHAL "00B4010000|F082000208" B8, CMCC_SW_RANDOM_INVALID, 0,
     false},
    {"SELECT, P1 00", "F0A4000008D156000101800004", SW_INCORRECT_P1P2, 0, false},
    {"SELECT, name of 4 bytes", "F0A4040004D1560001", SW_WRONG_LENGTH, 0, false},
    {"SELECT, P2 02", "F0A4040208D156000101800004", SW_FILE_NOT_FOUND, 0, false},
    {"SELECT, unknown name", "F0A4040008D1560001018000FF", SW_FILE_NOT_FOUND, 0, false},
    {"Read KeyInfo, record 00", "00B400000B", SW_INCORRECT_P1P2, 0, false},
    {"Read KeyInfo, P2 01", "00B401010B", SW_INCORRECT_P1P2, 0, false},
    {"Read KeyInfo beyond the last record", "00B420000B", SW_WRONG_P1P2, 0, false},
    {"Read KeyInfo, Le 0C (T=0: 6C0B)", "00B401000C", SW_WRONG_LE(0x0B), 0, false},
    {"GET RESPONSE with nothing pending", "00C0000004", SW_UNKNOWN, 0, false},
    {"INIT_FOR_GENERATE, P1 01",
     "80E1010011"
     "03" B8 B8,
     SW_INCORRECT_P1P2, 0, false},
    {"INIT_FOR_GENERATE, seed of 15 bytes",
     "80E1000010"
     "03" B8 "01020304050607",
     SW_WRONG_LENGTH, 0, false},
    {"INIT_FOR_GENERATE without security",
     "80E1000011"
     "03" B8 B8,
     SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"Generate Key without security",
     "80E200000B"
     "0901010000320000000000",
     SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"Import Key, P2 03", "80D8000324" B32 "01020304", SW_INCORRECT_P1P2, 0, false},
    {"Import Key, Lc 20", "80D8000120" B32, SW_WRONG_LENGTH, 0, false},
    {"Import Key without security", CHAL "80D8000124" B32 "01020304", SW_SECURITY_STATUS_NOT_SATISFIED, 0,
     false},
    {"Update Info, Lc 11",
     "80D800000B"
     "0102030405060708090A0B",
     SW_WRONG_LENGTH, 0, false},
    {"Update Info, Lc 13",
     "80D800000D"
     "0102030405060708090A0B0C0D",
     SW_WRONG_LENGTH, 0, false},
    {"Export Keys&Data, P1 04", "80C2040000", SW_INCORRECT_P1P2, 0, false},
    {"CopyExport Key, P2 02",
     "80C400020E"
     "80D80001"
     "010105"
     "010108"
     "01020304",
     SW_INCORRECT_P1P2, 0, false},
    {"Lc longer than the data", "F020000208323232", SW_WRONG_LENGTH, 0, false},
};

/* the KMC with PIN 02 and the second master key authenticated */
static const rb_bad_case kmc_auth_cases[] = {
    {"INIT_FOR_GENERATE, count 0",
     "80E1000011"
     "00" B8 B8,
     SW_WRONG_DATA, 0, false},
    {"Generate Key without INIT_FOR_GENERATE",
     "80E200000B"
     "0901010000320000000000",
     SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"Generate Key, type 01",
     "80E1000011"
     "01" B8 B8 "|80E200000B"
     "0101010000000000000000",
     CMCC_SW_KEY_TYPE, 0, false},
    {"Generate Key, usage 6",
     "80E1000011"
     "01" B8 B8 "|80E200000B"
     "0901010000360000000000",
     CMCC_SW_KEY_STATE, 0, false},
    {"Generate Key, algorithm 01",
     "80E1000011"
     "01" B8 B8 "|80E200000B"
     "0901010100320000000000",
     SW_WRONG_DATA, 0, false},
    {"Generate Key after another command",
     "80E1000011"
     "01" B8 B8 "|00B401000B|80E200000B"
     "0901010000320000000000",
     SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"Import Key without Get Challenge", "80D8000224" B32 "01020304", SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"Import Key, wrong MAC", CHAL "80D8000224" B32 "01020304", CMCC_SW_BAD_MAC, 0, false},
    {"Update Info, wrong MAC", CHAL "80D800000C" B8 "01020304", CMCC_SW_BAD_MAC, 0, false},
    {"Export Keys&Data, fields longer than Lc",
     "80C2000005"
     "8418000001",
     SW_WRONG_LENGTH, 0, false},
    {"CopyExport Key, keys missing",
     "80C400000E"
     "80D80001"
     "010905"
     "010908"
     "01020304",
     CMCC_SW_KEY_NOT_FOUND, 0, false},
    {"Inst_MAC Generate, P1 04", "8032040000", SW_INCORRECT_P1P2, 0, false},
};

static const rb_bad_case authcard_cases[] = {
    {"External Authentication, P2 01 on the auth card", "F082000108" B8, SW_FUNC_NOT_SUPPORTED, 0, false},
    {"Encrypt Data without the PIN",
     "8030000005"
     "0102030400",
     SW_SECURITY_STATUS_NOT_SATISFIED, 0, false},
    {"Encrypt Data, len byte against Lc",
     "8030000006"
     "010203040300",
     SW_WRONG_LENGTH, 0, false},
    {"MAC Generate, P1 01",
     "8032010005"
     "0102030400",
     SW_INCORRECT_P1P2, 0, false},
    {"Import Key, level 2", "80D8000224" B32 "01020304", SW_INCORRECT_P1P2, 0, false},
};

static const rb_bad_case workcard_cases[] = {
    {"External Authentication, P2 00 on the working card", "F082000008" B8, SW_FUNC_NOT_SUPPORTED, 0, false},
    {"Export Key without the terminal initial key",
     "80C0000013"
     "01020304" B8 "02"
     "0101"
     "01020304",
     CMCC_SW_KEY_NOT_FOUND, 0, false},
    {"Export Key, header length against Lc",
     "80C0000013"
     "01020304" B8 "05"
     "0101"
     "01020304",
     SW_WRONG_LENGTH, 0, false},
    {"Export Data, wrong MAC3", "00A4040008D156000101800002|80C0000008" B8, SW_SECURITY_STATUS_NOT_SATISFIED,
     0, false},
    {"Export Key, P1 01", "80C0010013" B8 B8 "010101", SW_INCORRECT_P1P2, 0, false},
};

static const rb_bad_case usercard_cases[] = {
    {"CREATE SUB_APPLICATION without GET CHALLENGE", "84E001001C" B8 B8 B8 "01020304",
     SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"CREATE SUB_APPLICATION, wrong MAC", "0084000004|84E001001C" B8 B8 B8 "01020304", CMCC_SW_BAD_MAC, 0,
     false},
    {"CREATE SUB_APPLICATION, sub-application 09", "84E009001C" B8 B8 B8 "01020304", SW_INCORRECT_P1P2, 0,
     false},
    {"CREATE SUB_APPLICATION, Lc 11",
     "84E001000B"
     "0102030405060708090A0B",
     SW_WRONG_LENGTH, 0, false},
    {"GET CHALLENGE, P1 01", "0084010004", SW_INCORRECT_P1P2, 0, false},
    {"INTERNAL AUTHENTICATE, 7 bytes", "008801010701020304050607", SW_WRONG_LENGTH, 0, false},
    {"INTERNAL AUTHENTICATE, no such key", "0088010108" B8, SW_REFERENCED_DATA_NOT_FOUND, 0, false},
    {"READ, nothing there", "00B0010000", SW_REFERENCED_DATA_NOT_FOUND, 0, false},
    {"VERIFY MAC, 3 bytes", "8482010103010203", SW_WRONG_LENGTH, 0, false},
    {"VERIFY MAC without GET CHALLENGE", "8482010108" B8, SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"unknown INS", "00990000", SW_INS_NOT_SUPPORTED, 0, false},
};

static const rb_bad_case sam_cases[] = {
    {"WRITE_KEY, P1 01", "84D401001C" B8 B8 B8 "01020304", SW_INCORRECT_P1P2, 0, false},
    {"WRITE_KEY without GET CHALLENGE", "84D400001C" B8 B8 B8 "01020304", SW_CONDITIONS_NOT_SATISFIED, 0,
     false},
    {"WRITE_KEY, wrong MAC", "0084000004|84D400001C" B8 B8 B8 "01020304", CMCC_SW_BAD_MAC, 0, false},
    {"WRITE_KEY, Lc 13", "84D400000D" B8 "0102030405", SW_WRONG_LENGTH, 0, false},
};

static const rb_bad_case terminal_cases[] = {
    {"PREPARE EXPORT KEY, Lc 5", "80500000050102030401", SW_WRONG_LENGTH, 0, false},
    {"LOAD KEY without PREPARE EXPORT KEY",
     "805200001D"
     "18" B8 B8 B8 "01020304",
     SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"PREPARE EXPORT DATA without a loaded key", "8054000008", SW_CONDITIONS_NOT_SATISFIED, 0, false},
    {"LOAD DATA, Lc 9", "805600000901020304050607080A", SW_WRONG_LENGTH, 0, false},
};

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rc_make_templates(dir);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rc_free_helpers();
  rb_rmdir(dir);
  return 0;
}

static void run(const char *label, const char *from, int (*setup)(rb_card *), const rb_bad_case *cases,
                size_t n) {
  rb_bad_table t = {label, rc_profile(from), "", from, setup, NULL, cases, n};
  assert_int_equal(rb_bad_run(dir, &t), n);
}

#define RUN(label, from, setup, cases) run(label, from, setup, cases, sizeof cases / sizeof cases[0])

static void test_kmc(void **state) {
  (void)state;
  RUN("KMC", "kmc.card", NULL, kmc_cases);
}
static void test_kmc_auth(void **state) {
  (void)state;
  RUN("KMC with PIN and authentication", "kmc.card", rc_auth12, kmc_auth_cases);
}
static void test_authcard(void **state) {
  (void)state;
  RUN("auth card", "authcard.card", NULL, authcard_cases);
}
static void test_workcard(void **state) {
  (void)state;
  RUN("working card", "workcard.card", NULL, workcard_cases);
}
static void test_usercard(void **state) {
  (void)state;
  RUN("user card", "usercard.card", NULL, usercard_cases);
}
static void test_sam(void **state) {
  (void)state;
  RUN("SAM", "sam.card", NULL, sam_cases);
}
static void test_terminal(void **state) {
  (void)state;
  RUN("terminal", "terminal.card", NULL, terminal_cases);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kmc),      cmocka_unit_test(test_kmc_auth), cmocka_unit_test(test_authcard),
      cmocka_unit_test(test_workcard), cmocka_unit_test(test_usercard), cmocka_unit_test(test_sam),
      cmocka_unit_test(test_terminal),
  };
  return cmocka_run_group_tests_name("robust_malformed_cmcc", tests, group_setup, group_teardown);
}
