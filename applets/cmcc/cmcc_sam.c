/* The SAM card as the target of the KMC's SAM key update (spec 4.1.8): WRITE_KEY under the SAM
 * master key (the SAM initial master key diversified by a 16-byte factor), no session key. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/sw.h>

#define SAM_REC_CARD 0x0002 /* factor (16) || master key MK (16) */
#define SAM_REC_CARD_LEN (CMCC_SAM_FACTOR_LEN + CMCC_KEY_LEN)
#define SAM_MK CMCC_SAM_FACTOR_LEN /* offset of MK in the card record */
#define SAM_REC_KEYS 0x0003        /* count (1) || count x (key id, version, value) */
#define SAM_KEYS_LEN (1 + CMCC_SAM_MAX_KEYS * CMCC_TGT_KEY_ENTRY)
#define SAM_WRITE_MAX 8

typedef struct sam_ctx {
  cmcc_target_ctx t;
} sam_ctx;

static int sam_install(cf_applet *app, const char *params) {
  if (cmcc_installed(app)) return 0;
  static const uint8_t default_factor[CMCC_SAM_FACTOR_LEN] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                                              0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8};
  uint8_t rec[SAM_REC_CARD_LEN], imk[CMCC_KEY_LEN], keys[SAM_KEYS_LEN] = {0};
  memcpy(rec, default_factor, CMCC_SAM_FACTOR_LEN);
  cmcc_key_default_value(CMCC_KEY_SAM_INIT, imk);
  int rc = 0;
  if (cmcc_param_hex(params, "factor", rec, CMCC_SAM_FACTOR_LEN) < 0 ||
      cmcc_param_hex(params, "imk", imk, sizeof imk) < 0)
    rc = -1;
  int mk = rc == 0 ? cmcc_param_hex(params, "mk", rec + SAM_MK, CMCC_KEY_LEN) : -1;
  if (mk < 0 || (mk == 0 && cmcc_diversify16(imk, rec, rec + SAM_MK) != 0)) rc = -1;
  if (rc == 0 && (!cmcc_put(app, SAM_REC_CARD, rec, sizeof rec) ||
                  !cmcc_put(app, SAM_REC_KEYS, keys, sizeof keys) || !cmcc_mark_installed(app)))
    rc = -1;
  cf_wipe(rec, sizeof rec);
  cf_wipe(imk, sizeof imk);
  return rc;
}

static bool load(cf_applet *app, uint8_t card[SAM_REC_CARD_LEN], uint8_t keys[SAM_KEYS_LEN]) {
  return cmcc_get(app, SAM_REC_CARD, card, SAM_REC_CARD_LEN) &&
         cmcc_get(app, SAM_REC_KEYS, keys, SAM_KEYS_LEN);
}

static uint16_t write_key(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  uint8_t card[SAM_REC_CARD_LEN], keys[SAM_KEYS_LEN], plain[256];
  size_t plain_len = 0;
  if (!load(app, card, keys)) return SW_UNKNOWN;
  uint16_t sw = cmcc_tgt_unwrap(card + SAM_MK, cmcc_tgt_random(app), cmd, plain, sizeof plain, &plain_len);
  if (sw == SW_OK &&
      (plain_len == 0 || plain_len % CMCC_TGT_KEY_ENTRY || plain_len / CMCC_TGT_KEY_ENTRY > SAM_WRITE_MAX))
    sw = SW_WRONG_DATA;
  for (size_t at = 0; sw == SW_OK && at < plain_len; at += CMCC_TGT_KEY_ENTRY) {
    const uint8_t *e = plain + at;
    if (e[0] == 0) { /* the master key itself: later WRITE_KEYs verify under the new one */
      memcpy(card + SAM_MK, e + CMCC_TGT_KEY_ATTR_LEN, CMCC_KEY_LEN);
      continue;
    }
    if (!cmcc_tgt_key_put(keys, CMCC_SAM_MAX_KEYS, e)) sw = SW_NOT_ENOUGH_MEMORY;
  }
  if (sw == SW_OK &&
      (!cmcc_put(app, SAM_REC_CARD, card, sizeof card) || !cmcc_put(app, SAM_REC_KEYS, keys, sizeof keys)))
    sw = SW_MEMORY_FAILURE;
  cf_wipe(card, sizeof card);
  cf_wipe(keys, sizeof keys);
  cf_wipe(plain, sizeof plain);
  return sw;
}

