/* CLI helpers: status word meanings, the state directory rule, directory creation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/cli.h"
#include "cardforge/clicommon.h"

static void sw_meanings(void **state) {
  assert_string_equal(cf_sw_meaning(0x9000), "success");
  assert_string_equal(cf_sw_meaning(0x6982), "security status not satisfied");
  assert_string_equal(cf_sw_meaning(0x6A82), "file or application not found");
  assert_string_equal(cf_sw_meaning(0x63C2), "verification failed, 2 tries left");
  assert_string_equal(cf_sw_meaning(0x6110), "16 more response bytes available");
  assert_string_equal(cf_sw_meaning(0x6100), "256 more response bytes available");
  assert_string_equal(cf_sw_meaning(0x6C05), "wrong Le: 5 bytes available");
  assert_string_equal(cf_sw_meaning(0x6A99), "checking error");
  assert_string_equal(cf_sw_meaning(0x1234), "unknown status word");
}

static void state_dir_precedence(void **state) {
  char dir[256];
  setenv("HOME", "/home/u", 1);
  unsetenv("XDG_DATA_HOME");
  unsetenv("CARDFORGE_HOME");
  assert_int_equal(cf_cli_default_state_dir(dir, sizeof dir), 0);
  assert_string_equal(dir, "/home/u/.local/share/cardforge");
  setenv("XDG_DATA_HOME", "relative/ignored", 1);
  assert_int_equal(cf_cli_default_state_dir(dir, sizeof dir), 0);
  assert_string_equal(dir, "/home/u/.local/share/cardforge");
  setenv("XDG_DATA_HOME", "/xdg", 1);
  assert_int_equal(cf_cli_default_state_dir(dir, sizeof dir), 0);
  assert_string_equal(dir, "/xdg/cardforge");
  setenv("CARDFORGE_HOME", "/cf", 1);
  assert_int_equal(cf_cli_default_state_dir(dir, sizeof dir), 0);
  assert_string_equal(dir, "/cf");
  assert_int_equal(cf_cli_default_state_dir(dir, 3), -1);
  unsetenv("CARDFORGE_HOME");
  unsetenv("XDG_DATA_HOME");
  unsetenv("HOME");
  assert_int_equal(cf_cli_default_state_dir(dir, sizeof dir), -1);
}

static void mkdirs_creates_parents(void **state) {
  char base[] = "/tmp/cf-mkdirs-XXXXXX";
  assert_non_null(mkdtemp(base));
  char deep[256];
  snprintf(deep, sizeof deep, "%s/a/b/c", base);
  assert_int_equal(cf_cli_mkdirs(deep), 0);
  struct stat st;
  assert_int_equal(stat(deep, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(cf_cli_mkdirs(deep), 0);
  char file[256];
  snprintf(file, sizeof file, "%s/f", base);
  FILE *f = fopen(file, "w");
  fclose(f);
  char under_file[300];
  snprintf(under_file, sizeof under_file, "%s/x", file);
  assert_int_equal(cf_cli_mkdirs(under_file), -1);
  assert_int_equal(cf_cli_mkdirs(file), -1);
  unlink(file);
  for (int i = 0; i < 3; i++) {
    rmdir(deep);
    *strrchr(deep, '/') = '\0';
  }
  rmdir(base);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sw_meanings),
      cmocka_unit_test(state_dir_precedence),
      cmocka_unit_test(mkdirs_creates_parents),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
