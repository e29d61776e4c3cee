/* The user card (RF-SIM) as the KMC's Export Keys&Data target: sub-applications created and
 * updated by MAC-protected, encrypted commands (docs/cmcc-profile.md, "User card"). */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

#define UC_REC_CARD 0x0002 /* serial (8) || card key CK (16) */
#define UC_REC_SUBAPP(id) (0x0100 + (id))
#define UC_EID 0
#define UC_DLEN 6
#define UC_DATA 7
#define UC_NKEYS (UC_DATA + CMCC_UC_MAX_DATA)
#define UC_KEYS (UC_NKEYS + 1)
#define UC_SUBAPP_LEN (UC_KEYS + CMCC_UC_MAX_KEYS * CMCC_TGT_KEY_ENTRY)

typedef struct usercard_ctx {
  cmcc_target_ctx t;
} usercard_ctx;

static int usercard_install(cf_applet *app, const char *params) {
  size_t len;
  if (cf_store_peek(app->store, CF_STORE_KEY(app->ns, CMCC_TGT_REC_INIT), &len)) return 0;
  uint8_t rec[8 + CMCC_KEY_LEN], emk[CMCC_KEY_LEN];
  static const uint8_t default_serial[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  memcpy(rec, default_serial, 8);
  cmcc_key_default_value(CMCC_KEY_ENTERPRISE_MGMT, emk);
  int rc = 0;
  if (cmcc_param_hex(params, "serial", rec, 8) < 0 || cmcc_param_hex(params, "emk", emk, sizeof emk) < 0)
    rc = -1;
  int ck = rc == 0 ? cmcc_param_hex(params, "ck", rec + 8, CMCC_KEY_LEN) : -1;
  /* the card's copy of the export key: the enterprise management key diversified by its serial */
  if (ck < 0 || (ck == 0 && cmcc_diversify8(emk, rec, rec + 8) != 0)) rc = -1;
  static const uint8_t marker = 1;
  if (rc == 0 &&
      (!cmcc_put(app, UC_REC_CARD, rec, sizeof rec) || !cmcc_put(app, CMCC_TGT_REC_INIT, &marker, 1)))
    rc = -1;
  cf_wipe(rec, sizeof rec);
  cf_wipe(emk, sizeof emk);
  return rc;
}

static void usercard_reset(cf_applet *app) {
  cf_wipe(app->ctx, sizeof(usercard_ctx));
}

static uint16_t usercard_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  ((usercard_ctx *)app->ctx)->t.challenge_valid = false; /* a SELECT also ends the GET CHALLENGE random */
  (void)cmd;
  return cmcc_put_fci(resp, app->aid, app->aid_len, CMCC_DEVICE_USER_CARD, NULL) ? SW_OK : SW_UNKNOWN;
}

static bool load_subapp(cf_applet *app, uint8_t id, uint8_t rec[UC_SUBAPP_LEN]) {
  size_t len = 0;
  return cf_store_get(app->store, CF_STORE_KEY(app->ns, UC_REC_SUBAPP(id)), rec, UC_SUBAPP_LEN, &len) ==
             CF_STORE_OK &&
         len == UC_SUBAPP_LEN;
}

/* Finds key id in a sub-application record; returns its entry or NULL. */
static uint8_t *find_key(uint8_t rec[UC_SUBAPP_LEN], uint8_t key_id) {
  for (size_t i = 0; i < rec[UC_NKEYS]; i++) {
    uint8_t *e = rec + UC_KEYS + i * CMCC_TGT_KEY_ENTRY;
    if (e[0] == key_id) return e;
  }
  return NULL;
}

/* Adds or replaces n key entries; false if the sub-application would hold too many. */
static bool merge_keys(uint8_t rec[UC_SUBAPP_LEN], const uint8_t *entries, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const uint8_t *src = entries + i * CMCC_TGT_KEY_ENTRY;
    uint8_t *dst = find_key(rec, src[0]);
    if (!dst) {
      if (rec[UC_NKEYS] >= CMCC_UC_MAX_KEYS) return false;
      dst = rec + UC_KEYS + rec[UC_NKEYS]++ * CMCC_TGT_KEY_ENTRY;
    }
    memcpy(dst, src, CMCC_TGT_KEY_ENTRY);
  }
  return true;
}

