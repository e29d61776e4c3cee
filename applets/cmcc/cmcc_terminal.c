/* The terminal of spec 4.1.7, as an emulated card the host relays for: it builds the working
 * card's Export Key / Export Data commands (MAC1, MAC3), checks the answers (MAC2, MAC4) and
 * stores the sub-application key and the enterprise ID. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

#define TERM_REC_TIK 0x0002  /* terminal initial key (16) */
#define TERM_REC_EID 0x0003  /* enterprise ID (6), once loaded */
#define TERM_REC_KEYS 0x0004 /* count (1) || count x (index, version, key) */
#define TERM_KEYS_LEN (1 + CMCC_TERM_MAX_KEYS * CMCC_TGT_KEY_ENTRY)
#define TERM_CLA 0x80

typedef struct terminal_ctx {
  cmcc_target_ctx t;
  bool key_prepared; /* PREPARE EXPORT KEY done, LOAD KEY expected */
  uint8_t wc_random[CMCC_RANDOM_LEN], t1[CMCC_RANDOM_LEN], index, version;
  bool key_loaded; /* a key came in during this exchange: Export Data may follow */
  uint8_t subkey[CMCC_KEY_LEN];
  bool data_prepared;
  uint8_t t2[CMCC_RANDOM_LEN];
} terminal_ctx;

static int terminal_install(cf_applet *app, const char *params) {
  if (cmcc_installed(app)) return 0;
  uint8_t tik[CMCC_KEY_LEN], keys[TERM_KEYS_LEN] = {0};
  cmcc_key_default_value(CMCC_KEY_TERMINAL_INIT, tik);
  int rc = cmcc_param_hex(params, "tik", tik, sizeof tik) < 0 ? -1 : 0;
  if (rc == 0 && (!cmcc_put(app, TERM_REC_TIK, tik, sizeof tik) ||
                  !cmcc_put(app, TERM_REC_KEYS, keys, sizeof keys) || !cmcc_mark_installed(app)))
    rc = -1;
  cf_wipe(tik, sizeof tik);
  return rc;
}

static bool load_tik(cf_applet *app, uint8_t tik[CMCC_KEY_LEN]) {
  return cmcc_get(app, TERM_REC_TIK, tik, CMCC_KEY_LEN);
}

static bool load_keys(cf_applet *app, uint8_t keys[TERM_KEYS_LEN]) {
  return cmcc_get(app, TERM_REC_KEYS, keys, TERM_KEYS_LEN);
}

/* W(4) idx(1) ver(1) -> T1(4) F(8) 02 idx ver MAC1(4): the working card's Export Key data */
static uint16_t prepare_export_key(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  terminal_ctx *c = app->ctx;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != CMCC_RANDOM_LEN + 2) return SW_WRONG_LENGTH;
  if (cmd->data[4] == 0) return SW_WRONG_DATA;
  uint8_t tik[CMCC_KEY_LEN], out[4 + 8 + 1 + CMCC_TERM_KEY_HEADER_LEN + CMCC_MAC_LEN];
  if (!load_tik(app, tik)) return SW_UNKNOWN;
  c->key_prepared = c->key_loaded = c->data_prepared = false;
  memcpy(c->wc_random, cmd->data, CMCC_RANDOM_LEN);
  c->index = cmd->data[4];
  c->version = cmd->data[5];
  uint16_t sw = SW_OK;
  if (cf_rand(c->t1, CMCC_RANDOM_LEN) != 0) sw = SW_UNKNOWN;
  memcpy(out, c->t1, 4);
  cmcc_terminal_factor(c->index, c->version, out + 4);
  out[12] = CMCC_TERM_KEY_HEADER_LEN;
  out[13] = c->index;
  out[14] = c->version;
  if (sw == SW_OK &&
      (cmcc_rmac(tik, c->wc_random, out, 15, out + 15) != 0 || !cf_rapdu_put(resp, out, sizeof out)))
    sw = SW_UNKNOWN;
  cf_wipe(tik, sizeof tik);
  c->key_prepared = sw == SW_OK;
  return sw;
}

/* len(1) cipher MAC2(4) from the working card */
static uint16_t load_key(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  terminal_ctx *c = app->ctx;
  const uint8_t *d = cmd->data;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc < 1 + 8 + CMCC_MAC_LEN || cmd->lc != 1u + d[0] + CMCC_MAC_LEN || d[0] % 8)
    return SW_WRONG_LENGTH;
  if (!c->key_prepared) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t tik[CMCC_KEY_LEN], plain[256], keys[TERM_KEYS_LEN];
  size_t plain_len = 0;
  if (!load_tik(app, tik) || !load_keys(app, keys)) return SW_UNKNOWN;
  uint16_t sw = cmcc_rmac_check(tik, c->t1, d, 1u + d[0], d + 1 + d[0]);
  if (sw == SW_OK && (cmcc_decrypt(tik, d + 1, d[0], plain, sizeof plain, &plain_len) != 0 ||
                      plain_len != CMCC_TERM_KEY_HEADER_LEN + CMCC_KEY_LEN || plain[0] != c->index ||
                      plain[1] != c->version))
    sw = SW_WRONG_DATA;
  /* plain = index || version || key: a key table entry (the index was checked above) */
  if (sw == SW_OK && !cmcc_tgt_key_put(keys, CMCC_TERM_MAX_KEYS, plain)) sw = SW_NOT_ENOUGH_MEMORY;
  if (sw == SW_OK && !cmcc_put(app, TERM_REC_KEYS, keys, sizeof keys)) sw = SW_MEMORY_FAILURE;
  if (sw == SW_OK) {
    memcpy(c->subkey, plain + CMCC_TERM_KEY_HEADER_LEN, CMCC_KEY_LEN);
    c->key_loaded = true;
    c->key_prepared = false;
  }
  cf_wipe(tik, sizeof tik);
  cf_wipe(plain, sizeof plain);
  cf_wipe(keys, sizeof keys);
  return sw;
}

