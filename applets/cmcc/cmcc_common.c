/* What every cmcc applet shares, master cards and targets alike: params, store records, the FCI,
 * the MACs with a command's random as IV, and the table-driven command dispatch. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/hex.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>
#include <cardforge/tlv.h>

int cmcc_param_hex(const char *params, const char *name, uint8_t *out, size_t len) {
  char text[80];
  uint8_t buf[32];
  if (!cf_params_get(params, name, text, sizeof text)) return 0;
  long n = cf_hex_decode(text, buf, sizeof buf);
  int rc = (n == (long)len) ? 1 : -1;
  if (rc == 1) memcpy(out, buf, len);
  cf_wipe(buf, sizeof buf);
  cf_wipe(text, sizeof text);
  return rc;
}

bool cmcc_put(cf_applet *app, uint16_t rec, const void *data, size_t len) {
  return cf_store_put(app->store, CF_STORE_KEY(app->ns, rec), data, len) == CF_STORE_OK;
}

bool cmcc_get(cf_applet *app, uint16_t rec, void *out, size_t len) {
  size_t got = 0;
  return cf_store_get(app->store, CF_STORE_KEY(app->ns, rec), out, len, &got) == CF_STORE_OK && got == len;
}

bool cmcc_installed(cf_applet *app) {
  size_t len;
  return cf_store_peek(app->store, CF_STORE_KEY(app->ns, CMCC_REC_INIT), &len) != NULL;
}

bool cmcc_mark_installed(cf_applet *app) {
  static const uint8_t marker = 1;
  return cmcc_put(app, CMCC_REC_INIT, &marker, 1);
}

bool cmcc_put_fci(cf_rapdu *resp, const uint8_t *aid, size_t aid_len, uint32_t device_code,
                  const uint8_t *random) {
  /* 6F { 84 DF name, A5 { 9F08 version, 9F0C (25 reserved bytes || device code), [9F37 random] } } */
  uint8_t issuer[28] = {0};
  static const uint8_t version[2] = {0x01, 0x00};
  issuer[25] = (uint8_t)(device_code >> 16);
  issuer[26] = (uint8_t)(device_code >> 8);
  issuer[27] = (uint8_t)device_code;
  uint8_t buf[96];
  cf_tlv_writer w = {buf, 0, sizeof buf, false};
  size_t fci = cf_tlv_open(&w, 0x6F);
  cf_tlv_put(&w, 0x84, aid, aid_len);
  size_t prop = cf_tlv_open(&w, 0xA5);
  cf_tlv_put(&w, 0x9F08, version, sizeof version);
  cf_tlv_put(&w, 0x9F0C, issuer, sizeof issuer);
  if (random) cf_tlv_put(&w, 0x9F37, random, CMCC_RANDOM_LEN);
  cf_tlv_close(&w, prop);
  cf_tlv_close(&w, fci);
  return !w.failed && cf_rapdu_put(resp, buf, w.len);
}

/* ---- MACs ---- */

int cmcc_rmac(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const uint8_t *data, size_t len,
              uint8_t mac[CMCC_MAC_LEN]) {
  uint8_t iv[8];
  cmcc_mac_iv(random, iv);
  return cmcc_mac(CMCC_MAC_919, key, iv, data, len, mac);
}

uint16_t cmcc_rmac_check(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const uint8_t *data,
                         size_t len, const uint8_t mac[CMCC_MAC_LEN]) {
  uint8_t expect[CMCC_MAC_LEN];
  uint16_t sw = SW_OK;
  if (cmcc_rmac(key, random, data, len, expect) != 0)
    sw = SW_UNKNOWN;
  else if (!cf_ct_equal(expect, mac, CMCC_MAC_LEN))
    sw = CMCC_SW_BAD_MAC;
  cf_wipe(expect, sizeof expect);
  return sw;
}

bool cmcc_cmd_mac_ok(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const cf_apdu *cmd) {
  const uint8_t cipp[4] = {cmd->cla, cmd->ins, cmd->p1, cmd->p2};
  uint8_t expect[CMCC_MAC_LEN];
  size_t body = cmd->lc - CMCC_MAC_LEN;
  bool ok = cmcc_command_mac(CMCC_MAC_919, key, random, cipp, cmd->data, body, expect) == 0 &&
            cf_ct_equal(expect, cmd->data + body, CMCC_MAC_LEN);
  cf_wipe(expect, sizeof expect);
  return ok;
}

/* ---- dispatch ---- */

uint16_t cmcc_dispatch(const cf_command *table, cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  /* a class no command uses is refused before its instruction is looked at */
  bool cla_known = false;
  for (const cf_command *row = table; row->handler; row++)
    cla_known |= row->cla == cmd->cla;
  if (!cla_known) return SW_CLA_NOT_SUPPORTED;
  bool ins_known = false;
  const cf_command *row = cf_command_find(table, cmd->cla, cmd->ins, &ins_known);
  if (!row) return ins_known ? SW_CLA_NOT_SUPPORTED : SW_INS_NOT_SUPPORTED;
  cmcc_request rq = {.apdu = {app, cmd, resp}, .access = row->access};
  return row->handler(&rq);
}
