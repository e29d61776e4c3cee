/* What the targets report about themselves (GET DATA 00 CA 00 tag), and the two checks the flows
 * make with it before they export anything: the user card in the reader is the one the caller
 * names, and the SAM's factor is known. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cmcc_host_internal.h"

static int get_data(cf_cmcc_host *h, cf_cmcc_role r, uint8_t tag, const char *step, uint8_t *out,
                    size_t len) {
  return cmcch_cmd_exact(h, r, step, 0x00, CMCC_TGT_INS_GET_DATA, 0x00, tag, NULL, 0, len, 0, out, len);
}

int cf_cmcc_read_serial(cf_cmcc_host *h, uint8_t serial[8]) {
  return get_data(h, CF_CMCC_USER, CMCC_TGT_DO_SERIAL, "GET DATA (serial)", serial, CMCC_UC_SERIAL_LEN);
}

int cf_cmcc_read_factor(cf_cmcc_host *h, uint8_t factor[16]) {
  return get_data(h, CF_CMCC_SAM, CMCC_TGT_DO_FACTOR, "GET DATA (factor)", factor, CMCC_SAM_FACTOR_LEN);
}

/* Appends why to the recorded message of a card that refused GET DATA. */
static void explain_refusal(cf_cmcc_host *h, const char *why) {
  if (h->status != CF_CMCC_E_CARD) return;
  size_t n = strlen(h->message);
  snprintf(h->message + n, sizeof h->message - n, ": %s", why);
}

int cmcch_check_user_serial(cf_cmcc_host *h, const uint8_t serial[8]) {
  uint8_t got[CMCC_UC_SERIAL_LEN];
  if (cf_cmcc_read_serial(h, got) != 0) {
    explain_refusal(h, "the card cannot report its serial (skip the serial check for such cards)");
    return cmcch_status(h);
  }
  if (memcmp(got, serial, CMCC_UC_SERIAL_LEN) == 0) return 0;
  char want_hex[17], got_hex[17];
  cf_hex_encode(serial, CMCC_UC_SERIAL_LEN, want_hex);
  cf_hex_encode(got, CMCC_UC_SERIAL_LEN, got_hex);
  return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "user card GET DATA (serial)",
                    "the card in the reader is %s, not %s: wrong card, nothing written", got_hex, want_hex);
}

int cmcch_sam_factor(cf_cmcc_host *h, const cf_cmcc_sam_job *job, uint8_t factor[16]) {
  uint8_t got[CMCC_SAM_FACTOR_LEN];
  if (h->status != CF_CMCC_OK)
    return cmcch_status(h); /* below, a refusal of GET DATA may be forgotten, no other */
  if (cf_cmcc_read_factor(h, got) != 0) {
    if (!job->factor_given) {
      explain_refusal(h, "the SAM cannot report its factor: give it (--factor)");
      return cmcch_status(h);
    }
    if (h->status != CF_CMCC_E_CARD) return cmcch_status(h);
    /* a SAM without GET DATA: the caller's factor is all there is */
    cf_cmcc_host_clear(h);
    memcpy(factor, job->factor, CMCC_SAM_FACTOR_LEN);
    return 0;
  }
  if (job->factor_given && memcmp(got, job->factor, CMCC_SAM_FACTOR_LEN) != 0) {
    char want_hex[33], got_hex[33];
    cf_hex_encode(job->factor, CMCC_SAM_FACTOR_LEN, want_hex);
    cf_hex_encode(got, CMCC_SAM_FACTOR_LEN, got_hex);
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, "SAM GET DATA (factor)",
                      "the SAM's factor is %s, not the given %s: wrong SAM or factor, nothing written",
                      got_hex, want_hex);
  }
  memcpy(factor, got, CMCC_SAM_FACTOR_LEN);
  return 0;
}
