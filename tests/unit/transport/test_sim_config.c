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
#include "cardforge/params.h"
#include "cardforge/registry.h"
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

/* Every registered card type declares its parameters; a string is checked against them. */
static void declared_parameters_are_checked(void **state) {
  (void)state;
  size_t types = 0;
  const cf_card_profile *const *all = cf_card_profiles(&types);
  for (size_t i = 0; i < types; i++) {
    size_t n = 99;
    assert_non_null(cf_card_type_params(all[i]->name, &n));
    assert_true(n > 0);
  }
  size_t n = 0;
  const cf_param_spec *gp = cf_card_type_params("gp", &n);
  assert_non_null(gp);
  char err[512];
  assert_int_equal(cf_params_check("gp", gp, n, "", err, sizeof err), 0);
  assert_int_equal(
      cf_params_check("gp", gp, n, "scp=03,kvn=30,key=404142434445464748494a4b4c4d4e4f", err, sizeof err), 0);
  assert_int_equal(cf_params_check("gp", gp, n, "scp=03,kvm=30", err, sizeof err), -1);
  assert_non_null(strstr(err, "unknown parameter \"kvm\" (gp parameters: scp, key, enc, mac, dek, kvn, i02"));
  assert_int_equal(cf_params_check("gp", gp, n, "scp=04", err, sizeof err), -1);
  assert_non_null(strstr(err, "bad value \"04\" for scp: expected 02|03"));
  assert_int_equal(cf_params_check("gp", gp, n, "kvn=300", err, sizeof err), -1);
  assert_non_null(strstr(err, "expected 1 byte in hex"));
  /* a malformed key is refused without showing it */
  assert_int_equal(cf_params_check("gp", gp, n, "key=4041424344454647XX", err, sizeof err), -1);
  assert_non_null(strstr(err, "bad value for key (secret, not shown)"));
  assert_null(strstr(err, "4041"));
  assert_int_equal(cf_params_check("gp", gp, n, "scp=02,scp=03", err, sizeof err), -1);
  assert_non_null(strstr(err, "given twice"));
  assert_int_equal(cf_params_check("gp", gp, n, "scp", err, sizeof err), -1);
  assert_non_null(strstr(err, "needs a value"));
  assert_int_equal(cf_params_check("gp", gp, n, "scp=02,", err, sizeof err), -1);
  assert_int_equal(cf_params_check("gp", gp, n, ",scp=02", err, sizeof err), -1);
  const cf_param_spec *kmc = cf_card_type_params("kmc", &n);
  assert_int_equal(
      cf_params_check("kmc", kmc, n, "keys=01020B,k0B=000102030405060708090A0B0C0D0E0F", err, sizeof err), 0);
  assert_int_equal(cf_params_check("kmc", kmc, n, "keys=0C", err, sizeof err), -1);
  assert_int_equal(cf_params_check("kmc", kmc, n, "keys=", err, sizeof err), 0); /* no preset key */
  assert_null(cf_card_type_params("nosuch", &n));
  assert_int_equal(n, 0);
}

static cf_store *made_card(const char *type, const char *params) {
  cf_store *store = NULL;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  cf_sim_card_spec c = {.reader = 0};
  snprintf(c.type, sizeof c.type, "%s", type);
  snprintf(c.params, sizeof c.params, "%s", params);
  bool new_card = false;
  char err[512];
  assert_int_equal(cf_sim_state_check(store, &c, "mem", &new_card, err, sizeof err), CF_SIM_STATE_OK);
  assert_true(new_card);
  cf_card *card = cf_card_profile_find(type)->create(store, params);
  assert_non_null(card);
  cf_card_free(card);
  assert_int_equal(cf_sim_state_record(store, &c, true), 0);
  return store;
}

static int state_check(cf_store *store, const char *type, const char *params, char *err, size_t errlen) {
  cf_sim_card_spec c = {.reader = 2};
  snprintf(c.type, sizeof c.type, "%s", type);
  snprintf(c.params, sizeof c.params, "%s", params);
  bool new_card = true;
  int rc = cf_sim_state_check(store, &c, "card.db", &new_card, err, errlen);
  assert_false(new_card);
  if (rc == CF_SIM_STATE_OK)
    rc = cf_sim_state_required(store, cf_card_profile_find(type), &c, "card.db", err, errlen);
  return rc;
}

/* A made card remembers its type and creation parameters: the same or none again are fine, the
 * defaults too, another value (secret or not) or another type is refused, and a record the type
 * needs must be there. No key appears in the record. */
