/* The user card (RF-SIM) as the KMC's Export Keys&Data target: sub-applications created and
 * updated by MAC-protected, encrypted commands (docs/cmcc-profile.md, "User card"). */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

#define UC_REC_CARD 0x0002 /* serial (8) || card key CK (16) */
#define UC_REC_CARD_LEN (CMCC_UC_SERIAL_LEN + CMCC_KEY_LEN)
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
  if (cmcc_installed(app)) return 0;
  uint8_t rec[UC_REC_CARD_LEN], emk[CMCC_KEY_LEN];
  static const uint8_t default_serial[CMCC_UC_SERIAL_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
  memcpy(rec, default_serial, CMCC_UC_SERIAL_LEN);
  cmcc_key_default_value(CMCC_KEY_ENTERPRISE_MGMT, emk);
  int rc = 0;
  if (cmcc_param_hex(params, "serial", rec, CMCC_UC_SERIAL_LEN) < 0 ||
      cmcc_param_hex(params, "emk", emk, sizeof emk) < 0)
    rc = -1;
  int ck = rc == 0 ? cmcc_param_hex(params, "ck", rec + CMCC_UC_SERIAL_LEN, CMCC_KEY_LEN) : -1;
  /* the card's copy of the export key: the enterprise management key diversified by its serial */
  if (ck < 0 || (ck == 0 && cmcc_diversify8(emk, rec, rec + CMCC_UC_SERIAL_LEN) != 0)) rc = -1;
  if (rc == 0 && (!cmcc_put(app, UC_REC_CARD, rec, sizeof rec) || !cmcc_mark_installed(app))) rc = -1;
  cf_wipe(rec, sizeof rec);
  cf_wipe(emk, sizeof emk);
  return rc;
}

static bool load_subapp(cf_applet *app, uint8_t id, uint8_t rec[UC_SUBAPP_LEN]) {
  return cmcc_get(app, (uint16_t)UC_REC_SUBAPP(id), rec, UC_SUBAPP_LEN);
}

/* Adds or replaces n key entries; false if the sub-application would hold too many. */
static bool merge_keys(uint8_t rec[UC_SUBAPP_LEN], const uint8_t *entries, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!cmcc_tgt_key_put(rec + UC_NKEYS, CMCC_UC_MAX_KEYS, entries + i * CMCC_TGT_KEY_ENTRY)) return false;
  return true;
}

/* A key list is whole entries, 1..8 of them, none with key id 00. */
static bool key_list_ok(const uint8_t *p, size_t len) {
  if (len == 0 || len % CMCC_TGT_KEY_ENTRY || len / CMCC_TGT_KEY_ENTRY > CMCC_UC_MAX_KEYS) return false;
  for (size_t i = 0; i < len; i += CMCC_TGT_KEY_ENTRY)
    if (p[i] == 0) return false;
  return true;
}

/* CREATE SUB_APPLICATION, UPDATE SUB_APPLICATION DATA, UPDATE SUB_APPLICATION KEYS */
static uint16_t write_subapp(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)resp;
  const uint8_t *random = cmcc_tgt_random(app);
  if (cmd->p1 == 0 || cmd->p1 > CMCC_UC_MAX_SUBAPPS || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  uint8_t card[UC_REC_CARD_LEN], sk[CMCC_KEY_LEN] = {0}, plain[256], rec[UC_SUBAPP_LEN];
  size_t plain_len = 0;
  if (!cmcc_get(app, UC_REC_CARD, card, sizeof card)) return SW_UNKNOWN;
  uint16_t sw = SW_OK;
  if (random && cmcc_session_key(card + CMCC_UC_SERIAL_LEN, random, sk) != 0) sw = SW_UNKNOWN;
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
  size_t n = CMCC_ENTERPRISE_ID_LEN + 1 + rec[UC_DLEN];
  memcpy(out, rec, n);
  n += cmcc_tgt_key_list(rec + UC_NKEYS, out + n);
  cf_wipe(rec, sizeof rec);
  return cf_rapdu_put(resp, out, n) ? SW_OK : SW_UNKNOWN;
}

/* INTERNAL AUTHENTICATE and VERIFY MAC: P1 = sub-application, P2 = key id. */
static bool key_ref_ok(uint8_t p1, uint8_t p2) {
  return p1 != 0 && p1 <= CMCC_UC_MAX_SUBAPPS && p2 != 0;
}

static uint16_t key_find(cf_applet *app, uint8_t p1, uint8_t p2, uint8_t key[CMCC_KEY_LEN]) {
  uint8_t rec[UC_SUBAPP_LEN];
  const uint8_t *entry = load_subapp(app, p1, rec) ? cmcc_tgt_key_entry(rec + UC_NKEYS, p2) : NULL;
  if (entry) memcpy(key, entry + CMCC_TGT_KEY_ATTR_LEN, CMCC_KEY_LEN);
  cf_wipe(rec, sizeof rec);
  return entry ? SW_OK : SW_REFERENCED_DATA_NOT_FOUND;
}

static const cmcc_command usercard_commands[] = {
    {0x00, CMCC_TGT_INS_READ, read_subapp},
    {CMCC_TGT_CLA_SECURE, CMCC_UC_INS_CREATE_SUBAPP, write_subapp},
    {CMCC_TGT_CLA_SECURE, CMCC_UC_INS_UPDATE_SUBAPP_DATA, write_subapp},
    {CMCC_TGT_CLA_SECURE, CMCC_UC_INS_UPDATE_SUBAPP_KEYS, write_subapp},
    {0, 0, NULL},
};

/* GET DATA: the serial, so that a batch host can check it holds the card its list names */
static const cmcc_tgt_object usercard_objects[] = {
    {CMCC_TGT_DO_SERIAL, UC_REC_CARD, UC_REC_CARD_LEN, 0, CMCC_UC_SERIAL_LEN},
};

static const cmcc_target_kind usercard_kind = {
    .fci_device = CMCC_DEVICE_USER_CARD,
    .commands = usercard_commands,
    .objects = usercard_objects,
    .nobjects = sizeof usercard_objects / sizeof usercard_objects[0],
    .key_ref_ok = key_ref_ok,
    .key_find = key_find,
    .session_mac = true,
};

const cmcc_target_ops cmcc_usercard_ops =
    CMCC_TARGET_OPS("cmcc-usercard", usercard_ctx, usercard_install, &usercard_kind);
