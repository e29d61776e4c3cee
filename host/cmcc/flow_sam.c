/* Spec 4.1.8: SAM key update. Each key is exported on its own (steps a-h): the SAM's random, the
 * KMC's Export Keys&Data under the SAM initial master key diversified by the SAM's 16-byte factor
 * (P1 = 41: no session key, MAC 9.19), and WRITE_KEY to the SAM. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cmcc_host_internal.h"

#define SAM_EXPORT_P1 (CMCC_P1_EXPORT_KEY_FACTOR16 | CMCC_P1_NO_SESSION_KEY) /* 41, the spec's example */

static int sam_write_one(cf_cmcc_host *h, const cf_cmcc_sam_job *job, const uint8_t factor[16],
                         const cf_cmcc_target_key *key) {
  cf_cmcc_export_req req = {
      .p1 = SAM_EXPORT_P1,
      .cipp = {CMCC_TGT_CLA_SECURE, CMCC_SAM_INS_WRITE_KEY, 0x00, 0x00},
      .export_levels = 1,
      .export_factors = factor,
      .export_vit = {job->imk_vit[0], job->imk_vit[1], job->imk_vit[2]},
      .nkeys = 1,
      .keys = key,
      .tattr_len = CMCC_TGT_KEY_ATTR_LEN,
  };
  char step[48];
  snprintf(step, sizeof step, "WRITE_KEY (key %02X)", key->id);
  return cmcch_export_to_target(h, CF_CMCC_SAM, &req, step);
}

/* READ 00 B0 00 00: key count || n x (key id, version). */
static int sam_read_back(cf_cmcc_host *h, const cf_cmcc_sam_job *job) {
  uint8_t buf[256];
  size_t got = 0;
  if (cmcch_cmd(h, CF_CMCC_SAM, "READ", 0x00, CMCC_TGT_INS_READ, 0, 0, NULL, 0, 256, 0, buf, sizeof buf,
                &got) != 0)
    return cmcch_status(h);
  if (got < 1 || got != 1 + 2 * (size_t)buf[0])
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "SAM READ", "malformed answer (%zu bytes)", got);
  for (size_t i = 0; i < job->nkeys; i++) {
    const cf_cmcc_target_key *k = &job->keys[i];
    if (k->id == 0) continue; /* the master key is not listed: its proof is VERIFY MAC */
    if (!cmcch_key_listed(buf + 1, buf[0], k->id, k->version))
      return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "SAM READ", "key %02X version %02X is not on the SAM", k->id,
                        k->version);
  }
  return 0;
}

int cf_cmcc_sam_update(cf_cmcc_host *h, const cf_cmcc_sam_job *job) {
  h->done = 0;
  if (job->nkeys == 0 || job->nkeys > CF_CMCC_JOB_MAX_KEYS)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "SAM update", "write 1..8 keys");
  for (size_t i = 0; i < job->nkeys; i++) {
    if (job->keys[i].levels > CMCC_MAX_LEVELS)
      return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "SAM update", "at most %d diversification levels",
                        CMCC_MAX_LEVELS);
    /* once the SAM's master key (id 00) is replaced, the KMC's export key no longer opens it */
    if (job->keys[i].id == 0 && i + 1 != job->nkeys)
      return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "SAM update",
                        "the SAM master key (id 00) must be written last");
  }
  uint8_t factor[CMCC_SAM_FACTOR_LEN];
  if (cmcch_sam_factor(h, job, factor) != 0) return cmcch_status(h);
  for (size_t i = 0; i < job->nkeys; i++) {
    if (sam_write_one(h, job, factor, &job->keys[i]) != 0) return cmcch_status(h);
    h->done = i + 1;
  }
  if (!job->verify) return 0;
  if (sam_read_back(h, job) != 0) return cmcch_status(h);
  for (size_t i = 0; i < job->nkeys; i++) {
    const cf_cmcc_target_key *k = &job->keys[i];
    /* the SAM uses its stored keys directly (no session key): Inst_MAC P1 = 40 */
    cmcch_inst_mac_req req = {.p1 = CMCC_P1_NO_SESSION_KEY, .levels = k->levels, .factors = k->factors};
    memcpy(req.key_vit, k->kmc_vit, 3);
    if (cmcch_prove_by_verify_mac(h, CF_CMCC_SAM, 0x00, k->id, &req) != 0) return cmcch_status(h);
  }
  return 0;
}
