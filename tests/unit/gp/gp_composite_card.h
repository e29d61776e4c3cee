/* A test card with a card manager and several applications: the ISD (gp_isd_ops) and probe applets
 * at the instance AIDs of the Keycard package (wallet, NDEF, cash, ident, two more wallets) and of
 * the loopback applet, so GET STATUS and SET STATUS have a registry to work on without depending
 * on the applications themselves. A probe answers SELECT and any command with 9000. */
#ifndef GP_COMPOSITE_CARD_H
#define GP_COMPOSITE_CARD_H

#include "cardforge/card.h"
#include "cardforge/gp.h"
#include "cardforge/hex.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"

/* A probe keeps its install parameters in record 1 (written once, like every application's
 * install) and the data of the last STORE DATA in record 2; INS 10 reads record 1, 12 record 2. */
#define PROBE_REC_PARAMS 1
#define PROBE_BUILT_PARAMS "built=1" /* what the card adds each probe with */
#define PROBE_REC_STORED 2

static int probe_install(cf_applet *app, const char *params) {
  if (cf_store_peek(app->store, CF_STORE_KEY(app->ns, PROBE_REC_PARAMS), NULL)) return 0;
  return cf_store_put(app->store, CF_STORE_KEY(app->ns, PROBE_REC_PARAMS), params, strlen(params) + 1) ==
                 CF_STORE_OK
             ? 0
             : -1;
}

static uint16_t probe_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)app, (void)cmd, (void)resp;
  return SW_OK;
}

static uint16_t probe_read(cf_applet *app, uint16_t rec, cf_rapdu *resp) {
  size_t len = 0;
  const uint8_t *v = cf_store_peek(app->store, CF_STORE_KEY(app->ns, rec), &len);
  if (!v) return SW_REFERENCED_DATA_NOT_FOUND;
  return cf_rapdu_put(resp, v, len) ? SW_OK : SW_UNKNOWN;
}

static uint16_t probe_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  switch (cmd->ins) {
  case 0xA4:
    return SW_FILE_NOT_FOUND;
  case 0xE2:
    if (cmd->cla != 0x80) return SW_CLA_NOT_SUPPORTED;
    return cf_store_put(app->store, CF_STORE_KEY(app->ns, PROBE_REC_STORED), cmd->data, cmd->lc) ==
                   CF_STORE_OK
               ? SW_OK
               : SW_MEMORY_FAILURE;
  case 0x10:
    return probe_read(app, PROBE_REC_PARAMS, resp);
  case 0x12:
    return probe_read(app, PROBE_REC_STORED, resp);
  default:
    return SW_OK;
  }
}

static const cf_applet_ops probe_ops = {
    .name = "probe", .install = probe_install, .select = probe_select, .process = probe_process};

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
    if (len < 5 || !cf_card_add_applet(card, &probe_ops, aid, (size_t)len, PROBE_BUILT_PARAMS, false)) {
      cf_card_free(card);
      return NULL;
    }
  }
  return card;
}

#endif
