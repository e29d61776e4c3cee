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
  size_t len;
  if (cf_store_peek(app->store, CF_STORE_KEY(app->ns, CMCC_TGT_REC_INIT), &len)) return 0;
  uint8_t tik[CMCC_KEY_LEN], keys[TERM_KEYS_LEN] = {0};
  cmcc_key_default_value(CMCC_KEY_TERMINAL_INIT, tik);
  int rc = cmcc_param_hex(params, "tik", tik, sizeof tik) < 0 ? -1 : 0;
  static const uint8_t marker = 1;
  if (rc == 0 &&
      (!cmcc_put(app, TERM_REC_TIK, tik, sizeof tik) || !cmcc_put(app, TERM_REC_KEYS, keys, sizeof keys) ||
       !cmcc_put(app, CMCC_TGT_REC_INIT, &marker, 1)))
    rc = -1;
  cf_wipe(tik, sizeof tik);
  return rc;
}

static void terminal_reset(cf_applet *app) {
  cf_wipe(app->ctx, sizeof(terminal_ctx));
}

static uint16_t terminal_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  ((terminal_ctx *)app->ctx)->t.challenge_valid = false; /* a SELECT also ends the GET CHALLENGE random */
  (void)cmd, (void)resp;
  return SW_OK;
}

static bool load_tik(cf_applet *app, uint8_t tik[CMCC_KEY_LEN]) {
  size_t len = 0;
  return cf_store_get(app->store, CF_STORE_KEY(app->ns, TERM_REC_TIK), tik, CMCC_KEY_LEN, &len) ==
             CF_STORE_OK &&
         len == CMCC_KEY_LEN;
}

static bool load_keys(cf_applet *app, uint8_t keys[TERM_KEYS_LEN]) {
  size_t len = 0;
  return cf_store_get(app->store, CF_STORE_KEY(app->ns, TERM_REC_KEYS), keys, TERM_KEYS_LEN, &len) ==
             CF_STORE_OK &&
         len == TERM_KEYS_LEN;
}

static int mac_with(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const uint8_t *data, size_t len,
                    uint8_t mac[CMCC_MAC_LEN]) {
  uint8_t iv[8];
  cmcc_mac_iv(random, iv);
  return cmcc_mac(CMCC_MAC_919, key, iv, data, len, mac);
}

/* W(4) idx(1) ver(1) -> T1(4) F(8) 02 idx ver MAC1(4): the working card's Export Key data */
static uint16_t prepare_export_key(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  terminal_ctx *c = app->ctx;
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
      (mac_with(tik, c->wc_random, out, 15, out + 15) != 0 || !cf_rapdu_put(resp, out, sizeof out)))
    sw = SW_UNKNOWN;
  cf_wipe(tik, sizeof tik);
  c->key_prepared = sw == SW_OK;
  return sw;
}

