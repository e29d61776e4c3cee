/* The "keycard" card type (alias "keycard-card"): the Keycard as it ships (cardforge/keycard_card.h). The
 * package's shared memory (SharedMemory of status-im/status-keycard) is where the applications that share it
 * find it: the NDEF file and the cash data in the wallet's namespace, the identity in the Ident
 * application's; each application is told those namespaces by its install parameters. */
#include <stdio.h>
#include <string.h>

#include "cardforge/cash.h"
#include "cardforge/crypto.h"
#include "cardforge/gp.h"
#include "cardforge/ident.h"
#include "cardforge/keycard.h"
#include "cardforge/keycard_card.h"
#include "cardforge/ndef.h"

/* The wallet applet's ATR (T=1, historical bytes 80 57 "Keycard"): the card presents itself as a
 * Keycard whichever application is selected. */
static const uint8_t keycard_card_atr[] = {0x3B, 0x89, 0x80, 0x01, 0x80, 0x57, 0x4B,
                                           0x65, 0x79, 0x63, 0x61, 0x72, 0x64, 0x9C};

/* Largest parameter value: a 32-byte key in hex. */
#define VALUE_MAX (2 * 32 + 1)

/* Appends key=value to out when params has key. false when out is too small. */
static bool forward(const char *params, const char *key, const char *as, char *out, size_t cap, char *value) {
  if (!cf_params_get(params, key, value, VALUE_MAX)) return true;
  size_t used = strlen(out);
  int n = snprintf(out + used, cap - used, "%s%s=%s", used ? "," : "", as, value);
  return n >= 0 && (size_t)n < cap - used;
}

static const char *const gp_keys[] = {"scp", "key", "enc", "mac", "dek", "kvn", "i02", "i03", "serial"};

static cf_card *keycard_card_create(cf_store *store, const char *params) {
  if (!params) params = "";
  char value[VALUE_MAX];
  char gp[512] = "", ident[96] = "", wallet[64], ndef[32], cash[64];
  /* ident_ns: where the wallet's IDENTIFY CARD finds the identity (cf_ident_identify); version: the
   * wallet applet's (it checks the value itself), 3.2 unless given */
  snprintf(wallet, sizeof wallet, "ident_ns=%d", KEYCARD_CARD_NS_IDENT);
  if (!cf_params_get(params, "version", value, VALUE_MAX)) snprintf(value, sizeof value, "3.2");
  size_t used = strlen(wallet);
  int wn = snprintf(wallet + used, sizeof wallet - used, ",version=%s", value);
  snprintf(ndef, sizeof ndef, "wallet_ns=%d", KEYCARD_CARD_NS_WALLET);
  snprintf(cash, sizeof cash, "wallet_ns=%d,ident_ns=%d", KEYCARD_CARD_NS_WALLET, KEYCARD_CARD_NS_IDENT);
  bool ok = wn >= 0 && (size_t)wn < sizeof wallet - used;
  for (size_t i = 0; i < sizeof gp_keys / sizeof gp_keys[0]; i++)
    ok = ok && forward(params, gp_keys[i], gp_keys[i], gp, sizeof gp, value);
  ok = ok && forward(params, "ident_ca", "ca", ident, sizeof ident, value);
  cf_wipe(value, sizeof value);

  cf_card *card = ok ? cf_card_new(store, keycard_card_atr, sizeof keycard_card_atr, CF_RESP_T1) : NULL;
  /* the order fixes the namespaces (KEYCARD_CARD_NS_*); the Security Domain is selected at power on */
  if (card &&
      !(cf_card_add_applet(card, &keycard_applet_ops, keycard_aid, sizeof keycard_aid, wallet, false) &&
        cf_card_add_applet(card, &ndef_applet_ops, ndef_instance_aid, sizeof ndef_instance_aid, ndef,
                           false) &&
        cf_card_add_applet(card, &cash_applet_ops, cash_instance_aid, sizeof cash_instance_aid, cash,
                           false) &&
        cf_card_add_applet(card, &ident_applet_ops, ident_instance_aid, sizeof ident_instance_aid, ident,
                           false) &&
        cf_card_add_applet(card, &gp_isd_ops, gp_isd_aid, sizeof gp_isd_aid, gp, true))) {
    cf_card_free(card);
    card = NULL;
  }
  cf_wipe(gp, sizeof gp);
  cf_wipe(ident, sizeof ident);
  return card;
}

const cf_card_profile keycard_card_profile = {
    .name = "keycard",
    .summary =
        "the Keycard as shipped: GP Security Domain, wallet applet (version=, default 3.2), Cash, NDEF "
        "(Type 4 Tag) and Ident applications on one card (params: version=, the gp ones, ident_ca=)",
    .create = keycard_card_create,
};

/* The card type's earlier name, kept for scripts and tests that use it. */
const cf_card_profile keycard_card_alias_profile = {
    .name = "keycard-card",
    .summary = "another name of keycard (the Keycard as shipped), same parameters",
    .create = keycard_card_create,
};
