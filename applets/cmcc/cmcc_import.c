/* Import Key (80 D8 00 01/02) and Update Info (80 D8 00 00), shared by the three master cards
 * (spec 1.2.5, 1.2.7, 2.2.4, 2.2.5, 3.2.4, 3.2.5). */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/sw.h>

/* Update Info: encrypted type || length || data under the key the host authenticated with. */
static uint16_t update_info(const void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  const cmcc_master_kind *kind = cmcc_kind(app);
  if (cmd->lc < 8 + CMCC_MAC_LEN || (cmd->lc - CMCC_MAC_LEN) % 8 != 0) return SW_WRONG_LENGTH;
  if (!cmcc_access_ok(request, cmcc_key_bit(kind->info_keys[0]) | cmcc_key_bit(kind->info_keys[1])))
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  const uint8_t *random = cmcc_challenge(app);
  if (!random) return SW_CONDITIONS_NOT_SATISFIED;

  /* The key is the one whose MAC verifies among those authenticated, the operator's first:
   * the operator's key may write the enterprise ID, the second master key other data only. */
  cmcc_key key;
  int used = -1;
  bool any_key = false;
  for (int i = 0; i < 2 && used < 0; i++) {
    if (!cmcc_auth_ok(app, kind->info_keys[i]) || !cmcc_key_find_type(app, kind->info_keys[i], &key))
      continue;
    any_key = true;
    if (cmcc_cmd_mac_ok(key.value, random, cmd)) used = i;
  }
  if (used < 0) {
    cf_wipe(&key, sizeof key);
    return any_key ? CMCC_SW_BAD_MAC : CMCC_SW_DECRYPT_KEY_MISSING;
  }
  uint8_t plain[256];
  size_t plain_len = 0;
  int rc = cmcc_decrypt(key.value, cmd->data, cmd->lc - CMCC_MAC_LEN, plain, sizeof plain, &plain_len);
  cf_wipe(&key, sizeof key);
  uint16_t sw = SW_OK;
  if (rc != 0 || plain_len < 2 || plain[1] != plain_len - 2 || plain[0] == 0 || plain[1] == 0 ||
      plain[1] > CMCC_INFO_MAX)
    sw = SW_WRONG_DATA;
  else if (plain[0] == CMCC_INFO_ENTERPRISE_ID && used != 0)
    sw = SW_SECURITY_STATUS_NOT_SATISFIED;
  else if (plain[0] == CMCC_INFO_ENTERPRISE_ID && plain[1] != CMCC_ENTERPRISE_ID_LEN)
    sw = SW_WRONG_LE(CMCC_ENTERPRISE_ID_LEN); /* 6C06: "record length wrong, should be 06" */
  else if (!cmcc_put(app, (uint16_t)CMCC_REC_INFO(plain[0]), plain + 2, plain[1]))
    sw = SW_MEMORY_FAILURE;
  cf_wipe(plain, sizeof plain);
  return sw;
}

uint16_t cmcc_cmd_import_key(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  const cmcc_master_kind *kind = cmcc_kind(app);
  if (cmd->p1 != 0) return SW_INCORRECT_P1P2;
  if (cmd->p2 == CMCC_IMPORT_P2_INFO) return update_info(request);
  if (cmd->p2 > CMCC_IMPORT_P2_LEVEL2 || kind->import_key[cmd->p2] == 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != CMCC_IMPORT_LC) return SW_WRONG_LENGTH;
  uint8_t dec_type = kind->import_key[cmd->p2];
  if (!cmcc_access_ok(request, cmcc_key_bit(dec_type))) return SW_SECURITY_STATUS_NOT_SATISFIED;
  const uint8_t *random = cmcc_challenge(app);
  if (!random) return SW_CONDITIONS_NOT_SATISFIED;
  cmcc_key key;
  if (!cmcc_key_find_type(app, dec_type, &key)) return CMCC_SW_DECRYPT_KEY_MISSING;
  uint16_t sw = SW_OK;
  uint8_t attrs[CMCC_ATTR_LEN], value[CMCC_KEY_LEN];
  if (key.attrs[CMCC_ATTR_STATUS] != CMCC_KEY_USABLE) {
    sw = SW_AUTH_METHOD_BLOCKED; /* 6983: the decryption key is locked */
  } else if (!cmcc_cmd_mac_ok(key.value, random, cmd)) {
    sw = CMCC_SW_BAD_MAC;
  } else {
    int rc = cmcc_key_record_decrypt(key.value, cmd->data, attrs, value);
    if (rc < 0)
      sw = SW_UNKNOWN;
    else if (rc != CMCC_RECORD_OK)
      sw = SW_WRONG_LE(CMCC_RECORD_LEN_BYTE); /* 6C1B: the record must be 1B bytes */
    else if (kind->import_level(attrs[CMCC_ATTR_TYPE]) != cmd->p2)
      sw = SW_SECURITY_STATUS_NOT_SATISFIED; /* TVIA names another level: no import right */
    else if (attrs[CMCC_ATTR_ALG] != CMCC_ALG_3DES)
      sw = CMCC_SW_FILE_TYPE;
    else {
      long rec = cmcc_key_store(app, attrs, value);
      sw = rec > 0 ? SW_OK : rec == 0 ? CMCC_SW_RECORD_NOT_FOUND : SW_MEMORY_FAILURE;
    }
  }
  cf_wipe(&key, sizeof key);
  cf_wipe(value, sizeof value);
  return sw;
}
