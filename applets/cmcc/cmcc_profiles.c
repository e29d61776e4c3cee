/* The six China Mobile card profiles: one application each, default-selected, T=0 responses. */
#include "cmcc_internal.h"

/* ATR for T=0: TS 3B, T0 68 (TB1, TC1, 8 historical bytes), TB1 00, TC1 00, "CMCC-xxx". */
#define CMCC_ATR(a, b, c)                                                                                    \
  { 0x3B, 0x68, 0x00, 0x00, 'C', 'M', 'C', 'C', '-', a, b, c }

static cf_card *make(cf_store *store, const uint8_t atr[12], const cf_applet_ops *ops, const uint8_t aid[8],
                     const char *params) {
  cf_card *card = cf_card_new(store, atr, 12, CF_RESP_T0);
  if (!card) return NULL;
  if (!cf_card_add_applet(card, ops, aid, CMCC_AID_LEN, params, true)) {
    cf_card_free(card);
    return NULL;
  }
  return card;
}

static cf_card *create_kmc(cf_store *store, const char *params) {
  static const uint8_t atr[12] = CMCC_ATR('K', 'M', 'C'), aid[8] = CMCC_AID_KMC;
  return make(store, atr, &cmcc_kmc_ops.ops, aid, params);
}
static cf_card *create_authcard(cf_store *store, const char *params) {
  static const uint8_t atr[12] = CMCC_ATR('A', 'U', 'T'), aid[8] = CMCC_AID_AUTHCARD;
  return make(store, atr, &cmcc_authcard_ops.ops, aid, params);
}
static cf_card *create_workcard(cf_store *store, const char *params) {
  static const uint8_t atr[12] = CMCC_ATR('W', 'R', 'K'), aid[8] = CMCC_AID_WORKCARD;
  return make(store, atr, &cmcc_workcard_ops.ops, aid, params);
}
static cf_card *create_usercard(cf_store *store, const char *params) {
  static const uint8_t atr[12] = CMCC_ATR('U', 'S', 'R'), aid[8] = CMCC_AID_USERCARD;
  return make(store, atr, &cmcc_usercard_ops.ops, aid, params);
}
static cf_card *create_sam(cf_store *store, const char *params) {
  static const uint8_t atr[12] = CMCC_ATR('S', 'A', 'M'), aid[8] = CMCC_AID_SAM;
  return make(store, atr, &cmcc_sam_ops.ops, aid, params);
}
static cf_card *create_terminal(cf_store *store, const char *params) {
  static const uint8_t atr[12] = CMCC_ATR('T', 'R', 'M'), aid[8] = CMCC_AID_TERMINAL;
  return make(store, atr, &cmcc_terminal_ops.ops, aid, params);
}

static const cf_card_profile kmc = {"kmc", "China Mobile key master card (密钥母卡)", create_kmc};
static const cf_card_profile authcard = {"authcard", "China Mobile authentication card (母卡认证卡)",
                                         create_authcard};
static const cf_card_profile workcard = {"workcard", "China Mobile working master card (工作母卡)",
                                         create_workcard};
static const cf_card_profile usercard = {
    "usercard", "China Mobile RF-SIM user card (Export Keys&Data target)", create_usercard};
static const cf_card_profile sam = {"sam", "China Mobile SAM card (WRITE_KEY target)", create_sam};
static const cf_card_profile terminal = {
    "terminal", "China Mobile terminal (working-card key loading target)", create_terminal};

const cf_card_profile *const cmcc_profiles[] = {&kmc, &authcard, &workcard, &usercard, &sam, &terminal};
const size_t cmcc_profile_count = sizeof cmcc_profiles / sizeof cmcc_profiles[0];
