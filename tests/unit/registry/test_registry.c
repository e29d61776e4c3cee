/* The card-type registry of this build (cardforge/registry.h): it holds exactly the card types of
 * the enabled families (CF_WITH_KEYCARD, CF_WITH_GP, CF_WITH_CMCC, given to this test by
 * tests/unit/registry/CMakeLists.txt), the loopback card first, each type with its parameters
 * declared and a card that can be made on an empty store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/registry.h"
#include "cardforge/store.h"

typedef struct expected_type {
  const char *name;
  bool built;
} expected_type;

#ifdef CF_WITH_KEYCARD
#define KEYCARD_BUILT true
#else
#define KEYCARD_BUILT false
#endif
#ifdef CF_WITH_GP
#define GP_BUILT true
#else
#define GP_BUILT false
#endif
#ifdef CF_WITH_KEYCARD_CARD
#define KEYCARD_CARD_BUILT true
#else
#define KEYCARD_CARD_BUILT false
#endif
#ifdef CF_WITH_CMCC
#define CMCC_BUILT true
#else
#define CMCC_BUILT false
#endif

static const expected_type expected[] = {
    {"loopback", true},
    {"keycard-applet", KEYCARD_BUILT},
    {"gp", GP_BUILT},
    {"keycard", KEYCARD_CARD_BUILT},
    {"keycard-card", KEYCARD_CARD_BUILT},
    {"kmc", CMCC_BUILT},
    {"authcard", CMCC_BUILT},
    {"workcard", CMCC_BUILT},
    {"usercard", CMCC_BUILT},
    {"sam", CMCC_BUILT},
    {"terminal", CMCC_BUILT},
};
#define EXPECTED_COUNT (sizeof expected / sizeof expected[0])

static void exactly_the_enabled_families(void **state) {
  (void)state;
  size_t count = 0, built = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  for (size_t i = 0; i < EXPECTED_COUNT; i++) {
    const cf_card_profile *p = cf_card_profile_find(expected[i].name);
    if (expected[i].built) {
      if (p == NULL) fail_msg("card type %s missing from the registry", expected[i].name);
      assert_ptr_equal(all[built], p); /* in the order of registry/card_families.cmake */
      built++;
    } else if (p != NULL) {
      fail_msg("card type %s is in the registry though its family is off", expected[i].name);
    }
  }
  assert_int_equal(count, built);
  assert_string_equal(all[0]->name, "loopback");
  assert_null(cf_card_profile_find(NULL));
  assert_null(cf_card_profile_find("no-such-card"));
  assert_null(cf_card_profile_find("Loopback"));
}

/* Every type declares its parameters; a type of a family that is off declares none here. */
static void parameters_declared_for_the_built_types_only(void **state) {
  (void)state;
  for (size_t i = 0; i < EXPECTED_COUNT; i++) {
    size_t n = 99;
    const cf_param_spec *specs = cf_card_type_params(expected[i].name, &n);
    if (expected[i].built) {
      assert_non_null(specs);
      assert_true(n > 0);
    } else {
      assert_null(specs);
      assert_int_equal(n, 0);
    }
  }
  size_t n = 99;
  assert_null(cf_card_type_params(NULL, &n));
  assert_int_equal(n, 0);
}

static void every_type_makes_a_card(void **state) {
  (void)state;
  size_t count = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  for (size_t i = 0; i < count; i++) {
    cf_store *store = NULL;
    assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
    cf_card *card = all[i]->create(store, "");
    if (card == NULL) fail_msg("card type %s makes no card with default parameters", all[i]->name);
    size_t atr_len = 0;
    assert_non_null(cf_card_atr(card, &atr_len));
    assert_true(atr_len >= 2);
    cf_card_free(card);
    cf_store_close(store);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exactly_the_enabled_families),
      cmocka_unit_test(parameters_declared_for_the_built_types_only),
      cmocka_unit_test(every_type_makes_a_card),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
