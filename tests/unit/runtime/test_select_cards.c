/* SELECT on every card type the emulator offers: a SELECT that names no application of the card, a
 * SELECT with no data, a SELECT the runtime does not treat as an application selection, and commands
 * sent while no application is selected. The runtime follows the Java Card runtime (JCRE 3.0.x,
 * "Applet Selection with SELECT FILE"): such a SELECT goes to the selected application, whose answer
 * is its own (docs/runtime.md lists each card's); with no application selected the answer is 6999. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/card.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "cardforge/registry.h"
#include "kc_host.h"

/* An AID no card has, and that is no prefix of one. */
#define UNKNOWN_AID "F000000000000099"

typedef struct card_select_rule {
  const char *profile;
  const char *aid;       /* the card's application */
  bool has_default;      /* selected at power on and by SELECT with no data */
  uint16_t forwarded_sw; /* the application's answer to a SELECT it receives through process */
} card_select_rule;

/* Keycard: KeycardApplet.process (status-im/status-keycard 2.2.1 and 3.1.0) has no case for INS A4
 * when selectingApplet() is false, so it answers ISO7816.SW_INS_NOT_SUPPORTED; the loopback card
 * has no SELECT either. GP ISD: GP Card Specification 2.3.1 11.9, application not found. China
 * Mobile cards: docs/cmcc-profile.md 2.1 and the master cards' SELECT row. The Keycard as shipped
 * (keycard, also named keycard-card): its Security Domain is the default application, as on the card
 * (docs/keycard-card.md); keycard-applet is the wallet applet alone. */
static const card_select_rule rules[] = {
    {"loopback", "F063666C6F6F70", true, SW_INS_NOT_SUPPORTED},
    {"keycard-applet", "A00000080400010101", false, SW_INS_NOT_SUPPORTED},
    {"gp", "A000000151000000", true, SW_FILE_NOT_FOUND},
    {"keycard", "A000000151000000", true, SW_FILE_NOT_FOUND},
    {"keycard-card", "A000000151000000", true, SW_FILE_NOT_FOUND},
    {"kmc", "D156000101800004", true, SW_FILE_NOT_FOUND},
    {"authcard", "D156000101800003", true, SW_FILE_NOT_FOUND},
    {"workcard", "D156000101800002", true, SW_FILE_NOT_FOUND},
    {"usercard", "D156000101800001", true, SW_FILE_NOT_FOUND},
    {"sam", "D156000101800005", true, SW_FILE_NOT_FOUND},
    {"terminal", "D156000101800006", true, SW_FILE_NOT_FOUND},
};

static const card_select_rule *rule_for(const char *profile) {
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (strcmp(rules[i].profile, profile) == 0) return &rules[i];
  return NULL;
}

typedef struct {
  cf_store *store;
  cf_card *card;
  uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
  size_t rlen;
} card_fixture;

static uint16_t tx(card_fixture *f, const char *hex) {
  uint8_t cmd[300];
  long n = cf_hex_decode(hex, cmd, sizeof cmd);
  assert_true(n >= 4);
  size_t r = cf_card_transmit(f->card, cmd, (size_t)n, f->resp, sizeof f->resp);
  assert_true(r >= 2);
  f->rlen = r - 2;
  return (uint16_t)(f->resp[r - 2] << 8 | f->resp[r - 1]);
}

static bool selected_ok(uint16_t sw) {
  return sw == SW_OK || (sw >> 8) == 0x61; /* the China Mobile cards answer T=0 style */
}

/* "00A40400" Lc AID, with the given P2 and class. */
static void select_apdu(char *out, size_t cap, const char *cla, const char *p2, const char *aid) {
  snprintf(out, cap, "%sA404%s%02zX%s", cla, p2, strlen(aid) / 2, aid);
}

static void check_card(const cf_card_profile *profile, const char *params, const card_select_rule *rule) {
  card_fixture f = {0};
  char apdu[80];
  assert_int_equal(cf_store_open_memory(&f.store), CF_STORE_OK);
  f.card = profile->create(f.store, params);
  assert_non_null(f.card);
  cf_card_power_on(f.card);

  if (!rule->has_default) {
    assert_null(cf_card_selected(f.card));
    assert_int_equal(tx(&f, "00A40400"
                            "08" UNKNOWN_AID),
                     SW_APPLET_SELECT_FAILED);
    assert_int_equal(tx(&f, "00A40400"), SW_APPLET_SELECT_FAILED);
    assert_int_equal(tx(&f, "80F2000000"), SW_APPLET_SELECT_FAILED);
    assert_null(cf_card_selected(f.card));
    select_apdu(apdu, sizeof apdu, "00", "00", rule->aid);
    assert_true(selected_ok(tx(&f, apdu)));
  }
  const cf_applet *app = cf_card_selected(f.card);
  assert_non_null(app);

  /* an unknown AID and a next-occurrence SELECT reach the application */
  assert_int_equal(tx(&f, "00A40400"
                          "08" UNKNOWN_AID),
                   rule->forwarded_sw);
  assert_ptr_equal(cf_card_selected(f.card), app);
  select_apdu(apdu, sizeof apdu, "00", "02", rule->aid);
  assert_int_equal(tx(&f, apdu), rule->forwarded_sw);
  assert_ptr_equal(cf_card_selected(f.card), app);

  /* no data: the default application, or (Keycard) a SELECT for the selected one */
  uint16_t sw = tx(&f, "00A40400");
  if (rule->has_default)
    assert_true(selected_ok(sw));
  else
    assert_int_equal(sw, rule->forwarded_sw);
  assert_ptr_equal(cf_card_selected(f.card), app);

  /* its own AID with an FCI option in P2 (0C: no FCI) selects it */
  select_apdu(apdu, sizeof apdu, "00", "0C", rule->aid);
  assert_true(selected_ok(tx(&f, apdu)));
  assert_ptr_equal(cf_card_selected(f.card), app);

  cf_card_free(f.card);
  cf_store_close(f.store);
}

