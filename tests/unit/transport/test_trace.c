/* Trace lines: exact format, and what redaction hides (data only, never the header or SW). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cardforge/transport.h"

static char *render(bool command, const uint8_t *buf, size_t len, bool redact) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  assert_non_null(f);
  cf_trace_apdu(f, command, buf, len, redact);
  fclose(f);
  return text;
}

static void expect(bool command, const uint8_t *buf, size_t len, bool redact, const char *want) {
  char *got = render(command, buf, len, redact);
  assert_string_equal(got, want);
  free(got);
}

static void case1_and_case2_commands(void **state) {
  const uint8_t c1[] = {0x80, 0xF2, 0x00, 0x00};
  const uint8_t c2[] = {0x80, 0xF2, 0x00, 0x00, 0x00};
  expect(true, c1, sizeof c1, false, "> 80 F2 00 00\n");
  expect(true, c2, sizeof c2, false, "> 80 F2 00 00 00\n");
  /* nothing to hide in a command without data */
  expect(true, c2, sizeof c2, true, "> 80 F2 00 00 00\n");
}

static void case4_command_redacts_only_data(void **state) {
  const uint8_t c4[] = {0x80, 0x20, 0x00, 0x00, 0x03, 0x31, 0x32, 0x33, 0x00};
  expect(true, c4, sizeof c4, false, "> 80 20 00 00 03 31 32 33 00\n");
  expect(true, c4, sizeof c4, true, "> 80 20 00 00 03 <3 bytes redacted> 00\n");
}

static void extended_command_redacts_only_data(void **state) {
  uint8_t cmd[4 + 3 + 300 + 2] = {0x80, 0xD0, 0x00, 0x00, 0x00, 0x01, 0x2C};
  for (size_t i = 0; i < 300; i++)
    cmd[7 + i] = 0x42;
  cmd[307] = 0x00;
  cmd[308] = 0x00;
  expect(true, cmd, sizeof cmd, true, "> 80 D0 00 00 00 01 2C <300 bytes redacted> 00 00\n");
}

static void one_byte_of_data_is_singular(void **state) {
  const uint8_t c3[] = {0x00, 0x20, 0x00, 0x81, 0x01, 0x99};
  expect(true, c3, sizeof c3, true, "> 00 20 00 81 01 <1 byte redacted>\n");
}

static void malformed_command_hides_everything_past_header(void **state) {
  const uint8_t bad[] = {0x80, 0x20, 0x00, 0x00, 0x05, 0x31, 0x32};
  expect(true, bad, sizeof bad, true, "> 80 20 00 00 <3 bytes redacted>\n");
  expect(true, bad, sizeof bad, false, "> 80 20 00 00 05 31 32\n");
}

static void responses(void **state) {
  const uint8_t ok[] = {0x90, 0x00};
  const uint8_t data[] = {0x01, 0x02, 0x03, 0x90, 0x00};
  const uint8_t odd[] = {0x6A};
  expect(false, ok, sizeof ok, false, "< 9000\n");
  expect(false, ok, sizeof ok, true, "< 9000\n");
  expect(false, data, sizeof data, false, "< 01 02 03 9000\n");
  expect(false, data, sizeof data, true, "< <3 bytes redacted> 9000\n");
  expect(false, odd, sizeof odd, false, "< 6A\n");
}

static void null_stream_is_ignored(void **state) {
  const uint8_t ok[] = {0x90, 0x00};
  cf_trace_apdu(NULL, false, ok, sizeof ok, false);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(case1_and_case2_commands),
      cmocka_unit_test(case4_command_redacts_only_data),
      cmocka_unit_test(extended_command_redacts_only_data),
      cmocka_unit_test(one_byte_of_data_is_singular),
      cmocka_unit_test(malformed_command_hides_everything_past_header),
      cmocka_unit_test(responses),
      cmocka_unit_test(null_stream_is_ignored),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
