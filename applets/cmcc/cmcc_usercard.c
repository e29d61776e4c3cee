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

/* ---- CREATE SUB_APPLICATION, UPDATE SUB_APPLICATION DATA, UPDATE SUB_APPLICATION KEYS ---- */

/* What the three writes share: the plaintext of the command and the sub-application's record. */
typedef struct subapp_write {
  uint8_t plain[256];
  size_t plain_len;
  uint8_t rec[UC_SUBAPP_LEN];
  bool exists; /* rec holds the stored sub-application P1 */
} subapp_write;

/* P1 names a sub-application (else 6A86) and the command comes wrapped under the session key of
 * the card key and the GET CHALLENGE random (cmcc_tgt_unwrap's checks). */
static uint16_t subapp_write_open(cf_applet *app, const cf_apdu *cmd, subapp_write *w) {
  const uint8_t *random = cmcc_tgt_random(app);
  if (cmd->p1 == 0 || cmd->p1 > CMCC_UC_MAX_SUBAPPS || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  uint8_t card[UC_REC_CARD_LEN], sk[CMCC_KEY_LEN] = {0};
  if (!cmcc_get(app, UC_REC_CARD, card, sizeof card)) return SW_UNKNOWN;
  uint16_t sw = SW_OK;
  if (random && cmcc_session_key(card + CMCC_UC_SERIAL_LEN, random, sk) != 0) sw = SW_UNKNOWN;
  if (sw == SW_OK) sw = cmcc_tgt_unwrap(sk, random, cmd, w->plain, sizeof w->plain, &w->plain_len);
  cf_wipe(card, sizeof card);
  cf_wipe(sk, sizeof sk);
  w->exists = sw == SW_OK && load_subapp(app, cmd->p1, w->rec);
  return sw;
}

/* Stores the record if the command succeeded; the plaintext goes either way. */
static uint16_t subapp_write_close(cf_applet *app, const cf_apdu *cmd, subapp_write *w, uint16_t sw) {
  if (sw == SW_OK && !cmcc_put(app, (uint16_t)UC_REC_SUBAPP(cmd->p1), w->rec, sizeof w->rec))
    sw = SW_MEMORY_FAILURE;
  cf_wipe(w, sizeof *w);
  return sw;
}

/* data: enterprise ID || key entries; the sub-application must not exist yet. */
static uint16_t create_subapp(void *request) {
  const cf_apdu_request *rq = request;
  subapp_write w = {.plain_len = 0};
  uint16_t sw = subapp_write_open(rq->app, rq->cmd, &w);
  if (sw != SW_OK) {
    /* nothing to do */
  } else if (w.plain_len < CMCC_ENTERPRISE_ID_LEN ||
             !key_list_ok(w.plain + CMCC_ENTERPRISE_ID_LEN, w.plain_len - CMCC_ENTERPRISE_ID_LEN)) {
    sw = SW_WRONG_DATA;
  } else if (w.exists) {
    sw = CMCC_SW_ALREADY_EXISTS;
  } else {
    memset(w.rec, 0, sizeof w.rec);
    memcpy(w.rec + UC_EID, w.plain, CMCC_ENTERPRISE_ID_LEN);
    /* at most CMCC_UC_MAX_KEYS entries (key_list_ok): they always fit an empty sub-application */
    (void)merge_keys(w.rec, w.plain + CMCC_ENTERPRISE_ID_LEN,
                     (w.plain_len - CMCC_ENTERPRISE_ID_LEN) / CMCC_TGT_KEY_ENTRY);
  }
  return subapp_write_close(rq->app, rq->cmd, &w, sw);
}

/* data: the sub-application's new data, replacing the old. */
static uint16_t update_subapp_data(void *request) {
  const cf_apdu_request *rq = request;
  subapp_write w = {.plain_len = 0};
  uint16_t sw = subapp_write_open(rq->app, rq->cmd, &w);
  if (sw != SW_OK) {
    /* nothing to do */
  } else if (w.plain_len == 0 || w.plain_len > CMCC_UC_MAX_DATA) {
    sw = SW_WRONG_DATA;
  } else if (!w.exists) {
    sw = SW_REFERENCED_DATA_NOT_FOUND;
  } else {
    memset(w.rec + UC_DATA, 0, CMCC_UC_MAX_DATA);
    memcpy(w.rec + UC_DATA, w.plain, w.plain_len);
    w.rec[UC_DLEN] = (uint8_t)w.plain_len;
  }
  return subapp_write_close(rq->app, rq->cmd, &w, sw);
}

/* data: key entries, added to or replacing those of the sub-application. */
static uint16_t update_subapp_keys(void *request) {
  const cf_apdu_request *rq = request;
  subapp_write w = {.plain_len = 0};
  uint16_t sw = subapp_write_open(rq->app, rq->cmd, &w);
  if (sw != SW_OK) {
    /* nothing to do */
  } else if (!key_list_ok(w.plain, w.plain_len)) {
    sw = SW_WRONG_DATA;
  } else if (!w.exists) {
    sw = SW_REFERENCED_DATA_NOT_FOUND;
  } else if (!merge_keys(w.rec, w.plain, w.plain_len / CMCC_TGT_KEY_ENTRY)) {
    sw = SW_NOT_ENOUGH_MEMORY;
  }
  return subapp_write_close(rq->app, rq->cmd, &w, sw);
}

static uint16_t read_subapp(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
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

/* The device's commands: those of every target (cmcc_target.c), then its own. None needs a PIN or
 * an authentication; a protected command (class 84) carries a MAC under the GET CHALLENGE random,
 * which its handler verifies with the key the command names. */
static const cf_command usercard_commands[] = {
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_GET_CHALLENGE, CF_ACCESS_NONE, cmcc_tgt_get_challenge},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_INTERNAL_AUTH, CF_ACCESS_NONE, cmcc_tgt_internal_auth},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_GET_DATA, CF_ACCESS_NONE, cmcc_tgt_get_data},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_SELECT, CF_ACCESS_NONE, cmcc_tgt_select_other},
    {CMCC_TGT_CLA_SECURE, CMCC_TGT_INS_VERIFY_MAC, CF_ACCESS_NONE, cmcc_tgt_verify_mac},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_READ, CF_ACCESS_NONE, read_subapp},
    {CMCC_TGT_CLA_SECURE, CMCC_UC_INS_CREATE_SUBAPP, CF_ACCESS_NONE, create_subapp},
    {CMCC_TGT_CLA_SECURE, CMCC_UC_INS_UPDATE_SUBAPP_DATA, CF_ACCESS_NONE, update_subapp_data},
    {CMCC_TGT_CLA_SECURE, CMCC_UC_INS_UPDATE_SUBAPP_KEYS, CF_ACCESS_NONE, update_subapp_keys},
    {0, 0, CF_ACCESS_NONE, NULL},
    {0, 0, CF_ACCESS_NONE, NULL},
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
