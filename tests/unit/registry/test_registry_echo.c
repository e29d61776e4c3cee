/* A card application added by one folder (echo_card/) and one registry line (the cf_card_family
 * call in this folder's CMakeLists.txt): the registry built with it (cf_registry_with_echo) finds
 * the new type after every type of the build, checks its declared parameters, and the card it
 * makes answers through the runtime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/registry.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "echo_card.h"

static void listed_last_after_the_build_families(void **state) {
  (void)state;
  size_t count = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  assert_true(count >= 2);
  assert_string_equal(all[0]->name, "loopback");
  assert_ptr_equal(all[count - 1], &echo_card_profile);
  assert_ptr_equal(cf_card_profile_find("echo"), &echo_card_profile);
}

static void parameters_declared_and_checked(void **state) {
  (void)state;
  size_t n = 0;
  const cf_param_spec *specs = cf_card_type_params("echo", &n);
  assert_non_null(specs);
  assert_int_equal(n, 1);
  assert_string_equal(specs[0].name, "tag");
  char err[256];
  assert_int_equal(cf_params_check("echo", specs, n, "tag=A5", err, sizeof err), 0);
  assert_int_equal(cf_params_check("echo", specs, n, "tga=A5", err, sizeof err), -1);
  assert_non_null(strstr(err, "tag"));
  assert_int_equal(cf_params_check("echo", specs, n, "tag=A5A5", err, sizeof err), -1);
}

/* SELECT by AID, then INS 01: the tag given as a parameter, then the data. */
static void the_card_answers(void **state) {
  (void)state;
  cf_store *store = NULL;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  cf_card *card = cf_card_profile_find("echo")->create(store, "tag=A5");
  assert_non_null(card);
  cf_card_power_on(card);
  static const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00, 0x05, 0xF0, 0x65, 0x63, 0x68, 0x6F};
  static const uint8_t echo[] = {0x00, ECHO_CARD_INS_ECHO, 0x00, 0x00, 0x02, 0x12, 0x34};
  static const uint8_t unknown[] = {0x00, 0x7F, 0x00, 0x00};
  uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
  size_t n = cf_card_transmit(card, select, sizeof select, resp, sizeof resp);
  assert_int_equal(n, 2);
  assert_int_equal(resp[0] << 8 | resp[1], SW_OK);
  n = cf_card_transmit(card, echo, sizeof echo, resp, sizeof resp);
  static const uint8_t expected[] = {0xA5, 0x12, 0x34, 0x90, 0x00};
  assert_int_equal(n, sizeof expected);
  assert_memory_equal(resp, expected, sizeof expected);
  n = cf_card_transmit(card, unknown, sizeof unknown, resp, sizeof resp);
  assert_int_equal(n, 2);
  assert_int_equal(resp[0] << 8 | resp[1], SW_INS_NOT_SUPPORTED);
  cf_card_free(card);
  /* a malformed parameter makes no card */
  assert_null(cf_card_profile_find("echo")->create(store, "tag=XYZ"));
  cf_store_close(store);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(listed_last_after_the_build_families),
      cmocka_unit_test(parameters_declared_and_checked),
      cmocka_unit_test(the_card_answers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
