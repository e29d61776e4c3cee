/* A test card with a card manager and several applications: the ISD (gp_isd_ops) and probe applets
 * at the instance AIDs of the Keycard package (wallet, NDEF, cash, ident, two more wallets) and of
 * the loopback applet, so GET STATUS and SET STATUS have a registry to work on without depending
 * on the applications themselves. A probe answers SELECT and any command with 9000. */
#ifndef GP_COMPOSITE_CARD_H
#define GP_COMPOSITE_CARD_H

#include "cardforge/card.h"
#include "cardforge/gp.h"
#include "cardforge/hex.h"
#include "cardforge/sw.h"

static uint16_t probe_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)app, (void)cmd, (void)resp;
  return SW_OK;
}

static uint16_t probe_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)app, (void)resp;
  return cmd->ins == 0xA4 ? SW_FILE_NOT_FOUND : SW_OK;
}

static const cf_applet_ops probe_ops = {.name = "probe", .select = probe_select, .process = probe_process};

#define WALLET_AID "A00000080400010101"
#define NDEF_AID "D2760000850101"
#define CASH_AID "A00000080400010301"
#define IDENT_AID "A00000080400010401"
#define WALLET2_AID "A00000080400010102"
#define WALLET3_AID "A00000080400010103"
#define LOOPBACK_AID "F063666C6F6F70"
static const char *const composite_aids[] = {WALLET_AID,  NDEF_AID,    CASH_AID,    IDENT_AID,
                                             WALLET2_AID, WALLET3_AID, LOOPBACK_AID};
#define COMPOSITE_APPS (sizeof composite_aids / sizeof composite_aids[0])

static cf_card *composite_create(cf_store *store, const char *params) {
  static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
  cf_card *card = cf_card_new(store, atr, sizeof atr, CF_RESP_T1);
  if (!card) return NULL;
  if (!cf_card_add_applet(card, &gp_isd_ops, gp_isd_aid, sizeof gp_isd_aid, params, true)) {
    cf_card_free(card);
    return NULL;
  }
  for (size_t n = 0; n < COMPOSITE_APPS; n++) {
    uint8_t aid[16];
    long len = cf_hex_decode(composite_aids[n], aid, sizeof aid);
    if (len < 5 || !cf_card_add_applet(card, &probe_ops, aid, (size_t)len, "", false)) {
      cf_card_free(card);
      return NULL;
    }
  }
  return card;
}

#endif