/* A key list is whole entries, 1..8 of them, none with key id 00. */
static bool key_list_ok(const uint8_t *p, size_t len) {
  if (len == 0 || len % CMCC_TGT_KEY_ENTRY || len / CMCC_TGT_KEY_ENTRY > CMCC_UC_MAX_KEYS) return false;
  for (size_t i = 0; i < len; i += CMCC_TGT_KEY_ENTRY)
    if (p[i] == 0) return false;
  return true;
}

static uint16_t write_subapp(cf_applet *app, const cf_apdu *cmd, const uint8_t *random) {
  if (cmd->p1 == 0 || cmd->p1 > CMCC_UC_MAX_SUBAPPS || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  uint8_t card[8 + CMCC_KEY_LEN], sk[CMCC_KEY_LEN] = {0}, plain[256], rec[UC_SUBAPP_LEN];
  size_t len = 0, plain_len = 0;
  if (cf_store_get(app->store, CF_STORE_KEY(app->ns, UC_REC_CARD), card, sizeof card, &len) != CF_STORE_OK)
    return SW_UNKNOWN;
  uint16_t sw = SW_OK;
  if (random && cmcc_session_key(card + 8, random, sk) != 0) sw = SW_UNKNOWN;
  if (sw == SW_OK) sw = cmcc_tgt_unwrap(sk, random, cmd, plain, sizeof plain, &plain_len);
  cf_wipe(card, sizeof card);
  cf_wipe(sk, sizeof sk);
  bool exists = sw == SW_OK && load_subapp(app, cmd->p1, rec);
  if (sw != SW_OK) {
    /* nothing to do */
  } else if (cmd->ins == CMCC_UC_INS_CREATE_SUBAPP) {
    if (plain_len < CMCC_ENTERPRISE_ID_LEN ||
        !key_list_ok(plain + CMCC_ENTERPRISE_ID_LEN, plain_len - CMCC_ENTERPRISE_ID_LEN))
      sw = SW_WRONG_DATA;
    else if (exists)
      sw = CMCC_SW_ALREADY_EXISTS;
    else {
      memset(rec, 0, sizeof rec);
      memcpy(rec + UC_EID, plain, CMCC_ENTERPRISE_ID_LEN);
      /* at most CMCC_UC_MAX_KEYS entries (key_list_ok): they always fit an empty sub-application */
      (void)merge_keys(rec, plain + CMCC_ENTERPRISE_ID_LEN,
                       (plain_len - CMCC_ENTERPRISE_ID_LEN) / CMCC_TGT_KEY_ENTRY);
    }
  } else if (cmd->ins == CMCC_UC_INS_UPDATE_SUBAPP_DATA) {
    if (plain_len == 0 || plain_len > CMCC_UC_MAX_DATA)
      sw = SW_WRONG_DATA;
    else if (!exists)
      sw = SW_REFERENCED_DATA_NOT_FOUND;
    else {
      memset(rec + UC_DATA, 0, CMCC_UC_MAX_DATA);
      memcpy(rec + UC_DATA, plain, plain_len);
      rec[UC_DLEN] = (uint8_t)plain_len;
    }
  } else { /* UPDATE SUB_APPLICATION KEYS */
    if (!key_list_ok(plain, plain_len))
      sw = SW_WRONG_DATA;
    else if (!exists)
      sw = SW_REFERENCED_DATA_NOT_FOUND;
    else if (!merge_keys(rec, plain, plain_len / CMCC_TGT_KEY_ENTRY))
      sw = SW_NOT_ENOUGH_MEMORY;
  }
  if (sw == SW_OK && !cmcc_put(app, (uint16_t)UC_REC_SUBAPP(cmd->p1), rec, sizeof rec))
    sw = SW_MEMORY_FAILURE;
  cf_wipe(plain, sizeof plain);
  cf_wipe(rec, sizeof rec);
  return sw;
}

static uint16_t read_subapp(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  if (cmd->p1 == 0 || cmd->p1 > CMCC_UC_MAX_SUBAPPS || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  uint8_t rec[UC_SUBAPP_LEN], out[UC_SUBAPP_LEN];
  if (!load_subapp(app, cmd->p1, rec)) return SW_REFERENCED_DATA_NOT_FOUND;
  size_t n = 0;
  memcpy(out, rec, CMCC_ENTERPRISE_ID_LEN + 1 + rec[UC_DLEN]);
  n = CMCC_ENTERPRISE_ID_LEN + 1 + rec[UC_DLEN];
  out[n++] = rec[UC_NKEYS];
  for (size_t i = 0; i < rec[UC_NKEYS]; i++) {
    memcpy(out + n, rec + UC_KEYS + i * CMCC_TGT_KEY_ENTRY, CMCC_TGT_KEY_ATTR_LEN);
    n += CMCC_TGT_KEY_ATTR_LEN;
  }
  cf_wipe(rec, sizeof rec);
  return cf_rapdu_put(resp, out, n) ? SW_OK : SW_UNKNOWN;
}

/* INTERNAL AUTHENTICATE and VERIFY MAC: P1 = sub-application, P2 = key id. */
static uint16_t use_key(cf_applet *app, const cf_apdu *cmd, const uint8_t *random, cf_rapdu *resp) {
  bool mac = cmd->ins == CMCC_TGT_INS_VERIFY_MAC;
  if (cmd->p1 == 0 || cmd->p1 > CMCC_UC_MAX_SUBAPPS || cmd->p2 == 0) return SW_INCORRECT_P1P2;
  if (mac ? cmd->lc < CMCC_MAC_LEN : cmd->lc != 8) return SW_WRONG_LENGTH;
  if (mac && !random) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t rec[UC_SUBAPP_LEN], sk[CMCC_KEY_LEN] = {0};
  const uint8_t *entry = load_subapp(app, cmd->p1, rec) ? find_key(rec, cmd->p2) : NULL;
  uint16_t sw;
  if (!entry)
    sw = SW_REFERENCED_DATA_NOT_FOUND;
  else if (!mac)
    sw = cmcc_tgt_internal_auth(entry + 2, cmd, resp);
  else if (cmcc_session_key(entry + 2, random, sk) != 0)
    sw = SW_UNKNOWN;
  else
    sw = cmcc_tgt_verify_mac(sk, random, cmd);
  cf_wipe(rec, sizeof rec);
  cf_wipe(sk, sizeof sk);
  return sw;
}

static const uint8_t usercard_known[][2] = {
    {0x00, CMCC_TGT_INS_GET_CHALLENGE},     {0x00, CMCC_TGT_INS_READ},
    {0x00, CMCC_TGT_INS_INTERNAL_AUTH},     {0x00, 0xA4},
    {0x84, CMCC_UC_INS_CREATE_SUBAPP},      {0x84, CMCC_UC_INS_UPDATE_SUBAPP_DATA},
    {0x84, CMCC_UC_INS_UPDATE_SUBAPP_KEYS}, {0x84, CMCC_TGT_INS_VERIFY_MAC},
};

static uint16_t usercard_dispatch(cf_applet *app, const cf_apdu *cmd, const uint8_t *random, cf_rapdu *resp) {
  usercard_ctx *c = app->ctx;
  if (cmd->cla == 0x00) {
    switch (cmd->ins) {
    case CMCC_TGT_INS_GET_CHALLENGE:
      return cmcc_tgt_get_challenge(&c->t, cmd, resp);
    case CMCC_TGT_INS_READ:
      return read_subapp(app, cmd, resp);
    case CMCC_TGT_INS_INTERNAL_AUTH:
      return use_key(app, cmd, random, resp);
    case 0xA4:
      return SW_FILE_NOT_FOUND; /* a SELECT the runtime matched to no application */
    }
  } else if (cmd->cla == CMCC_TGT_CLA_SECURE) {
    switch (cmd->ins) {
    case CMCC_UC_INS_CREATE_SUBAPP:
    case CMCC_UC_INS_UPDATE_SUBAPP_DATA:
    case CMCC_UC_INS_UPDATE_SUBAPP_KEYS:
      return write_subapp(app, cmd, random);
    case CMCC_TGT_INS_VERIFY_MAC:
      return use_key(app, cmd, random, resp);
    }
  } else {
    return SW_CLA_NOT_SUPPORTED;
  }
  return cmcc_tgt_unknown(usercard_known, sizeof usercard_known / sizeof usercard_known[0], cmd);
}

static uint16_t usercard_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  usercard_ctx *c = app->ctx;
  const uint8_t *random = cmcc_tgt_begin(&c->t);
  uint16_t sw = usercard_dispatch(app, cmd, random, resp);
  cmcc_tgt_end(&c->t);
  return sw;
}

const cf_applet_ops cmcc_usercard_ops = {
    .name = "cmcc-usercard",
    .ctx_size = sizeof(usercard_ctx),
    .install = usercard_install,
    .reset = usercard_reset,
    .select = usercard_select,
    .deselect = usercard_reset,
    .process = usercard_process,
    .destroy = NULL,
};
