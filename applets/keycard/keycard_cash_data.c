/* The cash data the wallet applet shares with the package's Cash application
 * (SharedMemory.cashDataFile of status-im/status-keycard): the Cash application reads it through
 * cf_keycard_cash_read, never through the wallet's record number. */
#include <string.h>

#include "keycard_internal.h"

int cf_keycard_cash_read(cf_store *store, uint16_t wallet_ns, uint8_t *out, size_t cap, size_t *len) {
  if (!store || !len || (cap && !out)) return KEYCARD_NDEF_STORE_ERROR;
  size_t rec_len = 0;
  const uint8_t *rec = cf_store_peek(store, CF_STORE_KEY(wallet_ns, KC_REC_DATA_CASH), &rec_len);
  *len = 0;
  if (!rec) return KEYCARD_NDEF_OK;
  /* the wallet never writes more; a longer record is no cash data the applet could hold */
  if (rec_len > KEYCARD_CASH_DATA_MAX) return KEYCARD_NDEF_STORE_ERROR;
  *len = rec_len;
  if (cap < rec_len) return KEYCARD_NDEF_SHORT_BUFFER;
  if (rec_len) memcpy(out, rec, rec_len);
  return KEYCARD_NDEF_OK;
}
