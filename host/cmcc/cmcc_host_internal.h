/* Internal to the cmcc host library: one APDU exchange with the error bookkeeping every flow
 * shares, and the small command builders several flows use. */
#ifndef CMCC_HOST_INTERNAL_H
#define CMCC_HOST_INTERNAL_H

#include <stdarg.h>

#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/cmcc_host.h"

/* Records a failure (first one wins) and returns the recorded code (negative, error.h). */
int cmcch_fail(cf_cmcc_host *h, int status, uint16_t sw, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* What a flow returns after a step failed: the recorded code, or CF_CMCC_E_INTERNAL if the step
 * recorded none (never 0 or -1, which would read as success or as a transport failure). */
int cmcch_status(const cf_cmcc_host *h);

/* Sends one command to the card in role r and requires 9000. le: expected response length for a
 * case-2 command (0 = none or any). flags: CF_TX_SECRET_*. On success the response data is in
 * resp (rlen bytes). On failure the host records the step, the status word or the transport error,
 * and its code (negative, error.h) is returned. */
int cmcch_cmd(cf_cmcc_host *h, cf_cmcc_role r, const char *step, uint8_t cla, uint8_t ins, uint8_t p1,
              uint8_t p2, const uint8_t *data, size_t lc, size_t le, unsigned flags, uint8_t *resp,
              size_t cap, size_t *rlen);

/* Same, requiring exactly want bytes of response data. */
int cmcch_cmd_exact(cf_cmcc_host *h, cf_cmcc_role r, const char *step, uint8_t cla, uint8_t ins, uint8_t p1,
                    uint8_t p2, const uint8_t *data, size_t lc, size_t le, unsigned flags, uint8_t *resp,
                    size_t want);

/* Sends an encoded command APDU (a write-card command built from an export), requiring 9000. */
int cmcch_cmd_raw(cf_cmcc_host *h, cf_cmcc_role r, const char *step, const uint8_t *apdu, size_t len,
                  unsigned flags);

/* Get Challenge on a master card (F0 84 00 00 04) or a target (00 84 00 00 04). */
int cmcch_master_challenge(cf_cmcc_host *h, cf_cmcc_role r, uint8_t random[4]);
int cmcch_target_challenge(cf_cmcc_host *h, cf_cmcc_role r, uint8_t random[4]);

/* A status word's meaning in the spec's terms (buf holds formatted ones). */
const char *cmcch_sw_text(uint16_t sw, char *buf, size_t cap);

/* The role's display name ("KMC", "auth card", ...). */
const char *cmcch_role_name(cf_cmcc_role r);

/* Inst_MAC Generate on the KMC (spec 1.2.6): the MAC of the command cipp || Lc || data (Lc =
 * len + 4) under the KMC key (version, index, type) diversified by levels factors. */
typedef struct cmcch_inst_mac_req {
  uint8_t p1; /* CMCC_P1_* bits */
  uint8_t cipp[4];
  uint8_t random[4]; /* the target's random (IV, and session key unless P1 b7) */
  size_t levels;
  const uint8_t *factors; /* levels x 8 (or 16) bytes, level 1 last */
  uint8_t key_vit[3];     /* version, index, type */
  const uint8_t *data;
  size_t len;
} cmcch_inst_mac_req;
int cmcch_kmc_inst_mac(cf_cmcc_host *h, const cmcch_inst_mac_req *req, uint8_t mac[4]);

/* Proves a key a target card received works: the target's GET CHALLENGE, Inst_MAC Generate on the
 * KMC for VERIFY MAC 84 82 p1 p2 over random data, then VERIFY MAC on the target (9000 = the
 * target's key equals the KMC's key diversified as req says). req->cipp/random/data are filled
 * here. */
int cmcch_prove_by_verify_mac(cf_cmcc_host *h, cf_cmcc_role target, uint8_t p1, uint8_t p2,
                              cmcch_inst_mac_req *req);

/* Exports to a target (spec 4.1.4 steps 3-10, 4.1.8 steps a-h): the target's GET CHALLENGE random
 * into req->random, Export Keys&Data on the KMC, then the write-card command to the target. */
int cmcch_export_to_target(cf_cmcc_host *h, cf_cmcc_role target, cf_cmcc_export_req *req, const char *step);

/* Whether a READ's key list (n x (id, version)) holds that key id and version. */
bool cmcch_key_listed(const uint8_t *pairs, size_t n, uint8_t id, uint8_t version);

/* Before an export (target_data.c): the user card must report the serial the caller names
 * (CF_CMCC_E_VERIFY if not); the SAM's factor is the one it reports, or the job's when the SAM
 * cannot report one (a SAM reporting another factor than the job's: CF_CMCC_E_VERIFY). */
int cmcch_check_user_serial(cf_cmcc_host *h, const uint8_t serial[8]);
int cmcch_sam_factor(cf_cmcc_host *h, const cf_cmcc_sam_job *job, uint8_t factor[16]);

/* Appends to a byte buffer with overflow tracking. */
typedef struct cmcch_buf {
  uint8_t *p;
  size_t len, cap;
  bool overflow;
} cmcch_buf;
void cmcch_put(cmcch_buf *b, const void *data, size_t len);
void cmcch_put_u8(cmcch_buf *b, uint8_t v);

#endif
