/* Card content management (GP 2.3.1): DELETE of an application and of a load file with and without
 * its related objects (11.2), INSTALL [for install], [for make selectable] and [for
 * personalization] (11.5) with C9 parameters reaching the application and a re-installed instance
 * starting afresh, INSTALL [for load] + LOAD (11.6) with the hash and CAP header checks, STORE DATA
 * forwarded to the application being personalised, and every error word of these commands. */
#include <stdio.h>

#include "gp_card_fixture.h"
#include "gp_composite_card.h"

#define ISD "A000000151000000"
#define KEYCARD_PKG "A0000008040001"
#define CASH_MODULE "A000000804000103"
#define WALLET_MODULE "A000000804000101"
#define APP_INDEX_WALLET 1 /* cf_card_applet_at: the ISD is 0 */
#define APP_INDEX_CASH 3

static uint16_t delete_aid(fixture *fx, uint8_t p2, const char *aid_hex) {
  char data[80];
  snprintf(data, sizeof data, "4F%02zX%s", strlen(aid_hex) / 2, aid_hex);
  uint8_t out[8];
  size_t len = 0;
  uint16_t sw = fx_cmd_hex(fx, 0xE4, 0x00, p2, data, out, &len);
  if (sw == SW_OK) assert_hex(out, len, "00");
  return sw;
}

/* INSTALL data: each field length-prefixed. */
static uint16_t install(fixture *fx, uint8_t p1, const char *elf, const char *module, const char *aid,
                        const char *privileges, const char *params) {
  char data[600];
  snprintf(data, sizeof data, "%02zX%s%02zX%s%02zX%s%02zX%s%02zX%s00", strlen(elf) / 2, elf,
           strlen(module) / 2, module, strlen(aid) / 2, aid, strlen(privileges) / 2, privileges,
           strlen(params) / 2, params);
  return fx_cmd_hex(fx, 0xE6, p1, 0x00, data, NULL, NULL);
}

static bool listed(fixture *fx, uint8_t p1, const char *aid_hex) {
  char data[40];
  snprintf(data, sizeof data, "4F%02zX%s", strlen(aid_hex) / 2, aid_hex);
  return fx_cmd_hex(fx, 0xF2, p1, 0x00, data, NULL, NULL) == SW_OK;
}

static uint8_t app_state(fixture *fx, const char *aid_hex) {
  char data[40];
  uint8_t out[64];
  size_t len = 0;
  snprintf(data, sizeof data, "4F%02zX%s", strlen(aid_hex) / 2, aid_hex);
  assert_int_equal(fx_cmd_hex(fx, 0xF2, 0x40, 0x00, data, out, &len), SW_OK);
  return out[1 + out[0]];
}

static const uint8_t *record(fixture *fx, size_t index, uint16_t rec, size_t *len) {
  cf_applet *a = cf_card_applet_at(fx->card, index);
  return cf_store_peek(fx->store, CF_STORE_KEY(a->ns, rec), len);
}

static fixture *open_card(void) {
  fixture *fx = fx_new_card(composite_create, "");
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  return fx;
}

static void test_delete_application(void **state) {
  (void)state;
  fixture *fx = open_card();
  size_t len;
  assert_non_null(record(fx, APP_INDEX_CASH, PROBE_REC_PARAMS, &len));
  assert_int_equal(delete_aid(fx, 0x00, CASH_AID), SW_OK);
  assert_false(listed(fx, 0x40, CASH_AID));
  assert_true(listed(fx, 0x40, WALLET_AID));
  assert_true(listed(fx, 0x20, KEYCARD_PKG));                      /* the load file stays */
  assert_null(record(fx, APP_INDEX_CASH, PROBE_REC_PARAMS, &len)); /* its data went with it */
  assert_int_equal(delete_aid(fx, 0x00, CASH_AID), SW_REFERENCED_DATA_NOT_FOUND);
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, "00A4040009" CASH_AID, NULL, 0, NULL), SW_FILE_NOT_FOUND);
  assert_int_equal(fx_raw(fx, "00A4040009" WALLET_AID, NULL, 0, NULL), SW_OK);
  fx_free(fx);
}