/* -> T2(4) MAC3(4): the working card's Export Data data */
static uint16_t prepare_export_data(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  terminal_ctx *c = app->ctx;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  if (!c->key_loaded) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t out[CMCC_RANDOM_LEN + CMCC_MAC_LEN];
  if (cf_rand(c->t2, CMCC_RANDOM_LEN) != 0) return SW_UNKNOWN;
  memcpy(out, c->t2, CMCC_RANDOM_LEN);
  if (cmcc_rmac(c->subkey, c->wc_random, out, CMCC_RANDOM_LEN, out + CMCC_RANDOM_LEN) != 0 ||
      !cf_rapdu_put(resp, out, sizeof out))
    return SW_UNKNOWN;
  c->data_prepared = true;
  return SW_OK;
}

/* enterprise ID(6) MAC4(4) from the working card */
static uint16_t load_data(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  terminal_ctx *c = app->ctx;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != CMCC_ENTERPRISE_ID_LEN + CMCC_MAC_LEN) return SW_WRONG_LENGTH;
  if (!c->data_prepared) return SW_CONDITIONS_NOT_SATISFIED;
  uint16_t sw = cmcc_rmac_check(c->subkey, c->t2, cmd->data, CMCC_ENTERPRISE_ID_LEN,
                                cmd->data + CMCC_ENTERPRISE_ID_LEN);
  if (sw != SW_OK) return sw;
  if (!cmcc_put(app, TERM_REC_EID, cmd->data, CMCC_ENTERPRISE_ID_LEN)) return SW_MEMORY_FAILURE;
  c->data_prepared = false;
  return SW_OK;
}

static uint16_t read_terminal(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  uint8_t keys[TERM_KEYS_LEN], out[CMCC_ENTERPRISE_ID_LEN + 1 + CMCC_TERM_MAX_KEYS * 2] = {0};
  size_t len = 0, n = CMCC_ENTERPRISE_ID_LEN;
  const uint8_t *eid = cf_store_peek(app->store, CF_STORE_KEY(app->ns, TERM_REC_EID), &len);
  if (eid && len == CMCC_ENTERPRISE_ID_LEN) memcpy(out, eid, len);
  if (!load_keys(app, keys)) return SW_UNKNOWN;
  n += cmcc_tgt_key_list(keys, out + n);
  cf_wipe(keys, sizeof keys);
  return cf_rapdu_put(resp, out, n) ? SW_OK : SW_UNKNOWN;
}

/* INTERNAL AUTHENTICATE (00 88 idx 00) and VERIFY MAC (84 82 idx 00, no session key) with the
 * stored sub-application key idx. */
static bool key_ref_ok(uint8_t p1, uint8_t p2) {
  return p1 != 0 && p2 == 0;
}

static uint16_t key_find(cf_applet *app, uint8_t p1, uint8_t p2, uint8_t key[CMCC_KEY_LEN]) {
  (void)p2;
  uint8_t keys[TERM_KEYS_LEN];
  if (!load_keys(app, keys)) return SW_UNKNOWN;
  const uint8_t *entry = cmcc_tgt_key_entry(keys, p1);
  if (entry) memcpy(key, entry + CMCC_TERM_KEY_HEADER_LEN, CMCC_KEY_LEN);
  cf_wipe(keys, sizeof keys);
  return entry ? SW_OK : SW_REFERENCED_DATA_NOT_FOUND;
}

/* The device's commands: those of every target (cmcc_target.c), then its own. None needs a PIN or
 * an authentication; a protected command (class 84) carries a MAC under the GET CHALLENGE random,
 * which its handler verifies with the key the command names. */
static const cf_command terminal_commands[] = {
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_GET_CHALLENGE, CF_ACCESS_NONE, cmcc_tgt_get_challenge},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_INTERNAL_AUTH, CF_ACCESS_NONE, cmcc_tgt_internal_auth},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_GET_DATA, CF_ACCESS_NONE, cmcc_tgt_get_data},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_SELECT, CF_ACCESS_NONE, cmcc_tgt_select_other},
    {CMCC_TGT_CLA_SECURE, CMCC_TGT_INS_VERIFY_MAC, CF_ACCESS_NONE, cmcc_tgt_verify_mac},
    {CMCC_TGT_CLA_PLAIN, CMCC_TGT_INS_READ, CF_ACCESS_NONE, read_terminal},
    {TERM_CLA, CMCC_TERM_INS_PREPARE_EXPORT_KEY, CF_ACCESS_NONE, prepare_export_key},
    {TERM_CLA, CMCC_TERM_INS_LOAD_KEY, CF_ACCESS_NONE, load_key},
    {TERM_CLA, CMCC_TERM_INS_PREPARE_EXPORT_DATA, CF_ACCESS_NONE, prepare_export_data},
    {TERM_CLA, CMCC_TERM_INS_LOAD_DATA, CF_ACCESS_NONE, load_data},
    {0, 0, CF_ACCESS_NONE, NULL},
    {0, 0, CF_ACCESS_NONE, NULL},
};

/* The terminal has no data object: its keys are found by sub-application index. */
static const cmcc_target_kind terminal_kind = {
    .fci_device = 0,
    .commands = terminal_commands,
    .objects = NULL,
    .nobjects = 0,
    .key_ref_ok = key_ref_ok,
    .key_find = key_find,
    .session_mac = false,
};

const cmcc_target_ops cmcc_terminal_ops =
    CMCC_TARGET_OPS("cmcc-terminal", terminal_ctx, terminal_install, &terminal_kind);
