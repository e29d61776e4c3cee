/* Spec 4.1.3: key generation from a key code sheet, and its proof by use through Inst_MAC
 * Generate (the KMC computes with each new key; the host computes the same MAC from the seed). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cmcc_host_internal.h"

int cf_cmcc_generate(cf_cmcc_host *h, const cf_cmcc_keysheet *s) {
  h->done = 0;
  if (s->count == 0 || s->count > CF_CMCC_SHEET_MAX_KEYS)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "Generate Key", "the sheet must list 1..255 keys");
  uint8_t init[1 + 16];
  init[0] = (uint8_t)s->count;
  memcpy(init + 1, s->seed, 16);
  int rc = cmcch_cmd(h, CF_CMCC_KMC, "INIT_FOR_GENERATE", CMCC_CLA_PROP, CMCC_INS_INIT_FOR_GENERATE, 0, 0,
                     init, sizeof init, 0, CF_TX_SECRET_CMD, NULL, 0, NULL);
  cf_wipe(init, sizeof init);
  if (rc != 0) return cmcch_status(h);
  /* Generate Key must follow immediately, one per key: the card forgets the session at any other
   * command (spec table 8-2-9, 6985). */
  for (size_t i = 0; i < s->count; i++) {
    char step[64];
    snprintf(step, sizeof step, "Generate Key %zu/%zu (type %02X)", i + 1, s->count, s->attrs[i][0]);
    if (cmcch_cmd(h, CF_CMCC_KMC, step, CMCC_CLA_PROP, CMCC_INS_GENERATE_KEY, 0, 0, s->attrs[i],
                  CF_CMCC_ATTR_LEN, 0, 0, NULL, 0, NULL) != 0)
      return cmcch_status(h);
    h->done = i + 1;
  }
  return 0;
}

/* Whether the KMC lets a key of these attributes compute an Inst_MAC (spec table 8-2-8; the KMC
 * also refuses master keys), with how many levels and which factor length. */
static bool checkable(const uint8_t *attrs, size_t *levels, bool *f16) {
  unsigned usage = attrs[CMCC_ATTR_DIV] & 0x0F, max = attrs[CMCC_ATTR_DIV] >> 4;
  if (attrs[CMCC_ATTR_TYPE] <= CMCC_KEY_TERMINAL_INIT || usage > 2) return false;
  if (attrs[CMCC_ATTR_STATUS] != CMCC_KEY_USABLE || attrs[CMCC_ATTR_ALG] != CMCC_ALG_3DES) return false;
  /* a key counting its uses would spend one on the proof: leave it alone */
  if (attrs[CMCC_ATTR_COUNTER] & 0x80) return false;
  if (usage == 1 && max == 0) return false;
  *levels = usage == 1 ? 1 : 0;
  /* the SAM initial master key is diversified with the SAM's 16-byte factor */
  *f16 = attrs[CMCC_ATTR_TYPE] == CMCC_KEY_SAM_INIT;
  return true;
}

int cf_cmcc_prove_kmc_key(cf_cmcc_host *h, const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t value[16]) {
  static const uint8_t factor[16] = {'P', 'R', 'O', 'O', 'F', 0, 0, 1, 'P', 'R', 'O', 'O', 'F', 0, 0, 2};
  size_t levels = 0;
  bool f16 = false;
  if (!checkable(attrs, &levels, &f16)) return 0;
  cmcch_inst_mac_req req = {.p1 = CMCC_P1_NO_SESSION_KEY | (f16 ? CMCC_P1_EXPORT_KEY_FACTOR16 : 0),
                            .levels = levels,
                            .factors = factor};
  req.cipp[0] = CMCC_CLA_PROP, req.cipp[1] = 0xCC; /* any header: only the MACs have to agree */
  req.key_vit[0] = attrs[CMCC_ATTR_VERSION];
  req.key_vit[1] = attrs[CMCC_ATTR_INDEX];
  req.key_vit[2] = attrs[CMCC_ATTR_TYPE];
  uint8_t probe[16], card_mac[CMCC_MAC_LEN], host_mac[CMCC_MAC_LEN], key[CMCC_KEY_LEN];
  if (cf_rand(req.random, sizeof req.random) != 0 || cf_rand(probe, sizeof probe) != 0)
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "proof by use", "no random bytes");
  req.data = probe;
  req.len = sizeof probe;
  if (cmcch_kmc_inst_mac(h, &req, card_mac) != 0) return cmcch_status(h);
  bool ok = cmcc_diversify_levels(value, factor, levels, f16 ? 16 : 8, key) == 0 &&
            cmcc_command_mac(CMCC_MAC_919, key, req.random, req.cipp, probe, sizeof probe, host_mac) == 0;
  cf_wipe(key, sizeof key);
  if (!ok) return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "proof by use", "MAC computation failed");
  if (!cf_ct_equal(card_mac, host_mac, CMCC_MAC_LEN))
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "proof by use",
                      "key type %02X version %02X index %02X: the KMC's key is not the expected one",
                      attrs[0], attrs[1], attrs[2]);
  return 1;
}

int cf_cmcc_check_generated(cf_cmcc_host *h, const cf_cmcc_keysheet *s, size_t *checked, size_t *skipped) {
  *checked = *skipped = 0;
  for (size_t i = 0; i < s->count; i++) {
    uint8_t value[CMCC_KEY_LEN];
    if (cmcc_generated_key(s->seed, s->attrs[i], value) != 0)
      return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "check", "key derivation failed");
    int rc = cf_cmcc_prove_kmc_key(h, s->attrs[i], value);
    cf_wipe(value, sizeof value);
    if (rc < 0) return cmcch_status(h);
    if (rc == 0)
      (*skipped)++;
    else
      (*checked)++;
  }
  return 0;
}

int cf_cmcc_read_keyinfo(cf_cmcc_host *h, cf_cmcc_role r, uint8_t (*attrs)[CF_CMCC_ATTR_LEN], size_t max) {
  size_t n = 0;
  if (h->status != CF_CMCC_OK) return cmcch_status(h);
  for (unsigned rec = 1; rec <= 0xFF && n < max; rec++) {
    char step[32];
    snprintf(step, sizeof step, "Read KeyInfo %02X", rec);
    if (cmcch_cmd_exact(h, r, step, CMCC_CLA_ISO, CMCC_INS_READ_KEYINFO, (uint8_t)rec, 0, NULL, 0,
                        CF_CMCC_ATTR_LEN, 0, attrs[n], CF_CMCC_ATTR_LEN) != 0) {
      /* 6B00 marks the end of the key file (spec 1.2.1.3) */
      if (h->status == CF_CMCC_E_CARD && h->sw == 0x6B00) {
        cf_cmcc_host_clear(h);
        return (int)n;
      }
      return cmcch_status(h);
    }
    n++;
  }
  return (int)n;
}
