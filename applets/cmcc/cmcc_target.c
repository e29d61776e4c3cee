/* What the three target devices share: the one-shot GET CHALLENGE random, receiving an Export
 * Keys&Data command, VERIFY MAC and INTERNAL AUTHENTICATE. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/sw.h>

const uint8_t *cmcc_tgt_begin(cmcc_target_ctx *t) {
  t->challenge_now = t->challenge_valid;
  t->challenge_valid = false;
  return t->challenge_now ? t->challenge : NULL;
}

void cmcc_tgt_end(cmcc_target_ctx *t) {
  t->challenge_now = false;
}

uint16_t cmcc_tgt_get_challenge(cmcc_target_ctx *t, const cf_apdu *cmd, cf_rapdu *resp) {
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  if (cf_rand(t->challenge, CMCC_RANDOM_LEN) != 0 || !cf_rapdu_put(resp, t->challenge, CMCC_RANDOM_LEN))
    return SW_UNKNOWN;
  t->challenge_valid = true;
  return SW_OK;
}

uint16_t cmcc_tgt_unwrap(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const cf_apdu *cmd,
                         uint8_t *plain, size_t cap, size_t *plain_len) {
  if (cmd->lc < 8 + CMCC_MAC_LEN || (cmd->lc - CMCC_MAC_LEN) % 8 != 0) return SW_WRONG_LENGTH;
  if (!random) return SW_CONDITIONS_NOT_SATISFIED;
  const uint8_t cipp[4] = {cmd->cla, cmd->ins, cmd->p1, cmd->p2};
  size_t clen = cmd->lc - CMCC_MAC_LEN;
  int rc =
      cmcc_unwrap(key, CMCC_MAC_919, random, cipp, cmd->data, clen, cmd->data + clen, plain, cap, plain_len);
  if (rc == CMCC_UNWRAP_OK) return SW_OK;
  if (rc == CMCC_UNWRAP_BAD_MAC) return CMCC_SW_BAD_MAC;
  if (rc == CMCC_UNWRAP_BAD_PADDING) return SW_WRONG_DATA;
  return SW_UNKNOWN;
}

uint16_t cmcc_tgt_verify_mac(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const cf_apdu *cmd) {
  const uint8_t cipp[4] = {cmd->cla, cmd->ins, cmd->p1, cmd->p2};
  uint8_t expect[CMCC_MAC_LEN];
  size_t body = cmd->lc - CMCC_MAC_LEN;
  bool ok = cmcc_command_mac(CMCC_MAC_919, key, random, cipp, cmd->data, body, expect) == 0 &&
            cf_ct_equal(expect, cmd->data + body, CMCC_MAC_LEN);
  cf_wipe(expect, sizeof expect);
  return ok ? SW_OK : CMCC_SW_BAD_MAC;
}

uint16_t cmcc_tgt_internal_auth(const uint8_t key[CMCC_KEY_LEN], const cf_apdu *cmd, cf_rapdu *resp) {
  uint8_t out[8];
  uint16_t sw = SW_OK;
  if (cf_des3_ecb_encrypt(key, CMCC_KEY_LEN, cmd->data, out, 8) != 0 || !cf_rapdu_put(resp, out, 8))
    sw = SW_UNKNOWN;
  cf_wipe(out, sizeof out);
  return sw;
}

uint16_t cmcc_tgt_unknown(const uint8_t (*known)[2], size_t n, const cf_apdu *cmd) {
  for (size_t i = 0; i < n; i++)
    if (known[i][1] == cmd->ins) return SW_CLA_NOT_SUPPORTED;
  return SW_INS_NOT_SUPPORTED;
}