/* len(1) cipher MAC2(4) from the working card */
static uint16_t load_key(cf_applet *app, const cf_apdu *cmd) {
  terminal_ctx *c = app->ctx;
  const uint8_t *d = cmd->data;
  if (cmd->lc < 1 + 8 + CMCC_MAC_LEN || cmd->lc != 1u + d[0] + CMCC_MAC_LEN || d[0] % 8)
    return SW_WRONG_LENGTH;
  if (!c->key_prepared) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t tik[CMCC_KEY_LEN], mac[CMCC_MAC_LEN], plain[256], keys[TERM_KEYS_LEN];
  size_t plain_len = 0;
  if (!load_tik(app, tik) || !load_keys(app, keys)) return SW_UNKNOWN;
  uint16_t sw = SW_OK;
  if (mac_with(tik, c->t1, d, 1u + d[0], mac) != 0)
    sw = SW_UNKNOWN;
  else if (!cf_ct_equal(mac, d + 1 + d[0], CMCC_MAC_LEN))
    sw = CMCC_SW_BAD_MAC;
  else if (cmcc_decrypt(tik, d + 1, d[0], plain, sizeof plain, &plain_len) != 0 ||
           plain_len != CMCC_TERM_KEY_HEADER_LEN + CMCC_KEY_LEN || plain[0] != c->index ||
           plain[1] != c->version)
    sw = SW_WRONG_DATA;
  if (sw == SW_OK) {
    uint8_t *dst = NULL;
    for (size_t i = 0; i < keys[0] && !dst; i++)
      if (keys[1 + i * CMCC_TGT_KEY_ENTRY] == c->index) dst = keys + 1 + i * CMCC_TGT_KEY_ENTRY;
    if (!dst && keys[0] < CMCC_TERM_MAX_KEYS) dst = keys + 1 + keys[0]++ * CMCC_TGT_KEY_ENTRY;
    if (!dst)
      sw = SW_NOT_ENOUGH_MEMORY;
    else {
      memcpy(dst, plain, CMCC_TGT_KEY_ENTRY);
      if (!cmcc_put(app, TERM_REC_KEYS, keys, sizeof keys)) sw = SW_MEMORY_FAILURE;
    }
  }
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
static uint16_t prepare_export_data(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  terminal_ctx *c = app->ctx;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  if (!c->key_loaded) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t out[CMCC_RANDOM_LEN + CMCC_MAC_LEN];
  if (cf_rand(c->t2, CMCC_RANDOM_LEN) != 0) return SW_UNKNOWN;
  memcpy(out, c->t2, CMCC_RANDOM_LEN);
  if (mac_with(c->subkey, c->wc_random, out, CMCC_RANDOM_LEN, out + CMCC_RANDOM_LEN) != 0 ||
      !cf_rapdu_put(resp, out, sizeof out))
    return SW_UNKNOWN;
  c->data_prepared = true;
  return SW_OK;
}

/* enterprise ID(6) MAC4(4) from the working card */
static uint16_t load_data(cf_applet *app, const cf_apdu *cmd) {
  terminal_ctx *c = app->ctx;
  if (cmd->lc != CMCC_ENTERPRISE_ID_LEN + CMCC_MAC_LEN) return SW_WRONG_LENGTH;
  if (!c->data_prepared) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t mac[CMCC_MAC_LEN];
  if (mac_with(c->subkey, c->t2, cmd->data, CMCC_ENTERPRISE_ID_LEN, mac) != 0) return SW_UNKNOWN;
  if (!cf_ct_equal(mac, cmd->data + CMCC_ENTERPRISE_ID_LEN, CMCC_MAC_LEN)) return CMCC_SW_BAD_MAC;
  if (!cmcc_put(app, TERM_REC_EID, cmd->data, CMCC_ENTERPRISE_ID_LEN)) return SW_MEMORY_FAILURE;
  c->data_prepared = false;
  return SW_OK;
}

static uint16_t read_terminal(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  uint8_t keys[TERM_KEYS_LEN], out[CMCC_ENTERPRISE_ID_LEN + 1 + CMCC_TERM_MAX_KEYS * 2] = {0};
  size_t len = 0, n = CMCC_ENTERPRISE_ID_LEN;
  const uint8_t *eid = cf_store_peek(app->store, CF_STORE_KEY(app->ns, TERM_REC_EID), &len);
  if (eid && len == CMCC_ENTERPRISE_ID_LEN) memcpy(out, eid, len);
  if (!load_keys(app, keys)) return SW_UNKNOWN;
  out[n++] = keys[0];
  for (size_t i = 0; i < keys[0]; i++) {
    memcpy(out + n, keys + 1 + i * CMCC_TGT_KEY_ENTRY, CMCC_TERM_KEY_HEADER_LEN);
    n += CMCC_TERM_KEY_HEADER_LEN;
  }
  cf_wipe(keys, sizeof keys);
  return cf_rapdu_put(resp, out, n) ? SW_OK : SW_UNKNOWN;
}

/* INTERNAL AUTHENTICATE (00 88 idx 00) and VERIFY MAC (84 82 idx 00, no session key) with the
 * stored sub-application key idx. */
static uint16_t use_key(cf_applet *app, const cf_apdu *cmd, const uint8_t *random, cf_rapdu *resp) {
  bool mac = cmd->ins == CMCC_TGT_INS_VERIFY_MAC;
  if (cmd->p1 == 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (mac ? cmd->lc < CMCC_MAC_LEN : cmd->lc != 8) return SW_WRONG_LENGTH;
  if (mac && !random) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t keys[TERM_KEYS_LEN];
  if (!load_keys(app, keys)) return SW_UNKNOWN;
  const uint8_t *key = NULL;
  for (size_t i = 0; i < keys[0] && !key; i++)
    if (keys[1 + i * CMCC_TGT_KEY_ENTRY] == cmd->p1) key = keys + 1 + i * CMCC_TGT_KEY_ENTRY + 2;
  uint16_t sw = !key  ? SW_REFERENCED_DATA_NOT_FOUND
                : mac ? cmcc_tgt_verify_mac(key, random, cmd)
                      : cmcc_tgt_internal_auth(key, cmd, resp);
  cf_wipe(keys, sizeof keys);
  return sw;
}

static const uint8_t terminal_known[][2] = {
    {0x00, CMCC_TGT_INS_GET_CHALLENGE},
    {0x00, CMCC_TGT_INS_READ},
    {0x00, CMCC_TGT_INS_INTERNAL_AUTH},
    {0x00, 0xA4},
    {CMCC_TGT_CLA_SECURE, CMCC_TGT_INS_VERIFY_MAC},
    {TERM_CLA, CMCC_TERM_INS_PREPARE_EXPORT_KEY},
    {TERM_CLA, CMCC_TERM_INS_LOAD_KEY},
    {TERM_CLA, CMCC_TERM_INS_PREPARE_EXPORT_DATA},
    {TERM_CLA, CMCC_TERM_INS_LOAD_DATA},
};

static uint16_t terminal_dispatch(cf_applet *app, const cf_apdu *cmd, const uint8_t *random, cf_rapdu *resp) {
  terminal_ctx *c = app->ctx;
  if (cmd->cla == 0x00) {
    switch (cmd->ins) {
    case CMCC_TGT_INS_GET_CHALLENGE:
      return cmcc_tgt_get_challenge(&c->t, cmd, resp);
    case CMCC_TGT_INS_READ:
      return read_terminal(app, cmd, resp);
    case CMCC_TGT_INS_INTERNAL_AUTH:
      return use_key(app, cmd, random, resp);
    case 0xA4:
      return SW_FILE_NOT_FOUND;
    }
  } else if (cmd->cla == CMCC_TGT_CLA_SECURE) {
    if (cmd->ins == CMCC_TGT_INS_VERIFY_MAC) return use_key(app, cmd, random, resp);
  } else if (cmd->cla == TERM_CLA) {
    bool known = cmd->ins == CMCC_TERM_INS_PREPARE_EXPORT_KEY || cmd->ins == CMCC_TERM_INS_LOAD_KEY ||
                 cmd->ins == CMCC_TERM_INS_PREPARE_EXPORT_DATA || cmd->ins == CMCC_TERM_INS_LOAD_DATA;
    if (known && (cmd->p1 != 0 || cmd->p2 != 0)) return SW_INCORRECT_P1P2;
    switch (cmd->ins) {
    case CMCC_TERM_INS_PREPARE_EXPORT_KEY:
      return prepare_export_key(app, cmd, resp);
    case CMCC_TERM_INS_LOAD_KEY:
      return load_key(app, cmd);
    case CMCC_TERM_INS_PREPARE_EXPORT_DATA:
      return prepare_export_data(app, cmd, resp);
    case CMCC_TERM_INS_LOAD_DATA:
      return load_data(app, cmd);
    }
  } else {
    return SW_CLA_NOT_SUPPORTED;
  }
  return cmcc_tgt_unknown(terminal_known, sizeof terminal_known / sizeof terminal_known[0], cmd);
}

static uint16_t terminal_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  terminal_ctx *c = app->ctx;
  const uint8_t *random = cmcc_tgt_begin(&c->t);
  uint16_t sw = terminal_dispatch(app, cmd, random, resp);
  cmcc_tgt_end(&c->t);
  return sw;
}

const cf_applet_ops cmcc_terminal_ops = {
    .name = "cmcc-terminal",
    .ctx_size = sizeof(terminal_ctx),
    .install = terminal_install,
    .reset = terminal_reset,
    .select = terminal_select,
    .deselect = terminal_reset,
    .process = terminal_process,
    .destroy = NULL,
};
