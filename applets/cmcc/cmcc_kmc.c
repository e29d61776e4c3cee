/* The key master card (密钥母卡): key generation (1.2.2), CopyExport Key (1.2.4), Inst_MAC Generate
 * (1.2.6); Export Keys&Data (1.2.3) is in cmcc_export.c, the basic commands in cmcc_master.c. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/sw.h>

/* Enterprise operations need the application PIN and the master-card master key (spec 1.2.3.1):
 * their rows declare CF_ACCESS_PIN | CF_ACCESS_AUTHENTICATED, this names the key. */
static bool enterprise_ok(const void *request) {
  return cmcc_access_ok(request, cmcc_key_bit(CMCC_KEY_MASTER_CARD));
}

static uint8_t kmc_import_level(uint8_t type) {
  switch (type) {
  case CMCC_KEY_OPERATOR_KMC:
  case CMCC_KEY_MASTER_CARD:
  case CMCC_KEY_WORKCARD:
  case CMCC_KEY_TERMINAL_APP:
  case CMCC_KEY_ENTERPRISE_MGMT:
  case CMCC_KEY_ENTERPRISE_APP:
  case CMCC_KEY_SAM:
    return 1;
  case CMCC_KEY_TERMINAL_INIT:
  case CMCC_KEY_SAM_INIT:
    return 2;
  default:
    return 0; /* the authentication card's and the operator's working-card keys never live here */
  }
}

static bool generatable(uint8_t type) {
  return type == CMCC_KEY_TERMINAL_APP || type == CMCC_KEY_ENTERPRISE_MGMT ||
         type == CMCC_KEY_ENTERPRISE_APP || type == CMCC_KEY_SAM;
}

/* ---- INIT_FOR_GENERATE, Generate Key ---- */

static uint16_t cmd_init_for_generate(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cmcc_applet_ctx *c = cmcc_ctx(app);
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 1 + 16) return SW_WRONG_LENGTH;
  if (!enterprise_ok(request)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  if (cmd->data[0] == 0) return SW_WRONG_DATA;
  memcpy(c->gen_seed, cmd->data + 1, 16);
  c->gen_remaining = cmd->data[0];
  return SW_OK;
}

static uint16_t generate_key(const void *request, cf_applet *app, const cf_apdu *cmd) {
  cmcc_applet_ctx *c = cmcc_ctx(app);
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != CMCC_ATTR_LEN) return SW_WRONG_LENGTH;
  if (!enterprise_ok(request)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  if (c->gen_now == 0) return SW_CONDITIONS_NOT_SATISFIED;
  const uint8_t *attrs = cmd->data;
  if (!generatable(attrs[CMCC_ATTR_TYPE])) return CMCC_SW_KEY_TYPE;
  if ((attrs[CMCC_ATTR_DIV] & 0x0F) > 5) return CMCC_SW_KEY_STATE; /* no such usage attribute */
  if (attrs[CMCC_ATTR_ALG] != CMCC_ALG_3DES) return SW_WRONG_DATA;
  uint8_t value[CMCC_KEY_LEN];
  if (cmcc_generated_key(c->gen_seed, attrs, value) != 0) return SW_UNKNOWN;
  long rec = cmcc_key_store(app, attrs, value);
  cf_wipe(value, sizeof value);
  if (rec < 0) return SW_MEMORY_FAILURE;
  if (rec == 0) return SW_NOT_ENOUGH_MEMORY;
  return SW_OK;
}

static uint16_t cmd_generate_key(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cmcc_applet_ctx *c = cmcc_ctx(app);
  uint16_t sw = generate_key(request, app, cmd);
  /* A refused Generate Key leaves the session as it was; a key generated uses one up. */
  c->gen_remaining = sw == SW_OK ? (uint8_t)(c->gen_now - 1) : c->gen_now;
  if (c->gen_remaining == 0) cf_wipe(c->gen_seed, sizeof c->gen_seed);
  return sw;
}

/* ---- CopyExport Key ---- */

