/* Spec 4.1.4: user-card key update. For each write command: the user card's GET CHALLENGE random
 * goes into the KMC's Export Keys&Data request (session key and MAC IV), the KMC answers cipher ||
 * MAC, and the host sends CIPP || Lc || cipher || MAC to the user card. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cmcc_host_internal.h"

static void user_keys(const cf_cmcc_user_job *job, const uint8_t serial[8], cf_cmcc_target_key *keys) {
  for (size_t i = 0; i < job->nkeys; i++) {
    keys[i] = job->keys[i];
    /* one level, the card serial: every user card gets its own copy of the enterprise key */
    if (keys[i].levels) memcpy(keys[i].factors, serial, 8);
  }
}

static int user_write(cf_cmcc_host *h, const cf_cmcc_user_job *job, const uint8_t serial[8], uint8_t ins,
                      const char *step, bool with_keys, const uint8_t *prefix, size_t prefix_len) {
  cf_cmcc_target_key keys[CF_CMCC_JOB_MAX_KEYS];
  user_keys(job, serial, keys);
  cf_cmcc_export_req req = {
      .p1 = 0x00, /* 8-byte factors, standard diversification, session key, MAC 9.19 (spec example) */
      .cipp = {CMCC_TGT_CLA_SECURE, ins, job->subapp, 0x00},
      .export_levels = 1,
      .export_factors = serial,
      .export_vit = {job->emk_vit[0], job->emk_vit[1], job->emk_vit[2]},
      .nkeys = with_keys ? job->nkeys : 0,
      .keys = keys,
      .tattr_len = CMCC_TGT_KEY_ATTR_LEN,
      .prefix = prefix,
      .prefix_len = prefix_len,
  };
  int rc = cmcch_export_to_target(h, CF_CMCC_USER, &req, step);
  cf_wipe(keys, sizeof keys);
  return rc;
}

/* READ 00 B0 id 00: enterprise ID (6) || data length || data || key count || n x (id, version). */
static int user_read_back(cf_cmcc_host *h, const cf_cmcc_user_job *job) {
  uint8_t buf[256];
  size_t got = 0;
  if (cmcch_cmd(h, CF_CMCC_USER, "READ", 0x00, CMCC_TGT_INS_READ, job->subapp, 0, NULL, 0, 256, 0, buf,
                sizeof buf, &got) != 0)
    return cmcch_status(h);
  size_t dlen = got > 6 ? buf[6] : 0;
  size_t at = 7 + dlen;
  if (got < 8 || at >= got || got != at + 1 + 2 * (size_t)buf[at])
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "user card READ", "malformed answer (%zu bytes)", got);
  if (job->create && memcmp(buf, job->eid, 6) != 0)
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "user card READ", "enterprise ID differs from the one written");
  if (job->data_len && (dlen != job->data_len || memcmp(buf + 7, job->data, dlen) != 0))
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "user card READ",
                      "sub-application data differs from what was written");
  for (size_t i = 0; i < job->nkeys; i++) {
    if (!cmcch_key_listed(buf + at + 1, buf[at], job->keys[i].id, job->keys[i].version))
      return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "user card READ", "key %02X version %02X is not on the card",
                        job->keys[i].id, job->keys[i].version);
  }
  return 0;
}

static int user_prove_keys(cf_cmcc_host *h, const cf_cmcc_user_job *job, const uint8_t serial[8]) {
  cf_cmcc_target_key keys[CF_CMCC_JOB_MAX_KEYS];
  user_keys(job, serial, keys);
  for (size_t i = 0; i < job->nkeys; i++) {
    /* the same diversification as the export, and a session key as the user card uses */
    cmcch_inst_mac_req req = {.p1 = 0x00, .levels = keys[i].levels, .factors = keys[i].factors};
    memcpy(req.key_vit, keys[i].kmc_vit, 3);
    if (cmcch_prove_by_verify_mac(h, CF_CMCC_USER, job->subapp, keys[i].id, &req) != 0) {
      cf_wipe(keys, sizeof keys);
      return cmcch_status(h);
    }
  }
  cf_wipe(keys, sizeof keys);
  return 0;
}

int cf_cmcc_user_update(cf_cmcc_host *h, const cf_cmcc_user_job *job, const uint8_t serial[8]) {
  if (job->subapp < 1 || job->subapp > CMCC_UC_MAX_SUBAPPS || job->nkeys > CF_CMCC_JOB_MAX_KEYS ||
      job->data_len > CMCC_UC_MAX_DATA)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "user card update",
                      "sub-application 01..08, at most 8 keys, 64 data bytes");
  if (job->create && job->nkeys == 0)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "user card update",
                      "CREATE SUB_APPLICATION needs at least one key");
  if (!job->create && job->nkeys == 0 && job->data_len == 0)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "user card update", "nothing to write (no key, no data)");
  for (size_t i = 0; i < job->nkeys; i++)
    if (job->keys[i].levels > 1 || job->keys[i].id == 0)
      return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "user card update",
                        "user-card keys: id 01..FF, diversified by the serial (1 level) or not at all");
  /* the wrong card would refuse the first write anyway (6988); asking first names the problem */
  if (!job->skip_serial_check && cmcch_check_user_serial(h, serial) != 0) return cmcch_status(h);
  if (job->create &&
      user_write(h, job, serial, CMCC_UC_INS_CREATE_SUBAPP, "CREATE SUB_APPLICATION", true, job->eid, 6) != 0)
    return cmcch_status(h);
  if (!job->create && job->nkeys &&
      user_write(h, job, serial, CMCC_UC_INS_UPDATE_SUBAPP_KEYS, "UPDATE SUB_APPLICATION KEYS", true, NULL,
                 0) != 0)
    return cmcch_status(h);
  if (job->data_len && user_write(h, job, serial, CMCC_UC_INS_UPDATE_SUBAPP_DATA,
                                  "UPDATE SUB_APPLICATION DATA", false, job->data, job->data_len) != 0)
    return cmcch_status(h);
  if (!job->verify) return 0;
  if (user_read_back(h, job) != 0) return cmcch_status(h);
  return user_prove_keys(h, job, serial);
}
