/* error.h: every code has a name and words of its own, unknown codes are said to be unknown, and
 * the family codes (store, Keycard client, GP client, China Mobile host) are the same numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/error.h"
#include "cardforge/store.h"
#ifdef CF_WITH_KEYCARD
#include "cardforge/keycard_client.h"
#endif
#ifdef CF_WITH_GP
#include "cardforge/gp_client.h"
#endif
#ifdef CF_WITH_CMCC
#include "cardforge/cmcc_host.h"
#endif

/* The aliases, at compile time: a family enum that drifts from error.h does not build (as int: the
 * family enums are other enum types). */
_Static_assert((int)CF_STORE_OK == CF_OK && (int)CF_STORE_EIO == CF_ERR_IO &&
                   (int)CF_STORE_EINVAL == CF_ERR_ARG && (int)CF_STORE_POWER_CUT == CF_ERR_POWER_CUT &&
                   (int)CF_STORE_BUSY == CF_ERR_BUSY && (int)CF_STORE_EMPTY == CF_ERR_FILE_EMPTY &&
                   (int)CF_STORE_NOT_SQLITE == CF_ERR_NOT_SQLITE && (int)CF_STORE_FOREIGN == CF_ERR_FOREIGN &&
                   (int)CF_STORE_CORRUPT == CF_ERR_CORRUPT && (int)CF_STORE_MISSING == CF_ERR_MISSING &&
                   CF_STORE_NOT_FOUND > 0,
               "store codes are error.h's");
#ifdef CF_WITH_KEYCARD
_Static_assert((int)KEYCARD_CLIENT_OK == CF_OK && (int)KEYCARD_CLIENT_ETRANSPORT == CF_ERR_TRANSPORT &&
                   (int)KEYCARD_CLIENT_ECARD == CF_ERR_CARD && (int)KEYCARD_CLIENT_EVERIFY == CF_ERR_VERIFY &&
                   (int)KEYCARD_CLIENT_EPROTO == CF_ERR_PROTO && (int)KEYCARD_CLIENT_EARG == CF_ERR_ARG &&
                   (int)KEYCARD_CLIENT_ESTATE == CF_ERR_STATE &&
                   (int)KEYCARD_CLIENT_EINTERNAL == CF_ERR_INTERNAL,
               "Keycard client codes are error.h's");
#endif
#ifdef CF_WITH_GP
_Static_assert((int)CF_GP_OK == CF_OK && (int)CF_GP_ERR_TRANSPORT == CF_ERR_TRANSPORT &&
                   (int)CF_GP_ERR_CARD == CF_ERR_CARD && (int)CF_GP_ERR_VERIFY == CF_ERR_VERIFY &&
                   (int)CF_GP_ERR_PARAM == CF_ERR_ARG && (int)CF_GP_ERR_DATA == CF_ERR_PROTO,
               "GP client codes are error.h's");
#endif
#ifdef CF_WITH_CMCC
_Static_assert((int)CF_CMCC_OK == CF_OK && (int)CF_CMCC_E_CARD == CF_ERR_CARD &&
                   (int)CF_CMCC_E_TRANSPORT == CF_ERR_TRANSPORT && (int)CF_CMCC_E_VERIFY == CF_ERR_VERIFY &&
                   (int)CF_CMCC_E_INPUT == CF_ERR_ARG && (int)CF_CMCC_E_INTERNAL == CF_ERR_INTERNAL &&
                   (int)CF_CMCC_E_SHARED == CF_ERR_SHARED,
               "China Mobile host codes are error.h's");
#endif

static void every_code_named(void **state) {
  (void)state;
  const char *texts[-CF_ERR_LAST + 1];
  for (int code = 0; code >= CF_ERR_LAST; code--) {
    const char *name = cf_err_name(code), *text = cf_strerror(code);
    assert_non_null(name);
    assert_non_null(text);
    assert_string_not_equal(text, "unknown error");
    for (int other = 0; other > code; other--) /* words of its own */
      assert_string_not_equal(texts[-other], text);
    texts[-code] = text;
  }
  assert_string_equal(cf_err_name(CF_OK), "OK");
  assert_string_equal(cf_err_name(CF_ERR_CARD), "CARD");
  assert_string_equal(cf_strerror(CF_ERR_CARD), "card refused the command");
  assert_string_equal(cf_err_name(CF_ERR_MISSING), "MISSING");
}

static void unknown_codes(void **state) {
  (void)state;
  const int unknown[] = {CF_ERR_LAST - 1, -1000, 1, 2, 0x7FFFFFFF, -0x7FFFFFFF - 1};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    assert_string_equal(cf_strerror(unknown[i]), "unknown error");
    assert_null(cf_err_name(unknown[i]));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_code_named),
      cmocka_unit_test(unknown_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
