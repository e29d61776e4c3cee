/* The card manager on the Keycard as shipped (profile keycard-card): GET STATUS lists the wallet,
 * NDEF, Cash and Ident instances and the Keycard package with its four modules; the wallet,
 * initialised and paired, is deleted and installed again through the secure channel and comes back
 * fresh: not initialised, its old pairing gone, and it initialises and pairs anew. */
#include <stdio.h>

#include "gp_card_fixture.h"
#include "cardforge/keycard_card.h"
#include "cardforge/keycard_client.h"

#define ISD "A000000151000000"
#define KEYCARD_PKG "A0000008040001"
#define WALLET "A00000080400010101"

static void gp_session(fixture *fx) {
  cf_gp_close(&fx->c);
  assert_int_equal(cf_gp_select(&fx->c, NULL, 0, NULL, 0, NULL), CF_GP_OK);
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
}

/* SELECT the wallet, INIT it when it is new, PAIR; returns the pairing index. */
static uint8_t init_and_pair(fixture *fx, keycard_client *kc, bool expect_new) {
  uint8_t secret[32];
  assert_int_equal(keycard_client_pairing_secret("KeycardDefaultPairing", secret), 0);
  keycard_client_init(kc, fx->t);
  assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
  assert_int_equal(kc->info.initialized, !expect_new);
  if (expect_new) {
    assert_int_equal(keycard_client_init_card(kc, "123456", "123456789012", secret, 0, 0, NULL), 0);
    assert_int_equal(keycard_client_select(kc, NULL, 0), 0);
    assert_true(kc->info.initialized);
  }
  assert_int_equal(keycard_client_pair(kc, secret), 0);
  assert_int_equal(keycard_client_open_channel(kc), 0);
  return kc->pairing_index;
}

static void test_lists_the_keycard_applications(void **state) {
  (void)state;
  fixture *fx = fx_new_card(keycard_card_profile.create, "");
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  cf_gp_registry_entry e[8];
  size_t n = 0;
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_APPS, true, e, 8, &n), CF_GP_OK);
  assert_int_equal(n, 4);
  static const char *aids[4] = {WALLET, "D2760000850101", "A00000080400010301", "A00000080400010401"};
  for (size_t i = 0; i < 4; i++) {
    assert_hex(e[i].aid, e[i].aid_len, aids[i]);
    assert_int_equal(e[i].life_cycle, 0x07);
    assert_hex(e[i].elf_aid, e[i].elf_aid_len, KEYCARD_PKG);
  }
  uint8_t buf[256];
  size_t len = 0;
  assert_int_equal(fx_cmd_hex(fx, 0xF2, 0x10, 0x00, "4F00", buf, &len), SW_OK);
  assert_hex(buf, len,
             "07" KEYCARD_PKG "010004"
             "08A000000804000101"
             "08A000000804000102"
             "08A000000804000103"
             "08A000000804000104");
  fx_free(fx);
}

static void test_wallet_deleted_and_installed_afresh(void **state) {
  (void)state;
  fixture *fx = fx_new_card(keycard_card_profile.create, "");
  keycard_client kc;
  init_and_pair(fx, &kc, true);
  keycard_client_wipe(&kc);

  gp_session(fx);
  assert_int_equal(fx_cmd_hex(fx, 0xE4, 0x00, 0x00, "4F09" WALLET, NULL, NULL), SW_OK);
  assert_int_equal(fx_cmd_hex(fx, 0xF2, 0x40, 0x00, "4F09" WALLET, NULL, NULL), SW_REFERENCED_DATA_NOT_FOUND);
  fx_restart(fx); /* outside the channel: the ISD answers the SELECT of an absent AID */
  assert_int_equal(fx_raw(fx, "00A4040009" WALLET, NULL, 0, NULL), SW_FILE_NOT_FOUND);
  gp_session(fx);
  assert_int_equal(fx_cmd_hex(fx, 0xE6, 0x0C, 0x00,
                              "07" KEYCARD_PKG "08A000000804000101"
                              "09" WALLET "0100"
                              "02C900"
                              "00",
                              NULL, NULL),
                   SW_OK);

  /* fresh: not initialised, and it initialises and pairs anew in the first slot */
  assert_int_equal(init_and_pair(fx, &kc, true), 0);
  keycard_client_wipe(&kc);
  fx_restart(fx); /* and it stays so across a power cycle */
  init_and_pair(fx, &kc, false);
  keycard_client_wipe(&kc);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lists_the_keycard_applications),
      cmocka_unit_test(test_wallet_deleted_and_installed_afresh),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
