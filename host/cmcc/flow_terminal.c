/* Spec 4.1.7: terminal key writing. The terminal and the working card talk through the host,
 * which only relays: the terminal builds Export Key / Export Data (MAC1, MAC3) and checks the
 * answers (MAC2, MAC4); no key passes the host in clear. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/tlv.h"
#include "cmcc_host_internal.h"

static const uint8_t workcard_aid[CMCC_AID_LEN] = CMCC_AID_WORKCARD;

/* Step 1-2: SELECT the working card; its FCI carries the card's random in tag 9F37. */
static int select_workcard(cf_cmcc_host *h, uint8_t random[4]) {
  uint8_t fci[256];
  size_t got = 0;
  if (cmcch_cmd(h, CF_CMCC_WORK, "SELECT", CMCC_CLA_BASIC, CMCC_INS_SELECT, 0x04, 0x00, workcard_aid,
                sizeof workcard_aid, 256, 0, fci, sizeof fci, &got) != 0)
    return cmcch_status(h);
  cf_tlv t6f, ta5, tr;
  if (!cf_tlv_find(fci, got, 0x6F, &t6f) || !cf_tlv_find(t6f.value, t6f.len, 0xA5, &ta5) ||
      !cf_tlv_find(ta5.value, ta5.len, 0x9F37, &tr) || tr.len != CMCC_RANDOM_LEN)
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "working card SELECT",
                      "the FCI carries no 4-byte random (9F37)");
  memcpy(random, tr.value, CMCC_RANDOM_LEN);
  return 0;
}

static int terminal_read(cf_cmcc_host *h, uint8_t *buf, size_t cap, size_t *got) {
  if (cmcch_cmd(h, CF_CMCC_TERMINAL, "READ", 0x00, CMCC_TGT_INS_READ, 0, 0, NULL, 0, 256, 0, buf, cap, got) !=
      0)
    return cmcch_status(h);
  if (*got < CMCC_ENTERPRISE_ID_LEN + 1 || *got != CMCC_ENTERPRISE_ID_LEN + 1 + 2 * (size_t)buf[6])
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "terminal READ", "malformed answer (%zu bytes)", *got);
  return 0;
}

int cf_cmcc_terminal_write(cf_cmcc_host *h, const cf_cmcc_terminal_job *job) {
  if (job->subapp_index == 0)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "terminal", "sub-application index must be 01..FF");
  uint8_t w[CMCC_RANDOM_LEN] = {0}, req[CMCC_RANDOM_LEN + 2], buf[256];
  size_t got = 0;
  if (select_workcard(h, w) != 0) return cmcch_status(h);
  /* step 3: the terminal's Export Key command data (T1 || F || header || MAC1 under its initial key) */
  memcpy(req, w, CMCC_RANDOM_LEN);
  req[4] = job->subapp_index;
  req[5] = job->key_version;
  if (cmcch_cmd(h, CF_CMCC_TERMINAL, "PREPARE EXPORT KEY", CMCC_CLA_PROP, CMCC_TERM_INS_PREPARE_EXPORT_KEY, 0,
                0, req, sizeof req, 0, 0, buf, sizeof buf, &got) != 0)
    return cmcch_status(h);
  /* steps 3-5: Export Key on the working card (it checks MAC1, answers the key under MAC2) */
  uint8_t key_resp[256];
  size_t key_len = 0;
  if (cmcch_cmd(h, CF_CMCC_WORK, "Export Key", CMCC_CLA_PROP, CMCC_INS_WC_EXPORT, 0, 0, buf, got, 0, 0,
                key_resp, sizeof key_resp, &key_len) != 0)
    return cmcch_status(h);
  /* steps 6-7: the terminal checks MAC2 and stores the key */
  int rc = cmcch_cmd(h, CF_CMCC_TERMINAL, "LOAD KEY", CMCC_CLA_PROP, CMCC_TERM_INS_LOAD_KEY, 0, 0, key_resp,
                     key_len, 0, 0, NULL, 0, NULL);
  cf_wipe(key_resp, sizeof key_resp);
  if (rc != 0) return cmcch_status(h);
  /* step 8: the terminal's Export Data command data (T2 || MAC3 under the new key) */
  uint8_t data_req[CMCC_RANDOM_LEN + CMCC_MAC_LEN], data_resp[CMCC_ENTERPRISE_ID_LEN + CMCC_MAC_LEN];
  if (cmcch_cmd_exact(h, CF_CMCC_TERMINAL, "PREPARE EXPORT DATA", CMCC_CLA_PROP,
                      CMCC_TERM_INS_PREPARE_EXPORT_DATA, 0, 0, NULL, 0, sizeof data_req, 0, data_req,
                      sizeof data_req) != 0)
    return cmcch_status(h);
  /* steps 9-10: the working card checks MAC3 and answers its enterprise ID under MAC4 */
  if (cmcch_cmd_exact(h, CF_CMCC_WORK, "Export Data", CMCC_CLA_PROP, CMCC_INS_WC_EXPORT, 0, 0, data_req,
                      sizeof data_req, 0, 0, data_resp, sizeof data_resp) != 0)
    return cmcch_status(h);
  /* steps 11-12: the terminal checks MAC4 (a proof by use of the key it just received) and stores
   * the enterprise ID */
  if (cmcch_cmd(h, CF_CMCC_TERMINAL, "LOAD DATA", CMCC_CLA_PROP, CMCC_TERM_INS_LOAD_DATA, 0, 0, data_resp,
                sizeof data_resp, 0, 0, NULL, 0, NULL) != 0)
    return cmcch_status(h);
  if (terminal_read(h, buf, sizeof buf, &got) != 0) return cmcch_status(h);
  if (memcmp(buf, data_resp, CMCC_ENTERPRISE_ID_LEN) != 0)
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "terminal READ",
                      "enterprise ID differs from the working card's");
  if (!cmcch_key_listed(buf + 7, buf[6], job->subapp_index, job->key_version))
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "terminal READ",
                      "sub-application key %02X version %02X is missing", job->subapp_index,
                      job->key_version);
  if (!job->verify) return 0;
  /* Independent proof: the KMC's terminal application key, diversified by the same factor, MACs a
   * VERIFY MAC the terminal must accept with the key it stored. */
  uint8_t factor[8];
  cmcc_terminal_factor(job->subapp_index, job->key_version, factor);
  cmcch_inst_mac_req mreq = {.p1 = CMCC_P1_NO_SESSION_KEY, .levels = 1, .factors = factor};
  memcpy(mreq.key_vit, job->tak_vit, 3);
  return cmcch_prove_by_verify_mac(h, CF_CMCC_TERMINAL, job->subapp_index, 0x00, &mreq);
}
