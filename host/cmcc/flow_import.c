/* Spec 4.1.5: initial key import through the authentication card, and the HSM's imports and
 * Update Info for the operator levels ("通过加密机"). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cmcc_host_internal.h"

static int import_key(cf_cmcc_host *h, cf_cmcc_role r, uint8_t p2, const uint8_t record[36]) {
  uint8_t apdu[5 + 36];
  apdu[0] = CMCC_CLA_PROP;
  apdu[1] = CMCC_INS_IMPORT_KEY;
  apdu[2] = 0x00;
  apdu[3] = p2;
  apdu[4] = CMCC_IMPORT_LC;
  memcpy(apdu + 5, record, 36);
  char step[32];
  snprintf(step, sizeof step, "Import Key P2=%02X", p2);
  int rc = cmcch_cmd_raw(h, r, step, apdu, sizeof apdu, 0);
  cf_wipe(apdu, sizeof apdu);
  return rc;
}

int cf_cmcc_import_via_authcard(cf_cmcc_host *h, const uint8_t attrs[CF_CMCC_ATTR_LEN],
                                const uint8_t value[16]) {
  const uint8_t cipp[4] = {CMCC_CLA_PROP, CMCC_INS_IMPORT_KEY, 0x00, CMCC_IMPORT_P2_LEVEL2};
  uint8_t random[CMCC_RANDOM_LEN];
  uint8_t req[CMCC_RANDOM_LEN + 1 + 5 + CMCC_RECORD_CIPHER_LEN];
  uint8_t resp[1 + CMCC_RECORD_CIPHER_LEN], record[CMCC_RECORD_CIPHER_LEN + CMCC_MAC_LEN];
  int rc = -1;
  /* steps 3-4: the KMC's random, which the MAC binds */
  if (cmcch_master_challenge(h, CF_CMCC_KMC, random) != 0) return cmcch_status(h);
  /* steps 5-6: Encrypt Data with the plain key record 1B || attributes || value (the Import Key
   * format, spec 2.2.2.2): the authentication card answers the 32-byte record cipher */
  memcpy(req, random, CMCC_RANDOM_LEN);
  req[4] = CMCC_RECORD_PLAIN_LEN;
  req[5] = CMCC_RECORD_LEN_BYTE;
  memcpy(req + 6, attrs, CF_CMCC_ATTR_LEN);
  memcpy(req + 6 + CF_CMCC_ATTR_LEN, value, CF_CMCC_KEY_LEN);
  if (cmcch_cmd_exact(h, CF_CMCC_AUTH, "Encrypt Data", CMCC_CLA_PROP, CMCC_INS_ENCRYPT_DATA, 0, 0, req,
                      CMCC_RANDOM_LEN + 1 + CMCC_RECORD_PLAIN_LEN, 0, CF_TX_SECRET_CMD, resp,
                      sizeof resp) != 0)
    goto out;
  if (resp[0] != CMCC_RECORD_CIPHER_LEN) {
    cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "auth card Encrypt Data", "length byte %02X, expected 20", resp[0]);
    goto out;
  }
  memcpy(record, resp + 1, CMCC_RECORD_CIPHER_LEN);
  /* steps 7-8: MAC Generate over the Import Key command as the KMC will see it: CIPP || Lc ||
   * cipher, with the KMC's random as IV */
  memcpy(req, random, CMCC_RANDOM_LEN);
  req[4] = 5 + CMCC_RECORD_CIPHER_LEN;
  memcpy(req + 5, cipp, 4);
  req[9] = CMCC_IMPORT_LC;
  memcpy(req + 10, record, CMCC_RECORD_CIPHER_LEN);
  if (cmcch_cmd_exact(h, CF_CMCC_AUTH, "MAC Generate", CMCC_CLA_PROP, CMCC_INS_MAC_GENERATE, 0, 0, req,
                      CMCC_RANDOM_LEN + 1 + 5 + CMCC_RECORD_CIPHER_LEN, 0, 0, record + CMCC_RECORD_CIPHER_LEN,
                      CMCC_MAC_LEN) != 0)
    goto out;
  /* steps 9-10 */
  rc = import_key(h, CF_CMCC_KMC, CMCC_IMPORT_P2_LEVEL2, record);
out:
  cf_wipe(req, sizeof req);
  cf_wipe(resp, sizeof resp);
  cf_wipe(record, sizeof record);
  return rc;
}

int cf_cmcc_import_via_hsm(cf_cmcc_host *h, cf_cmcc_role r, uint8_t p2, const cf_cmcc_key *wrap,
                           const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t value[16]) {
  if (h->hsm == NULL) return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "Import Key", "no HSM key file loaded");
  if (p2 != CMCC_IMPORT_P2_LEVEL1 && p2 != CMCC_IMPORT_P2_LEVEL2)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "Import Key", "P2 must be 01 or 02");
  const uint8_t cipp[4] = {CMCC_CLA_PROP, CMCC_INS_IMPORT_KEY, 0x00, p2};
  uint8_t random[CMCC_RANDOM_LEN], record[36];
  if (cmcch_master_challenge(h, r, random) != 0) return cmcch_status(h);
  if (cf_cmcc_hsm_wrap_record(h->hsm, wrap, cipp, random, attrs, value, record) != 0)
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "HSM", "wrapping the key record failed");
  int rc = import_key(h, r, p2, record);
  cf_wipe(record, sizeof record);
  return rc;
}

int cf_cmcc_update_info_via_hsm(cf_cmcc_host *h, cf_cmcc_role r, const cf_cmcc_key *wrap, uint8_t type,
                                const uint8_t *data, size_t len) {
  if (h->hsm == NULL) return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "Update Info", "no HSM key file loaded");
  if (len == 0 || len > 64)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "Update Info", "data must be 1..64 bytes");
  const uint8_t cipp[4] = {CMCC_CLA_PROP, CMCC_INS_UPDATE_INFO, 0x00, CMCC_IMPORT_P2_INFO};
  uint8_t random[CMCC_RANDOM_LEN], plain[2 + 64], apdu[5 + 72 + CMCC_MAC_LEN];
  size_t wlen = 0;
  plain[0] = type;
  plain[1] = (uint8_t)len;
  memcpy(plain + 2, data, len);
  if (cmcch_master_challenge(h, r, random) != 0) return cmcch_status(h);
  memcpy(apdu, cipp, 4);
  int rc =
      cf_cmcc_hsm_wrap_data(h->hsm, wrap, cipp, random, plain, 2 + len, apdu + 5, sizeof apdu - 5, &wlen);
  cf_wipe(plain, sizeof plain);
  if (rc != 0) return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "HSM", "wrapping the data failed");
  apdu[4] = (uint8_t)wlen;
  return cmcch_cmd_raw(h, r, "Update Info", apdu, 5 + wlen, 0);
}
