/* The SAM card as the target of the KMC's SAM key update (spec 4.1.8): WRITE_KEY under the SAM
 * master key (the SAM initial master key diversified by a 16-byte factor), no session key. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

#define SAM_REC_CARD 0x0002 /* factor (16) || master key MK (16) */
#define SAM_REC_KEYS 0x0003 /* count (1) || count x (key id, version, value) */
#define SAM_KEYS_LEN (1 + CMCC_SAM_MAX_KEYS * CMCC_TGT_KEY_ENTRY)
#define SAM_WRITE_MAX 8

typedef struct sam_ctx {
  cmcc_target_ctx t;
} sam_ctx;

static int sam_install(cf_applet *app, const char *params) {
  size_t len;
  if (cf_store_peek(app->store, CF_STORE_KEY(app->ns, CMCC_TGT_REC_INIT), &len)) return 0;
  static const uint8_t default_factor[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                             0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8};
  uint8_t rec[32], imk[CMCC_KEY_LEN], keys[SAM_KEYS_LEN] = {0};
  memcpy(rec, default_factor, 16);
  cmcc_key_default_value(CMCC_KEY_SAM_INIT, imk);
  int rc = 0;
  if (cmcc_param_hex(params, "factor", rec, 16) < 0 || cmcc_param_hex(params, "imk", imk, sizeof imk) < 0)
    rc = -1;
  int mk = rc == 0 ? cmcc_param_hex(params, "mk", rec + 16, CMCC_KEY_LEN) : -1;
  if (mk < 0 || (mk == 0 && cmcc_diversify16(imk, rec, rec + 16) != 0)) rc = -1;
  static const uint8_t marker = 1;
  if (rc == 0 &&
      (!cmcc_put(app, SAM_REC_CARD, rec, sizeof rec) || !cmcc_put(app, SAM_REC_KEYS, keys, sizeof keys) ||
       !cmcc_put(app, CMCC_TGT_REC_INIT, &marker, 1)))
    rc = -1;
  cf_wipe(rec, sizeof rec);
  cf_wipe(imk, sizeof imk);
  return rc;
}

static void sam_reset(cf_applet *app) {
  cf_wipe(app->ctx, sizeof(sam_ctx));
}

static uint16_t sam_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  ((sam_ctx *)app->ctx)->t.challenge_valid = false; /* a SELECT also ends the GET CHALLENGE random */
  (void)cmd, (void)resp;
  return SW_OK;
}

static bool load(cf_applet *app, uint8_t card[32], uint8_t keys[SAM_KEYS_LEN]) {
  size_t a = 0, b = 0;
  return cf_store_get(app->store, CF_STORE_KEY(app->ns, SAM_REC_CARD), card, 32, &a) == CF_STORE_OK &&
         a == 32 &&
         cf_store_get(app->store, CF_STORE_KEY(app->ns, SAM_REC_KEYS), keys, SAM_KEYS_LEN, &b) ==
             CF_STORE_OK &&
         b == SAM_KEYS_LEN;
}

/* The stored key with that id (00 = the master key), or NULL. */
static const uint8_t *find(const uint8_t card[32], const uint8_t keys[SAM_KEYS_LEN], uint8_t id) {
  if (id == 0) return card + 16;
  for (size_t i = 0; i < keys[0]; i++)
    if (keys[1 + i * CMCC_TGT_KEY_ENTRY] == id) return keys + 1 + i * CMCC_TGT_KEY_ENTRY + 2;
  return NULL;
}

static uint16_t write_key(cf_applet *app, const cf_apdu *cmd, const uint8_t *random) {
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  uint8_t card[32], keys[SAM_KEYS_LEN], plain[256];
  size_t plain_len = 0;
  if (!load(app, card, keys)) return SW_UNKNOWN;
  uint16_t sw = cmcc_tgt_unwrap(card + 16, random, cmd, plain, sizeof plain, &plain_len);
  if (sw == SW_OK &&
      (plain_len == 0 || plain_len % CMCC_TGT_KEY_ENTRY || plain_len / CMCC_TGT_KEY_ENTRY > SAM_WRITE_MAX))
    sw = SW_WRONG_DATA;
  for (size_t at = 0; sw == SW_OK && at < plain_len; at += CMCC_TGT_KEY_ENTRY) {
    const uint8_t *e = plain + at;
    if (e[0] == 0) { /* the master key itself: later WRITE_KEYs verify under the new one */
      memcpy(card + 16, e + 2, CMCC_KEY_LEN);
      continue;
    }
    uint8_t *dst = NULL;
    for (size_t i = 0; i < keys[0] && !dst; i++)
      if (keys[1 + i * CMCC_TGT_KEY_ENTRY] == e[0]) dst = keys + 1 + i * CMCC_TGT_KEY_ENTRY;
    if (!dst) {
      if (keys[0] >= CMCC_SAM_MAX_KEYS) {
        sw = SW_NOT_ENOUGH_MEMORY;
        break;
      }
      dst = keys + 1 + keys[0]++ * CMCC_TGT_KEY_ENTRY;
    }
    memcpy(dst, e, CMCC_TGT_KEY_ENTRY);
  }
  if (sw == SW_OK &&
      (!cmcc_put(app, SAM_REC_CARD, card, sizeof card) || !cmcc_put(app, SAM_REC_KEYS, keys, sizeof keys)))
    sw = SW_MEMORY_FAILURE;
  cf_wipe(card, sizeof card);
  cf_wipe(keys, sizeof keys);
  cf_wipe(plain, sizeof plain);
  return sw;
}

