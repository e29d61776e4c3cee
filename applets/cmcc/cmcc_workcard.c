/* The working master card (工作母卡, spec chapter 3): writes terminal sub-application keys and the
 * enterprise ID into terminals with Export Key / Export Data (MAC1..MAC4 of spec 4.1.7). Both
 * commands are 80 C0 00 00; Export Data is the one with Lc = 8. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

#define EXPORT_DATA_LC (CMCC_RANDOM_LEN + CMCC_MAC_LEN)
#define EXPORT_KEY_MIN_LC (CMCC_RANDOM_LEN + 8 + 1 + CMCC_MAC_LEN)
#define HEADER_MAX 32

static uint8_t workcard_import_level(uint8_t type) {
  switch (type) {
  case CMCC_KEY_OPERATOR_WORK:
  case CMCC_KEY_WORKCARD:
    return 1;
  case CMCC_KEY_TERMINAL_INIT:
  case CMCC_KEY_TERMINAL_APP:
    return 2; /* copied from the KMC under the working-card master key (spec 3.2.4, 4.1.6) */
  default:
    return 0;
  }
}

/* terminal random T(4) || factor F(8) || header length N(1) || header(N) || MAC1(4) */
static uint16_t export_key(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  cmcc_applet_ctx *c = cmcc_ctx(app);
  const uint8_t *d = cmd->data;
  if (cmd->lc < EXPORT_KEY_MIN_LC || cmd->lc != (size_t)EXPORT_KEY_MIN_LC + d[12]) return SW_WRONG_LENGTH;
  size_t header_len = d[12];
  if (!c->select_random_valid) return SW_SECURITY_STATUS_NOT_SATISFIED;
  if (header_len > HEADER_MAX) return SW_WRONG_DATA;
  cmcc_key tik, tak;
  size_t tikn = cmcc_key_find_type(app, CMCC_KEY_TERMINAL_INIT, &tik);
  size_t takn = cmcc_key_find_type(app, CMCC_KEY_TERMINAL_APP, &tak);
  uint16_t sw = SW_OK;
  if (!tikn)
    sw = CMCC_SW_KEY_NOT_FOUND;
  else if (cmcc_rmac_check(tik.value, c->select_random, d, 13 + header_len, d + 13 + header_len) != SW_OK)
    sw = SW_SECURITY_STATUS_NOT_SATISFIED; /* MAC1: the terminal does not hold the initial key */
  else if (!cmcc_key_can_compute(&tik))
    sw = CMCC_SW_KEY_STATE;
  else if (!takn)
    sw = CMCC_SW_KEY_NOT_FOUND;
  else if (!cmcc_key_levels_ok(&tak, 1))
    sw = CMCC_SW_DIV_LEVEL;
  else if ((sw = cmcc_key_use(app, tikn, &tik)) == SW_OK)
    sw = cmcc_key_use(app, takn, &tak);
  if (sw == SW_OK) {
    uint8_t plain[HEADER_MAX + CMCC_KEY_LEN], out[1 + HEADER_MAX + CMCC_KEY_LEN + 8 + CMCC_MAC_LEN];
    size_t len = 0;
    memcpy(plain, d + 13, header_len);
    bool ok = cmcc_diversify8(tak.value, d + 4, plain + header_len) == 0 &&
              cmcc_encrypt(tik.value, plain, header_len + CMCC_KEY_LEN, out + 1,
                           sizeof out - 1 - CMCC_MAC_LEN, &len) == 0;
    if (ok) {
      out[0] = (uint8_t)len;
      ok = cmcc_rmac(tik.value, d, out, 1 + len, out + 1 + len) == 0 &&
           cf_rapdu_put(resp, out, 1 + len + CMCC_MAC_LEN);
    }
    if (ok) {
      memcpy(c->subkey, plain + header_len, CMCC_KEY_LEN);
      c->subkey_valid = true;
    } else {
      sw = SW_UNKNOWN;
    }
    cf_wipe(plain, sizeof plain);
    cf_wipe(out, sizeof out);
  }
  cf_wipe(&tik, sizeof tik);
  cf_wipe(&tak, sizeof tak);
  return sw;
}

/* terminal random T(4) || MAC3(4) -> enterprise ID(6) || MAC4(4) */
static uint16_t export_data(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  cmcc_applet_ctx *c = cmcc_ctx(app);
  const uint8_t *d = cmd->data;
  if (!c->select_random_valid || !c->subkey_valid) return SW_SECURITY_STATUS_NOT_SATISFIED;
  if (cmcc_rmac_check(c->subkey, c->select_random, d, CMCC_RANDOM_LEN, d + CMCC_RANDOM_LEN) != SW_OK)
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  size_t len = 0;
  const uint8_t *eid =
      cf_store_peek(app->store, CF_STORE_KEY(app->ns, CMCC_REC_INFO(CMCC_INFO_ENTERPRISE_ID)), &len);
  if (!eid || len != CMCC_ENTERPRISE_ID_LEN) return SW_WRONG_DATA;
  uint8_t out[CMCC_ENTERPRISE_ID_LEN + CMCC_MAC_LEN];
  memcpy(out, eid, CMCC_ENTERPRISE_ID_LEN);
  if (cmcc_rmac(c->subkey, d, out, CMCC_ENTERPRISE_ID_LEN, out + CMCC_ENTERPRISE_ID_LEN) != 0 ||
      !cf_rapdu_put(resp, out, sizeof out))
    return SW_UNKNOWN;
  return SW_OK;
}

static uint16_t cmd_export(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  return cmd->lc == EXPORT_DATA_LC ? export_data(app, cmd, resp) : export_key(app, cmd, resp);
}

/* The card's commands: the basic commands of every master card (CMCC_MASTER_BASIC_COMMANDS,
 * cmcc_internal.h), then its own, with the same conditions. */
static const cf_command workcard_commands[] = {
    CMCC_MASTER_BASIC_COMMANDS,
    {CMCC_CLA_PROP, CMCC_INS_WC_EXPORT, CF_ACCESS_NONE, cmd_export},
    {0, 0, CF_ACCESS_NONE, NULL},
    {0, 0, CF_ACCESS_NONE, NULL},
};

static const cmcc_master_kind workcard_kind = {
    .device_code = CMCC_DEVICE_WORKCARD,
    .auth_key = {0, CMCC_KEY_OPERATOR_WORK, CMCC_KEY_WORKCARD},
    .reload_key = CMCC_KEY_OPERATOR_WORK,
    .import_key = {0, CMCC_KEY_OPERATOR_WORK, CMCC_KEY_WORKCARD},
    .info_keys = {CMCC_KEY_OPERATOR_WORK, CMCC_KEY_WORKCARD},
    .import_level = workcard_import_level,
    .max_keys = 8,
    .select_random = true,
    .default_keys = "0405",
    .default_eid = "112233445566",
    .commands = workcard_commands,
};

const cmcc_master_ops cmcc_workcard_ops = CMCC_MASTER_OPS("cmcc-workcard", &workcard_kind);