static uint16_t cmd_copy_export(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 > CMCC_COPY_P2_PLATFORM) return SW_INCORRECT_P1P2;
  if (cmd->lc != 4 + 3 + 3 + CMCC_RANDOM_LEN) return SW_WRONG_LENGTH;
  bool platform = cmd->p2 == CMCC_COPY_P2_PLATFORM;
  if (!enterprise_ok(request) || (platform && !cmcc_pin_ok(app, CMCC_PIN_EXPORT)))
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  const uint8_t *cipp = cmd->data, *exp_attr = cmd->data + 4, *key_attr = cmd->data + 7,
                *random = cmd->data + 10;
  /* to a working card, the CIPP must be an Import Key header the working card accepts */
  if (!platform && (cipp[0] != CMCC_CLA_PROP || cipp[1] != CMCC_INS_IMPORT_KEY || cipp[2] != 0 ||
                    (cipp[3] != CMCC_IMPORT_P2_LEVEL1 && cipp[3] != CMCC_IMPORT_P2_LEVEL2)))
    return SW_WRONG_DATA;
  cmcc_key ek, k;
  size_t ekn;
  /* To the enterprise platform the CIPP, export key and random fields are placeholders: the copy
   * goes under the master-card master key with a zero IV. */
  if (platform)
    ekn = cmcc_key_find_type(app, CMCC_KEY_MASTER_CARD, &ek);
  else
    ekn = cmcc_key_find(app, exp_attr[0], exp_attr[1], exp_attr[2], &ek);
  size_t kn = cmcc_key_find(app, key_attr[0], key_attr[1], key_attr[2], &k);
  uint16_t sw = SW_OK;
  if (!ekn || !kn)
    sw = CMCC_SW_KEY_NOT_FOUND;
  else if (ek.attrs[CMCC_ATTR_TYPE] != CMCC_KEY_MASTER_CARD && ek.attrs[CMCC_ATTR_TYPE] != CMCC_KEY_WORKCARD)
    sw = CMCC_SW_FILE_TYPE; /* only the two second-level master keys may protect a copy */
  else if (k.attrs[CMCC_ATTR_TYPE] < CMCC_KEY_WORKCARD || k.attrs[CMCC_ATTR_TYPE] > CMCC_KEY_SAM)
    sw = CMCC_SW_FILE_TYPE; /* the card's own master keys never leave it */
  else if (!cmcc_key_levels_ok(&k, 0))
    sw = CMCC_SW_DIV_LEVEL; /* a key that must be diversified before export cannot be copied whole */
  else if (k.attrs[CMCC_ATTR_STATUS] != CMCC_KEY_USABLE)
    sw = CMCC_SW_KEY_STATE;
  else
    sw = cmcc_key_use(app, ekn, &ek);
  if (sw == SW_OK) {
    uint8_t out[CMCC_RECORD_CIPHER_LEN + CMCC_MAC_LEN];
    if (cmcc_key_record_encrypt(ek.value, k.attrs, k.value, out) != 0 ||
        cmcc_command_mac(CMCC_MAC_919, ek.value, platform ? NULL : random, cipp, out, CMCC_RECORD_CIPHER_LEN,
                         out + CMCC_RECORD_CIPHER_LEN) != 0 ||
        !cf_rapdu_put(resp, out, sizeof out))
      sw = SW_UNKNOWN;
    cf_wipe(out, sizeof out);
  }
  cf_wipe(&ek, sizeof ek);
  cf_wipe(&k, sizeof k);
  return sw;
}

/* ---- Inst_MAC Generate ---- */

