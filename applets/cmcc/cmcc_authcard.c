/* The authentication card (母卡认证卡, spec chapter 2): holds the master-card master key and computes,
 * for the KMC, the External Authentication data, Import Key records and their MACs. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/sw.h>

#define AUTHCARD_MAX_PLAIN 240

static uint8_t authcard_import_level(uint8_t type) {
  return (type == CMCC_KEY_MASTER_CARD || type == CMCC_KEY_AUTHCARD) ? 1 : 0;
}

/* Common front of Encrypt Data and MAC Generate: KMC random(4) || length(1) || data. Finds the
 * master-card master key and counts its use. */
static uint16_t front(const void *request, cmcc_key *key) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc < CMCC_RANDOM_LEN + 1 || cmd->data[4] != cmd->lc - CMCC_RANDOM_LEN - 1) return SW_WRONG_LENGTH;
  if (!cmcc_access_ok(request, 0)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  if (cmd->data[4] > AUTHCARD_MAX_PLAIN) return SW_WRONG_DATA;
  size_t n = cmcc_key_find_type(app, CMCC_KEY_MASTER_CARD, key);
  if (!n) return CMCC_SW_EXPORTED_KEY_MISSING; /* 6479 "密钥未找到" */
  if (!cmcc_key_can_compute(key)) return CMCC_SW_USE_CONDITION;
  uint16_t sw = cmcc_key_use(app, n, key);
  return sw == CMCC_SW_FILE_TYPE ? CMCC_SW_KEY_STATE : sw;
}

static uint16_t cmd_encrypt_data(void *request) {
  const cf_apdu_request *rq = request;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  cmcc_key key;
  uint16_t sw = front(request, &key);
  if (sw == SW_OK) {
    uint8_t out[1 + AUTHCARD_MAX_PLAIN + 8];
    size_t len = 0;
    bool ok;
    if (cmd->data[4] == 0) { /* no data: the External Authentication data for the KMC random */
      ok = cmcc_ext_auth_data(key.value, cmd->data, out + 1) == 0;
      len = CMCC_AUTH_DATA_LEN;
    } else {
      ok = cmcc_encrypt(key.value, cmd->data + 5, cmd->data[4], out + 1, sizeof out - 1, &len) == 0;
    }
    out[0] = (uint8_t)len;
    if (!ok || !cf_rapdu_put(resp, out, 1 + len)) sw = SW_UNKNOWN;
    cf_wipe(out, sizeof out);
  }
  cf_wipe(&key, sizeof key);
  return sw;
}

static uint16_t cmd_mac_generate(void *request) {
  const cf_apdu_request *rq = request;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  cmcc_key key;
  uint16_t sw = front(request, &key);
  if (sw == SW_OK) {
    uint8_t mac[CMCC_MAC_LEN];
    if (cmcc_rmac(key.value, cmd->data, cmd->data + 5, cmd->data[4], mac) != 0 ||
        !cf_rapdu_put(resp, mac, sizeof mac))
      sw = SW_UNKNOWN;
  }
  cf_wipe(&key, sizeof key);
  return sw;
}

/* The card's commands: the basic commands of every master card (CMCC_MASTER_BASIC_COMMANDS,
 * cmcc_internal.h), then its own, with the same conditions. */
static const cf_command authcard_commands[] = {
    CMCC_MASTER_BASIC_COMMANDS,
    {CMCC_CLA_PROP, CMCC_INS_ENCRYPT_DATA, CF_ACCESS_PIN, cmd_encrypt_data},
    {CMCC_CLA_PROP, CMCC_INS_MAC_GENERATE, CF_ACCESS_PIN, cmd_mac_generate},
    {0, 0, CF_ACCESS_NONE, NULL},
    {0, 0, CF_ACCESS_NONE, NULL},
};

static const cmcc_master_kind authcard_kind = {
    .device_code = CMCC_DEVICE_AUTHCARD,
    .auth_key = {CMCC_KEY_AUTHCARD, 0, 0},
    .reload_key = CMCC_KEY_AUTHCARD,
    .import_key = {0, CMCC_KEY_AUTHCARD, 0},
    .info_keys = {CMCC_KEY_AUTHCARD, 0},
    .import_level = authcard_import_level,
    .max_keys = 8,
    .select_random = false,
    .default_keys = "0203",
    .default_eid = NULL,
    .commands = authcard_commands,
};

const cmcc_master_ops cmcc_authcard_ops = CMCC_MASTER_OPS("cmcc-authcard", &authcard_kind);
