/* Reader choice by exact name, index, unique substring; default to the first reader with a card. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/pcsc.h"

static const char *const names[] = {"Virtual PCD 00 00", "Virtual PCD 00 01",
                                    "Yubico YubiKey OTP+FIDO+CCID 00 00"};
static const bool cards[] = {false, true, true};

static int pick(const char *want, char *err) {
  return cf_pcsc_match_reader(names, cards, 3, want, err, 256);
}

static void default_is_first_reader_with_card(void **state) {
  char err[256];
  assert_int_equal(pick(NULL, err), 1);
  assert_int_equal(pick("", err), 1);
  const bool none[] = {false, false, false};
  assert_int_equal(cf_pcsc_match_reader(names, none, 3, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "no card in any reader"));
}

static void exact_name_wins(void **state) {
  char err[256];
  assert_int_equal(pick("Virtual PCD 00 00", err), 0);
  assert_int_equal(pick("Virtual PCD 00 01", err), 1);
}

static void digits_are_an_index_not_a_substring(void **state) {
  char err[256];
  assert_int_equal(pick("0", err), 0);
  assert_int_equal(pick("2", err), 2);
  assert_int_equal(pick("3", err), -1);
  assert_non_null(strstr(err, "no reader number 3"));
  assert_int_equal(pick("99999999999999999999", err), -1);
}

static void unique_substring_case_insensitive(void **state) {
  char err[256];
  assert_int_equal(pick("yubikey", err), 2);
  assert_int_equal(pick("PCD 00 01", err), 1);
}

static void ambiguous_and_unknown(void **state) {
  char err[256];
  assert_int_equal(pick("Virtual", err), -1);
  assert_non_null(strstr(err, "ambiguous"));
  assert_int_equal(pick("Gemalto", err), -1);
  assert_non_null(strstr(err, "no reader matches \"Gemalto\""));
}

static void no_readers(void **state) {
  char err[256];
  assert_int_equal(cf_pcsc_match_reader(NULL, NULL, 0, "0", err, sizeof err), -1);
  assert_string_equal(err, "no PC/SC reader found");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(default_is_first_reader_with_card),
      cmocka_unit_test(exact_name_wins),
      cmocka_unit_test(digits_are_an_index_not_a_substring),
      cmocka_unit_test(unique_substring_case_insensitive),
      cmocka_unit_test(ambiguous_and_unknown),
      cmocka_unit_test(no_readers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