static void test_delete_errors(void **state) {
  (void)state;
  fixture *fx = open_card();
  assert_int_equal(delete_aid(fx, 0x00, ISD), SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(delete_aid(fx, 0x00, CASH_MODULE), SW_REFERENCED_DATA_NOT_FOUND); /* a module alone */
  assert_int_equal(delete_aid(fx, 0x00, "A0000008040001FF"), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(fx_cmd_hex(fx, 0xE4, 0x00, 0x00, "4F03A00000", NULL, NULL), SW_WRONG_DATA);
  assert_int_equal(fx_cmd_hex(fx, 0xE4, 0x00, 0x00, "4F09" CASH_AID "9E00", NULL, NULL), SW_WRONG_DATA);
  assert_int_equal(fx_cmd_hex(fx, 0xE4, 0x00, 0x00, "4F09A000000804", NULL, NULL), SW_WRONG_DATA);
  assert_int_equal(fx_cmd_hex(fx, 0xE4, 0x01, 0x00, "4F09" CASH_AID, NULL, NULL), SW_INCORRECT_P1P2);
  assert_int_equal(fx_cmd_hex(fx, 0xE4, 0x00, 0x01, "4F09" CASH_AID, NULL, NULL), SW_INCORRECT_P1P2);
  /* a load file with instances: refused without P2 80, nothing changed */
  assert_int_equal(delete_aid(fx, 0x00, KEYCARD_PKG), SW_CONDITIONS_NOT_SATISFIED);
  assert_true(listed(fx, 0x40, CASH_AID));
  assert_true(listed(fx, 0x20, KEYCARD_PKG));
  assert_true(fx->c.open);
  fx_free(fx);
}

static void test_delete_load_file_with_related(void **state) {
  (void)state;
  fixture *fx = open_card();
  assert_int_equal(delete_aid(fx, 0x80, KEYCARD_PKG), SW_OK);
  assert_false(listed(fx, 0x20, KEYCARD_PKG));
  static const char *keycard_apps[] = {WALLET_AID, NDEF_AID, CASH_AID, IDENT_AID, WALLET2_AID, WALLET3_AID};
  for (size_t n = 0; n < 6; n++)
    assert_false(listed(fx, 0x40, keycard_apps[n]));
  assert_true(listed(fx, 0x40, LOOPBACK_AID));
  assert_true(listed(fx, 0x20, "F063666C6F6F"));
  /* without its load file nothing can be installed from it */
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, CASH_MODULE, CASH_AID, "00", "C900"),
                   SW_REFERENCED_DATA_NOT_FOUND);
  /* a load file without instances goes with P2 00 */
  assert_int_equal(delete_aid(fx, 0x00, LOOPBACK_AID), SW_OK);
  assert_int_equal(delete_aid(fx, 0x00, "F063666C6F6F"), SW_OK);
  assert_int_equal(fx_cmd_hex(fx, 0xF2, 0x20, 0x00, "4F00", NULL, NULL), SW_REFERENCED_DATA_NOT_FOUND);
  fx_free(fx);
}

/* A deleted instance comes back afresh: its old data is gone, the C9 parameters are its install's. */
static void test_install_afresh(void **state) {
  (void)state;
  fixture *fx = open_card();
  uint8_t out[64];
  size_t len = 0;
  /* personalise the wallet, then delete and re-install it */
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x20, 0x00, "000009" WALLET_AID "000000", out, &len), SW_OK);
  assert_hex(out, len, "00");
  assert_int_equal(fx_cmd_hex(fx, 0xE2, 0x80, 0x00, "CAFE", NULL, NULL), SW_OK);
  const uint8_t *v = record(fx, APP_INDEX_WALLET, PROBE_REC_STORED, &len);
  assert_non_null(v);
  assert_hex(v, len, "CAFE");
  assert_int_equal(delete_aid(fx, 0x00, WALLET_AID), SW_OK);
  /* the C9 value "pin=123456" as text */
  assert_int_equal(
      install(fx, 0x0C, KEYCARD_PKG, WALLET_MODULE, WALLET_AID, "00", "C90A70696E3D313233343536"), SW_OK);
  assert_int_equal(app_state(fx, WALLET_AID), 0x07);
  assert_null(record(fx, APP_INDEX_WALLET, PROBE_REC_STORED, &len));
  v = record(fx, APP_INDEX_WALLET, PROBE_REC_PARAMS, &len);
  assert_non_null(v);
  assert_string_equal((const char *)v, "pin=123456," PROBE_BUILT_PARAMS); /* then the card's own */
  /* binary C9 goes as c9=HEX; install only (P1 04): INSTALLED, not selectable until P1 08 */
  assert_int_equal(delete_aid(fx, 0x00, CASH_AID), SW_OK);
  assert_int_equal(install(fx, 0x04, KEYCARD_PKG, CASH_MODULE, CASH_AID, "000000", "EF00C90201FF"), SW_OK);
  v = record(fx, APP_INDEX_CASH, PROBE_REC_PARAMS, &len);
  assert_string_equal((const char *)v, "c9=01FF," PROBE_BUILT_PARAMS);
  assert_int_equal(app_state(fx, CASH_AID), 0x03);
  /* no C9 value: the options the card was built with, alone */
  assert_int_equal(delete_aid(fx, 0x00, IDENT_AID), SW_OK);
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, "A000000804000104", IDENT_AID, "00", "C900"), SW_OK);
  v = record(fx, 4, PROBE_REC_PARAMS, &len);
  assert_string_equal((const char *)v, PROBE_BUILT_PARAMS);
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, "00A4040009" CASH_AID, NULL, 0, NULL), SW_FILE_NOT_FOUND);
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  assert_int_equal(install(fx, 0x08, "", "", CASH_AID, "00", ""), SW_OK);
  assert_int_equal(app_state(fx, CASH_AID), 0x07);
  assert_int_equal(install(fx, 0x08, "", "", CASH_AID, "00", ""), SW_CONDITIONS_NOT_SATISFIED);
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, "00A4040009" CASH_AID, NULL, 0, NULL), SW_OK);
  fx_free(fx);
}

