/* Error lines name the reader: cf_cli_error appends " [reader R]" for the one reader a command
 * opened, unless the message already names it; with several readers each message names its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/cli.h"

/* Runs cf_cli_error(msg) with stderr sent to a file and returns what it wrote. */
static const char *error_line(const char *msg) {
  static char buf[512];
  char path[] = "/tmp/cf-cli-names-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  assert_int_equal(dup2(fd, 2), 2);
  cf_cli_error("%s", msg);
  fflush(stderr);
  assert_int_equal(dup2(saved, 2), 2);
  close(saved);
  lseek(fd, 0, SEEK_SET);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  assert_true(n >= 0);
  buf[n] = '\0';
  close(fd);
  unlink(path);
  return buf;
}

static void names_the_one_reader(void **state) {
  (void)state;
  assert_null(cf_cli_current_reader());
  assert_string_equal(error_line("no reader yet"), "cardforge: no reader yet\n");
  cf_cli_note_reader("Virtual PCD 00 01");
  cf_cli_note_reader("Virtual PCD 00 01"); /* the same reader twice is still one reader */
  assert_string_equal(cf_cli_current_reader(), "Virtual PCD 00 01");
  assert_string_equal(
      error_line("SELECT: card answered SW 6A82 (file or application not found)"),
      "cardforge: SELECT: card answered SW 6A82 (file or application not found) [reader Virtual "
      "PCD 00 01]\n");
  assert_string_equal(error_line("Virtual PCD 00 01: no card in the reader"),
                      "cardforge: Virtual PCD 00 01: no card in the reader\n");
  cf_cli_note_reader("Virtual PCD 00 00"); /* a second reader: messages name their own */
  assert_null(cf_cli_current_reader());
  assert_string_equal(error_line("KMC Verify PIN: wrong PIN"), "cardforge: KMC Verify PIN: wrong PIN\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(names_the_one_reader)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