static uint16_t read_keys(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  uint8_t card[32], keys[SAM_KEYS_LEN], out[1 + CMCC_SAM_MAX_KEYS * 2];
  if (!load(app, card, keys)) return SW_UNKNOWN;
  size_t n = 0;
  out[n++] = keys[0];
  for (size_t i = 0; i < keys[0]; i++) {
    memcpy(out + n, keys + 1 + i * CMCC_TGT_KEY_ENTRY, CMCC_TGT_KEY_ATTR_LEN);
    n += CMCC_TGT_KEY_ATTR_LEN;
  }
  cf_wipe(card, sizeof card);
  cf_wipe(keys, sizeof keys);
  return cf_rapdu_put(resp, out, n) ? SW_OK : SW_UNKNOWN;
}

static uint16_t use_key(cf_applet *app, const cf_apdu *cmd, const uint8_t *random, cf_rapdu *resp) {
  bool mac = cmd->ins == CMCC_TGT_INS_VERIFY_MAC;
  if (cmd->p1 != 0) return SW_INCORRECT_P1P2;
  if (mac ? cmd->lc < CMCC_MAC_LEN : cmd->lc != 8) return SW_WRONG_LENGTH;
  if (mac && !random) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t card[32], keys[SAM_KEYS_LEN];
  if (!load(app, card, keys)) return SW_UNKNOWN;
  const uint8_t *key = find(card, keys, cmd->p2);
  uint16_t sw = !key  ? SW_REFERENCED_DATA_NOT_FOUND
                : mac ? cmcc_tgt_verify_mac(key, random, cmd)
                      : cmcc_tgt_internal_auth(key, cmd, resp);
  cf_wipe(card, sizeof card);
  cf_wipe(keys, sizeof keys);
  return sw;
}

static const uint8_t sam_known[][2] = {
    {0x00, CMCC_TGT_INS_GET_CHALLENGE}, {0x00, CMCC_TGT_INS_READ},
    {0x00, CMCC_TGT_INS_INTERNAL_AUTH}, {0x00, 0xA4},
    {0x84, CMCC_SAM_INS_WRITE_KEY},     {0x84, CMCC_TGT_INS_VERIFY_MAC},
};

static uint16_t sam_dispatch(cf_applet *app, const cf_apdu *cmd, const uint8_t *random, cf_rapdu *resp) {
  sam_ctx *c = app->ctx;
  if (cmd->cla == 0x00) {
    switch (cmd->ins) {
    case CMCC_TGT_INS_GET_CHALLENGE:
      return cmcc_tgt_get_challenge(&c->t, cmd, resp);
    case CMCC_TGT_INS_READ:
      return read_keys(app, cmd, resp);
    case CMCC_TGT_INS_INTERNAL_AUTH:
      return use_key(app, cmd, random, resp);
    case 0xA4:
      return SW_FILE_NOT_FOUND;
    }
  } else if (cmd->cla == CMCC_TGT_CLA_SECURE) {
    switch (cmd->ins) {
    case CMCC_SAM_INS_WRITE_KEY:
      return write_key(app, cmd, random);
    case CMCC_TGT_INS_VERIFY_MAC:
      return use_key(app, cmd, random, resp);
    }
  } else {
    return SW_CLA_NOT_SUPPORTED;
  }
  return cmcc_tgt_unknown(sam_known, sizeof sam_known / sizeof sam_known[0], cmd);
}

static uint16_t sam_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  sam_ctx *c = app->ctx;
  const uint8_t *random = cmcc_tgt_begin(&c->t);
  uint16_t sw = sam_dispatch(app, cmd, random, resp);
  cmcc_tgt_end(&c->t);
  return sw;
}

const cf_applet_ops cmcc_sam_ops = {
    .name = "cmcc-sam",
    .ctx_size = sizeof(sam_ctx),
    .install = sam_install,
    .reset = sam_reset,
    .select = sam_select,
    .deselect = sam_reset,
    .process = sam_process,
    .destroy = NULL,
};