static void every_card_type(void **state) {
  (void)state;
  size_t count = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  assert_true(count >= sizeof rules / sizeof rules[0]); /* every family is built */
  for (size_t i = 0; i < count; i++) {
    const card_select_rule *rule = rule_for(all[i]->name);
    if (rule == NULL) fail_msg("card profile '%s' has no SELECT expectations here", all[i]->name);
    check_card(all[i], "", rule);
  }
  /* the Keycard as each released applet version it can be (the default is 3.2) */
  const char *keycard_versions[] = {"version=2.2.1", "version=3.0", "version=3.1", "version=3.2"};
  for (size_t i = 0; i < sizeof keycard_versions / sizeof *keycard_versions; i++)
    check_card(cf_card_profile_find("keycard-applet"), keycard_versions[i], rule_for("keycard-applet"));
}

/* The ISD refuses a SELECT with P2 04 (FCP) in its answer, not by declining selection: as on a Java
 * Card it stays selected and answers the next command. */
static void gp_select_error_keeps_isd(void **state) {
  (void)state;
  card_fixture f = {0};
  assert_int_equal(cf_store_open_memory(&f.store), CF_STORE_OK);
  f.card = cf_card_profile_find("gp")->create(f.store, "");
  assert_non_null(f.card);
  cf_card_power_on(f.card);
  const cf_applet *isd = cf_card_selected(f.card);
  assert_non_null(isd);
  assert_int_equal(tx(&f, "00A4040408A000000151000000"), SW_INCORRECT_P1P2);
  assert_ptr_equal(cf_card_selected(f.card), isd);
  assert_int_equal(tx(&f, "80CA9F7F00"), SW_OK); /* CPLC */
  cf_card_free(f.card);
  cf_store_close(f.store);
}

/* Unwraps a Keycard secure-channel response to a command the card did not unwrap: the IV is still
 * the one before the command (kc_host.c explains). Returns the inner status word. */
static uint16_t unwrap_not_unwrapped(kch *h) {
  assert_true(h->len >= 32 && (h->len - 16) % 16 == 0);
  size_t ct_len = h->len - 16;
  uint8_t macbuf[16 + 256] = {(uint8_t)(ct_len + 16)}, mac[16], plain[256];
  memcpy(macbuf + 16, h->data + 16, ct_len);
  assert_int_equal(cf_aes_cbc_mac(h->mac, 32, NULL, macbuf, 16 + ct_len, mac), 0);
  assert_memory_equal(mac, h->data, 16);
  assert_int_equal(cf_aes_cbc_decrypt(h->enc, 32, h->iv, h->data + 16, plain, ct_len), 0);
  memcpy(h->iv, mac, 16);
  long n = cf_unpad_iso9797_m2(plain, ct_len);
  assert_int_equal(n, 2); /* a status word and no data */
  return (uint16_t)(plain[0] << 8 | plain[1]);
}

/* The Keycard after INIT: without a channel the answer is plain; inside one it travels wrapped under
 * an outer 9000 (KeycardApplet.handleException), and the channel stays usable. */
static void keycard_initialized_and_in_channel(void **state) {
  (void)state;
  static const uint8_t unknown[] = {0xF0, 0, 0, 0, 0, 0, 0, 0x99};
  const char *versions[] = {"version=2.2.1", "version=3.1"};
  for (size_t v = 0; v < sizeof versions / sizeof *versions; v++) {
    kch h;
    kch_new(&h, versions[v]);
    assert_int_equal(kch_select(&h), SW_OK);
    assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), NULL, 0), SW_OK);
    assert_int_equal(kch_select(&h), SW_OK);
    assert_int_equal(kch_send(&h, 0x00, 0xA4, 0x04, 0x00, unknown, sizeof unknown), SW_INS_NOT_SUPPORTED);
    assert_int_equal(kch_send(&h, 0x00, 0xA4, 0x04, 0x00, NULL, 0), SW_INS_NOT_SUPPORTED);
    kch_free(&h);

    kch_ready(&h, versions[v]);
    assert_int_equal(kch_send(&h, 0x00, 0xA4, 0x04, 0x00, unknown, sizeof unknown), SW_OK);
    assert_int_equal(unwrap_not_unwrapped(&h), SW_INS_NOT_SUPPORTED);
    assert_int_equal(kch_send(&h, 0x00, 0xA4, 0x04, 0x00, NULL, 0), SW_OK);
    assert_int_equal(unwrap_not_unwrapped(&h), SW_INS_NOT_SUPPORTED);
    int pin = 0;
    kch_status(&h, &pin, NULL, NULL); /* the session goes on */
    assert_int_equal(pin, 3);
    kch_free(&h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_card_type),
      cmocka_unit_test(gp_select_error_keeps_isd),
      cmocka_unit_test(keycard_initialized_and_in_channel),
  };
  return cmocka_run_group_tests_name("select_cards", tests, NULL, NULL);
}