static void test_install_errors(void **state) {
  (void)state;
  fixture *fx = open_card();
  /* the AID is in use */
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, CASH_MODULE, CASH_AID, "00", "C900"),
                   SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, CASH_MODULE, ISD, "00", "C900"),
                   SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(delete_aid(fx, 0x00, CASH_AID), SW_OK);
  /* another module than the slot's, or a new AID: no room for it on this card */
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, WALLET_MODULE, CASH_AID, "00", "C900"),
                   SW_NOT_ENOUGH_MEMORY);
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, CASH_MODULE, "A00000080400010302", "00", "C900"),
                   SW_NOT_ENOUGH_MEMORY);
  /* unknown load file or module */
  assert_int_equal(install(fx, 0x0C, "A0000008040002", CASH_MODULE, CASH_AID, "00", "C900"),
                   SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, "A000000804000109", CASH_AID, "00", "C900"),
                   SW_REFERENCED_DATA_NOT_FOUND);
  /* privileges, malformed fields, parameters */
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, CASH_MODULE, CASH_AID, "80", "C900"), SW_WRONG_DATA);
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, CASH_MODULE, CASH_AID, "0000", "C900"), SW_WRONG_DATA);
  assert_int_equal(install(fx, 0x0C, KEYCARD_PKG, CASH_MODULE, CASH_AID, "00", "C905"), SW_WRONG_DATA);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x0C, 0x00, "07" KEYCARD_PKG "08" CASH_MODULE, NULL, NULL),
                   SW_WRONG_DATA);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x10, 0x00, "00", NULL, NULL), SW_INCORRECT_P1P2); /* extradition */
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x40, 0x00, "00", NULL, NULL),
                   SW_INCORRECT_P1P2); /* registry update */
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x0C, 0x01, "00", NULL, NULL), SW_INCORRECT_P1P2);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x0C, 0x00, "", NULL, NULL), SW_WRONG_LENGTH);
  /* nothing of that changed the registry */
  assert_false(listed(fx, 0x40, CASH_AID));
  assert_true(fx->c.open);
  /* the GP class and a session come first */
  assert_int_equal(fx_raw(fx, "00E60C0000", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  fx_free(fx);
}

static void test_personalization(void **state) {
  (void)state;
  fixture *fx = open_card();
  size_t len = 0;
  assert_int_equal(fx_cmd_hex(fx, 0xE2, 0x80, 0x00, "01", NULL, NULL), SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x20, 0x00, "000009A00000080400010399000000", NULL, NULL),
                   SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x20, 0x00, "000008" ISD "000000", NULL, NULL),
                   SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x20, 0x00, "000009" CASH_AID "010000", NULL, NULL), SW_WRONG_DATA);
  /* a locked application cannot be personalised */
  assert_int_equal(fx_cmd_hex(fx, 0xF0, 0x40, 0x80, CASH_AID, NULL, NULL), SW_OK);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x20, 0x00, "000009" CASH_AID "000000", NULL, NULL),
                   SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x20, 0x00, "000009" WALLET_AID "000000", NULL, NULL), SW_OK);
  assert_int_equal(fx_cmd_hex(fx, 0xE2, 0x80, 0x00, "0102", NULL, NULL), SW_OK);
  assert_int_equal(fx_cmd_hex(fx, 0xE2, 0x80, 0x01, "030405", NULL, NULL), SW_OK);
  const uint8_t *v = record(fx, APP_INDEX_WALLET, PROBE_REC_STORED, &len);
  assert_hex(v, len, "030405");
  /* a new session forgets the personalization */
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  assert_int_equal(fx_cmd_hex(fx, 0xE2, 0x80, 0x00, "01", NULL, NULL), SW_CONDITIONS_NOT_SATISFIED);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_delete_application),
      cmocka_unit_test(test_delete_errors),
      cmocka_unit_test(test_delete_load_file_with_related),
      cmocka_unit_test(test_install_afresh),
      cmocka_unit_test(test_install_errors),
      cmocka_unit_test(test_personalization),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