static uint16_t cmd_inst_mac(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  const uint8_t allowed = CMCC_P1_EXPORT_KEY_FACTOR16 | CMCC_P1_NO_SESSION_KEY | CMCC_P1_MAC_99;
  if ((cmd->p1 & ~allowed) != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  size_t flen = (cmd->p1 & CMCC_P1_EXPORT_KEY_FACTOR16) ? 16 : 8;
  const uint8_t *d = cmd->data;
  size_t lc = cmd->lc;
  /* CIPP(4) random(4) levels(1) factors attrs(3) length(1) data */
  if (lc < 9) return SW_WRONG_LENGTH;
  size_t levels = d[8];
  if (levels > CMCC_MAX_LEVELS || lc < 9 + levels * flen + 4) return SW_WRONG_LENGTH;
  const uint8_t *factors = d + 9, *attr = d + 9 + levels * flen;
  size_t dlen = attr[3];
  if (lc != 9 + levels * flen + 4 + dlen) return SW_WRONG_LENGTH;
  if (dlen > 251) return SW_WRONG_LENGTH;
  if (!enterprise_ok(request)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  cmcc_key k;
  size_t n = cmcc_key_find(app, attr[0], attr[1], attr[2], &k);
  if (!n) return CMCC_SW_KEY_NOT_FOUND;
  uint16_t sw = SW_OK;
  /* Master keys and the terminal initial key never MAC caller-chosen data: such a MAC would pass
   * for an Import Key or Update Info of the operator's. */
  if (k.attrs[CMCC_ATTR_TYPE] <= CMCC_KEY_TERMINAL_INIT || !cmcc_key_can_compute(&k) ||
      !cmcc_key_levels_ok(&k, levels))
    sw = CMCC_SW_USE_CONDITION;
  else if ((sw = cmcc_key_use(app, n, &k)) == CMCC_SW_FILE_TYPE)
    sw = CMCC_SW_KEY_STATE;
  if (sw == SW_OK) {
    uint8_t mk[CMCC_KEY_LEN], mac[CMCC_MAC_LEN];
    bool ok = cmcc_diversify_levels(k.value, factors, levels, flen, mk) == 0 &&
              ((cmd->p1 & CMCC_P1_NO_SESSION_KEY) || cmcc_session_key(mk, d + 4, mk) == 0) &&
              cmcc_command_mac((cmd->p1 & CMCC_P1_MAC_99) ? CMCC_MAC_99 : CMCC_MAC_919, mk, d + 4, d,
                               attr + 4, dlen, mac) == 0;
    if (!ok || !cf_rapdu_put(resp, mac, sizeof mac)) sw = SW_UNKNOWN;
    cf_wipe(mk, sizeof mk);
  }
  cf_wipe(&k, sizeof k);
  return sw;
}

/* The card's commands: the basic commands of every master card (CMCC_MASTER_BASIC_COMMANDS,
 * cmcc_internal.h), then its own, with the same conditions. */
static const cf_command kmc_commands[] = {
    CMCC_MASTER_BASIC_COMMANDS,
    {CMCC_CLA_PROP, CMCC_INS_INIT_FOR_GENERATE, CF_ACCESS_PIN | CF_ACCESS_AUTHENTICATED,
     cmd_init_for_generate},
    {CMCC_CLA_PROP, CMCC_INS_GENERATE_KEY, CF_ACCESS_PIN | CF_ACCESS_AUTHENTICATED, cmd_generate_key},
    {CMCC_CLA_PROP, CMCC_INS_EXPORT_KEYS_DATA, CF_ACCESS_PIN | CF_ACCESS_AUTHENTICATED,
     cmcc_kmc_export_keys_data},
    {CMCC_CLA_PROP, CMCC_INS_COPY_EXPORT_KEY, CF_ACCESS_PIN | CF_ACCESS_AUTHENTICATED, cmd_copy_export},
    {CMCC_CLA_PROP, CMCC_INS_INST_MAC_GENERATE, CF_ACCESS_PIN | CF_ACCESS_AUTHENTICATED, cmd_inst_mac},
    {0, 0, CF_ACCESS_NONE, NULL},
    {0, 0, CF_ACCESS_NONE, NULL},
};

static const cmcc_master_kind kmc_kind = {
    .device_code = CMCC_DEVICE_KMC,
    .auth_key = {0, CMCC_KEY_OPERATOR_KMC, CMCC_KEY_MASTER_CARD},
    .reload_key = CMCC_KEY_OPERATOR_KMC,
    .import_key = {0, CMCC_KEY_OPERATOR_KMC, CMCC_KEY_MASTER_CARD},
    .info_keys = {CMCC_KEY_OPERATOR_KMC, CMCC_KEY_MASTER_CARD},
    .import_level = kmc_import_level,
    .max_keys = 32,
    .select_random = false,
    .default_keys = "0102",
    .default_eid = NULL,
    .commands = kmc_commands,
};

const cmcc_master_ops cmcc_kmc_ops = CMCC_MASTER_OPS("cmcc-kmc", &kmc_kind);
