/* Spec 4.1.1 (PIN verification) and 4.1.2 (external authentication), and the HSM's variant of
 * the latter for the operator keys. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cmcc_host_internal.h"

int cf_cmcc_verify_pin(cf_cmcc_host *h, cf_cmcc_role r, uint8_t ref, const uint8_t pin[8]) {
  if (r != CF_CMCC_KMC && r != CF_CMCC_AUTH && r != CF_CMCC_WORK)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "Verify PIN", "only the master cards have PINs");
  if (ref < CMCC_PIN_MAIN || ref > CMCC_PIN_EXPORT)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "Verify PIN", "PIN reference must be 01, 02 or 03");
  char step[32];
  snprintf(step, sizeof step, "Verify PIN %02X", ref);
  return cmcch_cmd(h, r, step, CMCC_CLA_BASIC, CMCC_INS_VERIFY_PIN, 0, ref, pin, CMCC_PIN_LEN, 0,
                   CF_TX_SECRET_CMD, NULL, 0, NULL);
}

int cf_cmcc_change_pin(cf_cmcc_host *h, cf_cmcc_role r, uint8_t ref, const uint8_t old_pin[8],
                       const uint8_t new_pin[8]) {
  uint8_t data[2 * CMCC_PIN_LEN];
  char step[32];
  memcpy(data, old_pin, CMCC_PIN_LEN);
  memcpy(data + CMCC_PIN_LEN, new_pin, CMCC_PIN_LEN);
  snprintf(step, sizeof step, "Change PIN %02X", ref);
  int rc = cmcch_cmd(h, r, step, CMCC_CLA_BASIC, CMCC_INS_CHANGE_PIN, 0, ref, data, sizeof data, 0,
                     CF_TX_SECRET_CMD, NULL, 0, NULL);
  cf_wipe(data, sizeof data);
  return rc;
}

int cf_cmcc_reload_pin(cf_cmcc_host *h, cf_cmcc_role r, uint8_t ref, const uint8_t new_pin[8]) {
  char step[32];
  snprintf(step, sizeof step, "Reload PIN %02X", ref);
  return cmcch_cmd(h, r, step, CMCC_CLA_BASIC, CMCC_INS_RELOAD_PIN, 0, ref, new_pin, CMCC_PIN_LEN, 0,
                   CF_TX_SECRET_CMD, NULL, 0, NULL);
}

uint8_t cf_cmcc_auth_key_type(cf_cmcc_role r, uint8_t p2) {
  /* Spec 1.1.5, P2 of External Authentication, per card. */
  switch (r) {
  case CF_CMCC_KMC:
    return p2 == CMCC_AUTH_P2_OPERATOR ? CMCC_KEY_OPERATOR_KMC
           : p2 == CMCC_AUTH_P2_SECOND ? CMCC_KEY_MASTER_CARD
                                       : 0;
  case CF_CMCC_AUTH:
    return p2 == CMCC_AUTH_P2_AUTHCARD ? CMCC_KEY_AUTHCARD : 0;
  case CF_CMCC_WORK:
    return p2 == CMCC_AUTH_P2_OPERATOR ? CMCC_KEY_OPERATOR_WORK
           : p2 == CMCC_AUTH_P2_SECOND ? CMCC_KEY_WORKCARD
                                       : 0;
  default:
    return 0;
  }
}

static int external_auth(cf_cmcc_host *h, cf_cmcc_role r, uint8_t p2, const uint8_t data[8]) {
  char step[48];
  snprintf(step, sizeof step, "External Authentication P2=%02X", p2);
  return cmcch_cmd(h, r, step, CMCC_CLA_BASIC, CMCC_INS_EXTERNAL_AUTH, 0, p2, data, CMCC_AUTH_DATA_LEN, 0, 0,
                   NULL, 0, NULL);
}

int cf_cmcc_auth_kmc_via_authcard(cf_cmcc_host *h) {
  uint8_t random[CMCC_RANDOM_LEN], req[CMCC_RANDOM_LEN + 1], resp[1 + CMCC_AUTH_DATA_LEN];
  if (cmcch_master_challenge(h, CF_CMCC_KMC, random) != 0) return cmcch_status(h);
  /* Encrypt Data with length 0: the card encrypts R || 00000000 under the master-card master key
   * (spec 2.2.2.2), which is exactly the KMC's External Authentication data. */
  memcpy(req, random, CMCC_RANDOM_LEN);
  req[CMCC_RANDOM_LEN] = 0;
  if (cmcch_cmd_exact(h, CF_CMCC_AUTH, "Encrypt Data", CMCC_CLA_PROP, CMCC_INS_ENCRYPT_DATA, 0, 0, req,
                      sizeof req, 0, 0, resp, sizeof resp) != 0)
    return cmcch_status(h);
  if (resp[0] != CMCC_AUTH_DATA_LEN)
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "auth card Encrypt Data", "length byte %02X, expected 08",
                      resp[0]);
  return external_auth(h, CF_CMCC_KMC, CMCC_AUTH_P2_SECOND, resp + 1);
}

int cf_cmcc_auth_via_hsm(cf_cmcc_host *h, cf_cmcc_role r, uint8_t p2, int version, int index) {
  uint8_t type = cf_cmcc_auth_key_type(r, p2);
  char err[160];
  if (type == 0)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "External Authentication",
                      "the %s has no authentication key for P2=%02X", cmcch_role_name(r), p2);
  if (h->hsm == NULL)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "External Authentication", "no HSM key file loaded");
  const cf_cmcc_key *k = cf_cmcc_hsm_find(h->hsm, type, version, index, err, sizeof err);
  if (k == NULL) return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "HSM", "%s", err);
  uint8_t random[CMCC_RANDOM_LEN], data[CMCC_AUTH_DATA_LEN];
  if (cmcch_master_challenge(h, r, random) != 0) return cmcch_status(h);
  if (cf_cmcc_hsm_auth_data(h->hsm, k, random, data) != 0)
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "HSM", "external authentication data failed");
  return external_auth(h, r, p2, data);
}
