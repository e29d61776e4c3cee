/* Export Keys&Data on the KMC (spec 1.2.3, table 8-2-11), the write-card command built from its
 * answer (spec 4.1.4 step 7, 4.1.8 step e): CIPP || Lc || cipher || MAC, and its delivery. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cmcc_host_internal.h"

size_t cf_cmcc_export_encode(const cf_cmcc_export_req *req, uint8_t *out, size_t cap) {
  size_t eflen = (req->p1 & CMCC_P1_EXPORT_KEY_FACTOR16) ? 16 : 8;
  size_t kflen = (req->p1 & CMCC_P1_KEY_FACTOR16) ? 16 : 8;
  if (req->export_levels > CMCC_MAX_LEVELS || req->nkeys > CF_CMCC_JOB_MAX_KEYS || req->prefix_len > 255 ||
      req->suffix_len > 255 || (req->export_levels && !req->export_factors))
    return 0;
  /* the project's targets take key id || version as key attributes (CMCC_TGT_KEY_ATTR_LEN) */
  if (req->nkeys && req->tattr_len != CMCC_TGT_KEY_ATTR_LEN) return 0;
  cmcch_buf b = {out, 0, cap, false};
  cmcch_put(&b, req->cipp, 4);
  cmcch_put(&b, req->random, 4);
  cmcch_put_u8(&b, (uint8_t)req->export_levels);
  cmcch_put(&b, req->export_factors, req->export_levels * eflen);
  cmcch_put(&b, req->export_vit, 3);
  cmcch_put_u8(&b, (uint8_t)req->nkeys);
  for (size_t i = 0; i < req->nkeys; i++) {
    const cf_cmcc_target_key *k = &req->keys[i];
    /* 16-byte key factors do not fit the job's factor room beyond one level */
    if (k->levels > CMCC_MAX_LEVELS || k->levels * kflen > sizeof k->factors) return 0;
    uint8_t tattr[2] = {k->id, k->version};
    cmcch_put_u8(&b, (uint8_t)k->levels);
    cmcch_put(&b, k->factors, k->levels * kflen);
    cmcch_put(&b, k->kmc_vit, 3);
    cmcch_put_u8(&b, (uint8_t)req->tattr_len);
    cmcch_put(&b, tattr, sizeof tattr);
  }
  uint8_t flag = (req->prefix ? 1 : 0) | (req->suffix ? 2 : 0);
  cmcch_put_u8(&b, flag);
  if (req->prefix) {
    cmcch_put_u8(&b, (uint8_t)req->prefix_len);
    cmcch_put(&b, req->prefix, req->prefix_len);
  }
  if (req->suffix) {
    cmcch_put_u8(&b, (uint8_t)req->suffix_len);
    cmcch_put(&b, req->suffix, req->suffix_len);
  }
  if (b.overflow || b.len > 255) return 0;
  return b.len;
}

int cf_cmcc_export(cf_cmcc_host *h, const cf_cmcc_export_req *req, uint8_t *apdu, size_t cap,
                   size_t *apdu_len) {
  uint8_t data[255], resp[1 + 248 + CMCC_MAC_LEN];
  size_t len = cf_cmcc_export_encode(req, data, sizeof data);
  if (len == 0)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "KMC Export Keys&Data", "request does not fit one command");
  size_t got = 0;
  if (cmcch_cmd(h, CF_CMCC_KMC, "Export Keys&Data", CMCC_CLA_PROP, CMCC_INS_EXPORT_KEYS_DATA, req->p1, 0,
                data, len, 0, 0, resp, sizeof resp, &got) != 0)
    return cmcch_status(h);
  /* response: cipher length (1) || cipher || MAC (4) */
  size_t clen = got ? resp[0] : 0;
  if (got < 1 + 8 + CMCC_MAC_LEN || clen % 8 != 0 || got != 1 + clen + CMCC_MAC_LEN) {
    cf_wipe(resp, sizeof resp);
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "KMC Export Keys&Data", "malformed answer (%zu bytes)", got);
  }
  if (cap < 5 + clen + CMCC_MAC_LEN) {
    cf_wipe(resp, sizeof resp);
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "Export Keys&Data", "command buffer too small");
  }
  memcpy(apdu, req->cipp, 4);
  apdu[4] = (uint8_t)(clen + CMCC_MAC_LEN);
  memcpy(apdu + 5, resp + 1, clen + CMCC_MAC_LEN);
  *apdu_len = 5 + clen + CMCC_MAC_LEN;
  cf_wipe(resp, sizeof resp);
  return 0;
}

int cmcch_export_to_target(cf_cmcc_host *h, cf_cmcc_role target, cf_cmcc_export_req *req, const char *step) {
  uint8_t apdu[5 + 255];
  size_t len = 0;
  int rc = -1;
  if (cmcch_target_challenge(h, target, req->random) == 0 &&
      cf_cmcc_export(h, req, apdu, sizeof apdu, &len) == 0)
    rc = cmcch_cmd_raw(h, target, step, apdu, len, 0);
  cf_wipe(apdu, sizeof apdu);
  return rc;
}
