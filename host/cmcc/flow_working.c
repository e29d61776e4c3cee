/* Spec 4.1.6: working-card production. The KMC copies each terminal key (whole, with all its
 * attributes) under the working-card master key with CopyExport Key P2 = 00; the record is the
 * working card's Import Key command. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cmcc_host_internal.h"

static int find_attrs(uint8_t (*list)[CF_CMCC_ATTR_LEN], int n, const uint8_t vit[3], uint8_t *out) {
  for (int i = 0; i < n; i++) {
    if (list[i][CMCC_ATTR_VERSION] == vit[0] && list[i][CMCC_ATTR_INDEX] == vit[1] &&
        list[i][CMCC_ATTR_TYPE] == vit[2]) {
      memcpy(out, list[i], CF_CMCC_ATTR_LEN);
      return 0;
    }
  }
  return -1;
}

int cf_cmcc_make_working_card(cf_cmcc_host *h, const cf_cmcc_copy_job *job) {
  h->done = 0;
  if (job->nkeys == 0 || job->nkeys > CF_CMCC_JOB_MAX_KEYS)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "working card", "copy 1..8 keys");
  /* The working card imports what the KMC copies under its own master key as level 2 (spec
   * 3.2.4.1: level-2 keys only under the working-card master key). */
  const uint8_t p2 = CMCC_IMPORT_P2_LEVEL2;
  for (size_t i = 0; i < job->nkeys; i++) {
    const uint8_t *vit = job->key_vit[i];
    uint8_t req[4 + 3 + 3 + CMCC_RANDOM_LEN], record[5 + CMCC_RECORD_CIPHER_LEN + CMCC_MAC_LEN];
    req[0] = CMCC_CLA_PROP, req[1] = CMCC_INS_IMPORT_KEY, req[2] = 0x00, req[3] = p2;
    memcpy(req + 4, job->export_vit, 3);
    memcpy(req + 7, vit, 3);
    /* steps 2-4: the working card's random binds the copy to this card and this moment */
    if (cmcch_master_challenge(h, CF_CMCC_WORK, req + 10) != 0) return cmcch_status(h);
    char step[48];
    snprintf(step, sizeof step, "CopyExport Key (type %02X)", vit[2]);
    if (cmcch_cmd_exact(h, CF_CMCC_KMC, step, CMCC_CLA_PROP, CMCC_INS_COPY_EXPORT_KEY, 0,
                        CMCC_COPY_P2_WORKCARD, req, sizeof req, 0, 0, record + 5,
                        CMCC_RECORD_CIPHER_LEN + CMCC_MAC_LEN) != 0)
      return cmcch_status(h);
    /* steps 5-6: the write-card command is the CIPP the KMC MACed, then the record */
    memcpy(record, req, 4);
    record[4] = CMCC_IMPORT_LC;
    snprintf(step, sizeof step, "Import Key P2=%02X (type %02X)", p2, vit[2]);
    int rc = cmcch_cmd_raw(h, CF_CMCC_WORK, step, record, sizeof record, 0);
    cf_wipe(record, sizeof record);
    if (rc != 0) return cmcch_status(h);
    h->done = i + 1;
  }
  /* The copy carries every attribute (spec 1.2.4.1): the working card must now show the KMC's. */
  uint8_t kmc[32][CF_CMCC_ATTR_LEN], work[16][CF_CMCC_ATTR_LEN];
  int nk = cf_cmcc_read_keyinfo(h, CF_CMCC_KMC, kmc, 32);
  if (nk < 0) return cmcch_status(h);
  int nw = cf_cmcc_read_keyinfo(h, CF_CMCC_WORK, work, 16);
  if (nw < 0) return cmcch_status(h);
  for (size_t i = 0; i < job->nkeys; i++) {
    uint8_t a[CF_CMCC_ATTR_LEN], b[CF_CMCC_ATTR_LEN];
    if (find_attrs(kmc, nk, job->key_vit[i], a) != 0 || find_attrs(work, nw, job->key_vit[i], b) != 0)
      return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "working card Read KeyInfo", "key type %02X is missing",
                        job->key_vit[i][2]);
    /* the use counter may have moved on the KMC since the copy; the rest must be identical */
    if (memcmp(a, b, CMCC_ATTR_COUNTER) != 0)
      return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "working card Read KeyInfo",
                        "key type %02X: attributes differ from the KMC's", job->key_vit[i][2]);
  }
  return 0;
}
