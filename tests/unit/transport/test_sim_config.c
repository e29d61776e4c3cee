/* The emulator's card list: --card arguments, the configuration file, state file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/card.h"
#include "sim.h"

static void card_args_take_free_readers(void **state) {
  cf_sim_options o;
  char err[256];
  cf_sim_options_init(&o);
  assert_int_equal(cf_sim_config_line("reader 1 gp", &o, false, false, false, err, sizeof err), 0);
  assert_int_equal(cf_sim_add_card_arg(&o, "loopback", err, sizeof err), 0);
  assert_int_equal(cf_sim_add_card_arg(&o, "loopback:mode=t0,x=1", err, sizeof err), 0);
  assert_int_equal(o.card_count, 3);
  assert_int_equal(o.cards[1].reader, 0);
  assert_string_equal(o.cards[1].params, "");
  assert_int_equal(o.cards[2].reader, 2);
  assert_string_equal(o.cards[2].type, "loopback");
  assert_string_equal(o.cards[2].params, "mode=t0,x=1");
  assert_int_equal(cf_sim_add_card_arg(&o, ":mode=t0", err, sizeof err), -1);
  assert_non_null(strstr(err, "empty card type"));
}

static void config_statements(void **state) {
  cf_sim_options o;
  char err[256];
  cf_sim_options_init(&o);
  assert_int_equal(o.base_port, CF_SIM_DEFAULT_PORT);
  assert_int_equal(cf_sim_config_line("  # just a comment", &o, false, false, false, err, sizeof err), 0);
  assert_int_equal(cf_sim_config_line("", &o, false, false, false, err, sizeof err), 0);
  assert_int_equal(cf_sim_config_line("reader 0 keycard version=3.1  # the wallet\n", &o, false, false, false,
                                      err, sizeof err),
                   0);
  assert_int_equal(o.card_count, 1);
  assert_string_equal(o.cards[0].type, "keycard");
  assert_string_equal(o.cards[0].params, "version=3.1");
  assert_int_equal(cf_sim_config_line("state-dir /var/tmp/cards\n", &o, false, false, false, err, sizeof err),
                   0);
  assert_string_equal(o.state_dir, "/var/tmp/cards");
  assert_int_equal(cf_sim_config_line("state-dir /elsewhere", &o, true, false, false, err, sizeof err), 0);
  assert_string_equal(o.state_dir, "/var/tmp/cards");
  assert_int_equal(cf_sim_config_line("port 40000", &o, false, false, false, err, sizeof err), 0);
  assert_int_equal(o.base_port, 40000);
  assert_int_equal(cf_sim_config_line("port 41000", &o, false, true, false, err, sizeof err), 0);
  assert_int_equal(o.base_port, 40000);
  assert_int_equal(cf_sim_config_line("host 10.0.0.2", &o, false, false, false, err, sizeof err), 0);
  assert_string_equal(o.host, "10.0.0.2");
}

static void config_errors(void **state) {
  cf_sim_options o;
  char err[256];
  cf_sim_options_init(&o);
  assert_int_equal(cf_sim_config_line("reader x loopback", &o, false, false, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "reader number"));
  assert_int_equal(cf_sim_config_line("reader 0", &o, false, false, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "card type"));
  assert_int_equal(cf_sim_config_line("reader 100 loopback", &o, false, false, false, err, sizeof err), -1);
  assert_int_equal(cf_sim_config_line("port 0", &o, false, false, false, err, sizeof err), -1);
  assert_int_equal(cf_sim_config_line("port 80 81", &o, false, false, false, err, sizeof err), -1);
  assert_int_equal(cf_sim_config_line("slot 0 loopback", &o, false, false, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "unknown statement \"slot\""));
  assert_int_equal(cf_sim_config_line("reader 3 loopback", &o, false, false, false, err, sizeof err), 0);
  assert_int_equal(cf_sim_config_line("reader 3 gp", &o, false, false, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "two cards"));
  assert_int_equal(o.card_count, 1);
}

static void config_file_reports_line(void **state) {
  char path[] = "/tmp/cf-sim-config-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("# two cards\nreader 0 loopback\n\nreader 1 loopback mode=t0\nreader one gp\n", f);
  fclose(f);
  cf_sim_options o;
  char err[256];
  cf_sim_options_init(&o);
  assert_int_equal(cf_sim_config_load(path, &o, false, false, false, err, sizeof err), -1);
  char want[128];
  snprintf(want, sizeof want, "%s:5:", path);
  assert_non_null(strstr(err, want));
  assert_int_equal(o.card_count, 2);
  assert_string_equal(o.cards[1].params, "mode=t0");
  unlink(path);
  assert_int_equal(cf_sim_config_load(path, &o, false, false, false, err, sizeof err), -2);
}

static void state_path_is_sanitised(void **state) {
  cf_sim_options o;
  cf_sim_options_init(&o);
  snprintf(o.state_dir, sizeof o.state_dir, "/s");
  cf_sim_card_spec c = {.reader = 1};
  snprintf(c.type, sizeof c.type, "../we ird");
  char path[256];
  assert_int_equal(cf_sim_state_path(&o, &c, path, sizeof path), 0);
  assert_string_equal(path, "/s/reader1-.._we_ird.db");
  assert_null(strstr(path + 3, "/"));
  assert_int_equal(cf_sim_state_path(&o, &c, path, 10), -1);
}

static void profile_registry(void **state) {
  size_t count = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  assert_true(count >= 1);
  assert_string_equal(all[0]->name, "loopback");
  assert_ptr_equal(cf_card_profile_find("loopback"), all[0]);
  assert_null(cf_card_profile_find("no-such-card"));
  assert_null(cf_card_profile_find(NULL));
  for (size_t i = 0; i < count; i++) {
    assert_non_null(all[i]->create);
    assert_ptr_equal(cf_card_profile_find(all[i]->name), all[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(card_args_take_free_readers),
      cmocka_unit_test(config_statements),
      cmocka_unit_test(config_errors),
      cmocka_unit_test(config_file_reports_line),
      cmocka_unit_test(state_path_is_sanitised),
      cmocka_unit_test(profile_registry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
