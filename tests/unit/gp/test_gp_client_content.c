/* The host's card content management calls (gp_client_content.c) against the in-process card
 * manager: SET STATUS of the card and of an application, DELETE, INSTALL with C9, make selectable,
 * INSTALL [for load] + LOAD in blocks with a SHA-256, INSTALL [for personalization] + STORE DATA,
 * GET STATUS parsing of C4 and modules; parameter errors refused before anything is sent. */
#include <stdio.h>

#include "cardforge/loopback.h"
#include "gp_card_fixture.h"
#include "gp_composite_card.h"

static const uint8_t keycard_pkg[7] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01};
static const uint8_t cash_module[8] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x03};
static const uint8_t cash_aid[9] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x03, 0x01};
static const uint8_t wallet_aid[9] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x01, 0x01};
#define APP_INDEX_WALLET 1
#define APP_INDEX_CASH 3

static fixture *open_card(void) {
  fixture *fx = fx_new_card(composite_create, "");
  assert_int_equal(fx_open_default(fx, 0x13), CF_GP_OK);
  return fx;
}

static const cf_gp_registry_entry *find(const cf_gp_registry_entry *e, size_t n, const uint8_t *aid,
                                        size_t len) {
  for (size_t i = 0; i < n; i++)
    if (e[i].aid_len == len && memcmp(e[i].aid, aid, len) == 0) return &e[i];
  return NULL;
}

static void test_status_lock_and_delete(void **state) {
  (void)state;
  fixture *fx = open_card();
  cf_gp_registry_entry e[16];
  size_t n = 0;
  assert_int_equal(cf_gp_lock_app(&fx->c, cash_aid, sizeof cash_aid, true), CF_GP_OK);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_APPS, true, e, 16, &n), CF_GP_OK);
  const cf_gp_registry_entry *cash = find(e, n, cash_aid, sizeof cash_aid);
  assert_non_null(cash);
  assert_int_equal(cash->life_cycle, 0x87);
  assert_int_equal(cash->elf_aid_len, sizeof keycard_pkg);
  assert_memory_equal(cash->elf_aid, keycard_pkg, sizeof keycard_pkg);
  assert_int_equal(cf_gp_lock_app(&fx->c, cash_aid, sizeof cash_aid, true), CF_GP_ERR_CARD);
  assert_int_equal(fx->c.last_sw, SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(cf_gp_lock_app(&fx->c, cash_aid, sizeof cash_aid, false), CF_GP_OK);
  assert_int_equal(cf_gp_set_card_status(&fx->c, CF_GP_CARD_LOCKED), CF_GP_OK);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ISD, false, e, 16, &n), CF_GP_OK);
  assert_int_equal(e[0].life_cycle, 0x7F);
  assert_int_equal(cf_gp_set_card_status(&fx->c, CF_GP_CARD_SECURED), CF_GP_OK);
  assert_int_equal(cf_gp_delete_aid(&fx->c, keycard_pkg, sizeof keycard_pkg, false), CF_GP_ERR_CARD);
  assert_int_equal(fx->c.last_sw, SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(cf_gp_delete_aid(&fx->c, cash_aid, sizeof cash_aid, false), CF_GP_OK);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_APPS, false, e, 16, &n), CF_GP_OK);
  assert_int_equal(n, COMPOSITE_APPS - 1);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ELF_MODULES, true, e, 16, &n), CF_GP_OK);
  assert_int_equal(n, 2);
  assert_int_equal(e[0].module_count, 4);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ELF_MODULES, false, e, 16, &n), CF_GP_OK);
  assert_int_equal(e[1].module_count, 1);
  fx_free(fx);
}