/* READ 00 B0 00 00: key count || n x (key id, version); the master key is not listed. */
static uint16_t read_keys(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  uint8_t keys[SAM_KEYS_LEN], out[1 + CMCC_SAM_MAX_KEYS * CMCC_TGT_KEY_ATTR_LEN];
  if (!cmcc_get(app, SAM_REC_KEYS, keys, SAM_KEYS_LEN)) return SW_UNKNOWN;
  size_t n = cmcc_tgt_key_list(keys, out);
  cf_wipe(keys, sizeof keys);
  return cf_rapdu_put(resp, out, n) ? SW_OK : SW_UNKNOWN;
}

/* INTERNAL AUTHENTICATE / VERIFY MAC 00 keyid: key id 00 is the master key (no session key). */
static bool key_ref_ok(uint8_t p1, uint8_t p2) {
  (void)p2;
  return p1 == 0;
}

static uint16_t key_find(cf_applet *app, uint8_t p1, uint8_t p2, uint8_t key[CMCC_KEY_LEN]) {
  (void)p1;
  uint8_t card[SAM_REC_CARD_LEN], keys[SAM_KEYS_LEN];
  if (!load(app, card, keys)) return SW_UNKNOWN;
  const uint8_t *entry = p2 == 0 ? NULL : cmcc_tgt_key_entry(keys, p2);
  const uint8_t *found = p2 == 0 ? card + SAM_MK : entry ? entry + CMCC_TGT_KEY_ATTR_LEN : NULL;
  if (found) memcpy(key, found, CMCC_KEY_LEN);
  cf_wipe(card, sizeof card);
  cf_wipe(keys, sizeof keys);
  return found ? SW_OK : SW_REFERENCED_DATA_NOT_FOUND;
}

/* The device's commands: those of every target (cmcc_target.c), then its own. None needs a PIN or
 * an authentication; a protected command (class 84) carries a MAC under the GET CHALLENGE random,
 * which its handler verifies with the key the command names. */
static const cf_command sam_commands[] = {
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_GET_CHALLENGE, CF_ACCESS_NONE, cmcc_tgt_get_challenge},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_INTERNAL_AUTH, CF_ACCESS_NONE, cmcc_tgt_internal_auth},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_GET_DATA, CF_ACCESS_NONE, cmcc_tgt_get_data},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_SELECT, CF_ACCESS_NONE, cmcc_tgt_select_other},
    {CMCC_TGT_CLA_SECURE, CMCC_TGT_INS_VERIFY_MAC, CF_ACCESS_NONE, cmcc_tgt_verify_mac},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_READ, CF_ACCESS_NONE, read_keys},
    {CMCC_TGT_CLA_SECURE, CMCC_SAM_INS_WRITE_KEY, CF_ACCESS_NONE, write_key},
    {0, 0, CF_ACCESS_NONE, NULL},
    {0, 0, CF_ACCESS_NONE, NULL},
};

/* GET DATA: the factor, so that the host can name the SAM's export key without being told it */
static const cmcc_tgt_object sam_objects[] = {
    {CMCC_TGT_DO_FACTOR, SAM_REC_CARD, SAM_REC_CARD_LEN, 0, CMCC_SAM_FACTOR_LEN},
};

static const cmcc_target_kind sam_kind = {
    .fci_device = 0,
    .commands = sam_commands,
    .objects = sam_objects,
    .nobjects = sizeof sam_objects / sizeof sam_objects[0],
    .key_ref_ok = key_ref_ok,
    .key_find = key_find,
    .session_mac = false,
};

const cmcc_target_ops cmcc_sam_ops = CMCC_TARGET_OPS("cmcc-sam", sam_ctx, sam_install, &sam_kind);