static void state_identity_and_required_records(void **state) {
  (void)state;
  char err[512];
  cf_store *store = made_card("gp", "scp=03,key=000102030405060708090A0B0C0D0E0F");
  size_t len = 0;
  const uint8_t *id = cf_store_peek(store, CF_STORE_KEY(0, 1), &len);
  assert_non_null(id);
  char text[512] = {0};
  memcpy(text, id, len < sizeof text - 1 ? len : sizeof text - 1);
  assert_non_null(strstr(text, "type=gp\np scp=03\ns key="));
  assert_null(strstr(text, "000102030405060708090A0B0C0D0E0F"));
  assert_int_equal(state_check(store, "gp", "", err, sizeof err), CF_SIM_STATE_OK);
  assert_int_equal(
      state_check(store, "gp", "scp=03,key=000102030405060708090a0b0c0d0e0f,kvn=FF", err, sizeof err),
      CF_SIM_STATE_OK);
  assert_int_equal(state_check(store, "gp", "scp=02", err, sizeof err), CF_SIM_STATE_CONTRADICTS);
  assert_non_null(
      strstr(err, "reader 2: scp contradicts the existing card in card.db (it was made with scp=03)"));
  assert_non_null(strstr(err, "--fresh"));
  assert_int_equal(state_check(store, "gp", "key=00000000000000000000000000000000", err, sizeof err),
                   CF_SIM_STATE_CONTRADICTS);
  assert_non_null(strstr(err, "made with another key"));
  assert_int_equal(state_check(store, "gp", "serial=01020304", err, sizeof err), CF_SIM_STATE_CONTRADICTS);
  assert_non_null(strstr(err, "made without serial"));
  assert_int_equal(state_check(store, "keycard", "", err, sizeof err), CF_SIM_STATE_BROKEN);
  assert_non_null(strstr(err, "holds a gp card, not a keycard card"));
  /* the GP card's configuration record (namespace 1, record 1), gone: installing would make a new
   * card identity (the manifest check is the file store's; this one is the type's) */
  size_t n = cf_store_keys(store, NULL, 0);
  assert_int_equal(cf_store_begin(store), CF_STORE_OK);
  assert_int_equal(cf_store_delete(store, CF_STORE_KEY(1, 1)), CF_STORE_OK);
  assert_int_equal(cf_store_commit(store), CF_STORE_OK);
  assert_int_equal(state_check(store, "gp", "", err, sizeof err), CF_SIM_STATE_BROKEN);
  assert_non_null(strstr(err, "lacks record 0001:0001 that a gp card needs"));
  assert_int_equal(cf_store_keys(store, NULL, 0), n - 1); /* the check changed nothing */
  cf_store_close(store);
}

/* A version alias is the same version: a card made as 2.2 is a 2.2.1 card, one made as 3.1 is the
 * same as 3.1.0, and one made with the default is 3.2; another version contradicts it. */
static void version_aliases_agree(void **state) {
  (void)state;
  char err[512];
  size_t n = 0;
  const cf_param_spec *kc = cf_card_type_params("keycard", &n);
  assert_int_equal(cf_params_check("keycard", kc, n, "version=2.2", err, sizeof err), 0);
  assert_int_equal(cf_params_check("keycard", kc, n, "version=2.3", err, sizeof err), -1);
  cf_store *store = made_card("keycard", "version=2.2");
  assert_int_equal(state_check(store, "keycard", "version=2.2.1", err, sizeof err), CF_SIM_STATE_OK);
  assert_int_equal(state_check(store, "keycard", "version=2.2", err, sizeof err), CF_SIM_STATE_OK);
  assert_int_equal(state_check(store, "keycard", "version=3.0", err, sizeof err), CF_SIM_STATE_CONTRADICTS);
  cf_store_close(store);
  store = made_card("keycard", "version=3.1");
  assert_int_equal(state_check(store, "keycard", "version=3.1.0", err, sizeof err), CF_SIM_STATE_OK);
  assert_int_equal(state_check(store, "keycard", "version=2.2", err, sizeof err), CF_SIM_STATE_CONTRADICTS);
  cf_store_close(store);
  store = made_card("keycard", "");
  assert_int_equal(state_check(store, "keycard", "version=3.2", err, sizeof err), CF_SIM_STATE_OK);
  assert_int_equal(state_check(store, "keycard", "version=3.1.0", err, sizeof err), CF_SIM_STATE_CONTRADICTS);
  cf_store_close(store);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(version_aliases_agree),
      cmocka_unit_test(card_args_take_free_readers),
      cmocka_unit_test(config_statements),
      cmocka_unit_test(config_errors),
      cmocka_unit_test(config_file_reports_line),
      cmocka_unit_test(state_path_is_sanitised),
      cmocka_unit_test(profile_registry),
      cmocka_unit_test(declared_parameters_are_checked),
      cmocka_unit_test(state_identity_and_required_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