static void test_install_load_personalize(void **state) {
  (void)state;
  fixture *fx = open_card();
  size_t len = 0;
  assert_int_equal(cf_gp_delete_aid(&fx->c, keycard_pkg, sizeof keycard_pkg, true), CF_GP_OK);
  /* a Load File Data Block of 300 bytes: the CAP Header naming the package, then filler; it
   * needs the two-byte BER length and two blocks */
  uint8_t lfdb[300];
  static const uint8_t header[20] = {0x01, 0x00, 0x11, 0xDE, 0xCA, 0xFF, 0xED, 0x01, 0x02, 0x04,
                                     0x00, 0x01, 0x07, 0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01};
  memcpy(lfdb, header, sizeof header);
  for (size_t i = sizeof header; i < sizeof lfdb; i++)
    lfdb[i] = (uint8_t)i;
  assert_int_equal(cf_gp_load(&fx->c, keycard_pkg, sizeof keycard_pkg, NULL, 0, lfdb, sizeof lfdb, true, 0),
                   CF_GP_OK);
  cf_gp_install_req r = {.elf_aid = keycard_pkg,
                         .elf_aid_len = sizeof keycard_pkg,
                         .module_aid = cash_module,
                         .module_aid_len = sizeof cash_module,
                         .app_aid = cash_aid,
                         .app_aid_len = sizeof cash_aid,
                         .c9 = (const uint8_t *)"mode=x",
                         .c9_len = 6};
  assert_int_equal(cf_gp_install(&fx->c, &r), CF_GP_OK);
  const uint8_t *v =
      cf_store_peek(fx->store, CF_STORE_KEY(cf_card_applet_at(fx->card, APP_INDEX_CASH)->ns, 1), &len);
  assert_non_null(v);
  assert_string_equal((const char *)v, "mode=x," PROBE_BUILT_PARAMS);
  assert_int_equal(cf_gp_make_selectable(&fx->c, cash_aid, sizeof cash_aid), CF_GP_OK);
  assert_int_equal(cf_gp_install(&fx->c, &r), CF_GP_ERR_CARD); /* in use now */
  /* the wallet is gone with its package: personalising it is refused; the cash application works */
  assert_int_equal(cf_gp_install_for_personalization(&fx->c, wallet_aid, sizeof wallet_aid), CF_GP_ERR_CARD);
  assert_int_equal(fx->c.last_sw, SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(cf_gp_install_for_personalization(&fx->c, cash_aid, sizeof cash_aid), CF_GP_OK);
  static const uint8_t perso[3] = {0x0A, 0x0B, 0x0C};
  assert_int_equal(cf_gp_store_data(&fx->c, 0x80, 0x00, perso, sizeof perso, NULL, 0, &len), CF_GP_OK);
  v = cf_store_peek(fx->store, CF_STORE_KEY(cf_card_applet_at(fx->card, APP_INDEX_CASH)->ns, 2), &len);
  assert_hex(v, len, "0A0B0C");
  fx_free(fx);
}

static void test_parameter_errors(void **state) {
  (void)state;
  fixture *fx = open_card();
  uint8_t lfdb[8] = {0};
  cf_gp_install_req r = {.elf_aid = keycard_pkg,
                         .elf_aid_len = 4,
                         .module_aid = cash_module,
                         .module_aid_len = sizeof cash_module,
                         .app_aid = cash_aid,
                         .app_aid_len = sizeof cash_aid};
  assert_int_equal(cf_gp_install(&fx->c, &r), CF_GP_ERR_PARAM);
  r.elf_aid_len = sizeof keycard_pkg;
  r.c9_len = 128;
  assert_int_equal(cf_gp_install(&fx->c, &r), CF_GP_ERR_PARAM);
  assert_int_equal(cf_gp_delete_aid(&fx->c, cash_aid, 17, false), CF_GP_ERR_PARAM);
  assert_int_equal(cf_gp_lock_app(&fx->c, cash_aid, 4, true), CF_GP_ERR_PARAM);
  assert_int_equal(cf_gp_load(&fx->c, keycard_pkg, sizeof keycard_pkg, NULL, 0, lfdb, 0, false, 0),
                   CF_GP_ERR_PARAM);
  assert_int_equal(cf_gp_load(&fx->c, keycard_pkg, sizeof keycard_pkg, NULL, 0, lfdb, 8, false, 240),
                   CF_GP_ERR_PARAM);
  assert_int_equal(cf_gp_store_data(&fx->c, 0, 0, lfdb, 0, NULL, 0, NULL), CF_GP_ERR_PARAM);
  /* the refused calls sent nothing: the channel is fine and the card unchanged */
  cf_gp_registry_entry e[16];
  size_t n = 0;
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_APPS, true, e, 16, &n), CF_GP_OK);
  assert_int_equal(n, COMPOSITE_APPS);
  fx_free(fx);
}

/* A card without a security domain: SELECT with no data selects its default application (here the
 * loopback card, which answers without an FCI), and the client must not take that for the ISD. */
static void test_default_application_that_is_no_security_domain(void **state) {
  (void)state;
  cf_store *store = NULL;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  cf_card *card = loopback_profile.create(store, "");
  assert_non_null(card);
  cf_card_power_on(card);
  cf_transport *t = cf_transport_open_card(card);
  assert_non_null(t);
  cf_gp_client c;
  cf_gp_client_init(&c, t);
  assert_int_equal(cf_gp_select(&c, NULL, 0, NULL, 0, NULL), CF_GP_ERR_CARD);
  assert_non_null(strstr(c.err, "no GlobalPlatform security domain"));
  cf_gp_close(&c);
  cf_transport_close(t);
  cf_card_free(card);
  cf_store_close(store);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_lock_and_delete),
      cmocka_unit_test(test_install_load_personalize),
      cmocka_unit_test(test_parameter_errors),
      cmocka_unit_test(test_default_application_that_is_no_security_domain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
