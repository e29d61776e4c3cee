/* The NDEF file the wallet applet shares with the package's NDEF application
 * (SharedMemory.ndefDataFile of status-im/status-keycard): its record layout per version is in
 * cardforge/keycard.h. The NDEF application reads it through these, never through the record. */
#include <string.h>

#include "cardforge/apdu.h"
#include "keycard_internal.h"

/* The wallet's version as its record says (the default when the wallet is not installed yet). */
static uint16_t kc_ndef_version(cf_store *store, uint16_t wallet_ns) {
  size_t len = 0;
  const uint8_t *v = cf_store_peek(store, CF_STORE_KEY(wallet_ns, KC_REC_CONFIG), &len);
  if (v && len == 2 && kc_version_by_number(cf_be16(v))) return cf_be16(v);
  return kc_version_by_name(KEYCARD_DEFAULT_VERSION)->number;
}

int cf_keycard_ndef_read(cf_store *store, uint16_t wallet_ns, uint8_t *out, size_t cap, size_t *len) {
  if (!store || !len || (cap && !out)) return KEYCARD_NDEF_STORE_ERROR;
  size_t rec_len = 0;
  const uint8_t *rec = cf_store_peek(store, CF_STORE_KEY(wallet_ns, KC_REC_DATA_NDEF), &rec_len);
  if (!rec) rec_len = 0;
  if (kc_ndef_version(store, wallet_ns) < KEYCARD_VERSION_3_2) {
    *len = rec_len;
    if (cap < rec_len) return KEYCARD_NDEF_SHORT_BUFFER;
    if (rec_len) memcpy(out, rec, rec_len);
    return KEYCARD_NDEF_OK;
  }
  if (rec_len > KEYCARD_NDEF_FILE_MAX) return KEYCARD_NDEF_STORE_ERROR;
  /* NLEN is read as the applet's Util.makeShort does: signed, so 8000..FFFD give a negative file
   * length; those and lengths past the array are the overrun case */
  uint8_t nlen[2] = {rec_len > 0 ? rec[0] : 0, rec_len > 1 ? rec[1] : 0};
  size_t declared = (size_t)cf_be16(nlen) + 2;
  size_t avail = declared > KEYCARD_NDEF_FILE_MAX ? KEYCARD_NDEF_FILE_MAX : declared;
  *len = declared;
  if (cap < avail) return KEYCARD_NDEF_SHORT_BUFFER;
  size_t copied = rec_len < avail ? rec_len : avail;
  if (copied) memcpy(out, rec, copied);
  memset(out + copied, 0, avail - copied);
  return declared > KEYCARD_NDEF_FILE_MAX ? KEYCARD_NDEF_OVERRUN : KEYCARD_NDEF_OK;
}

int cf_keycard_ndef_install(cf_store *store, uint16_t wallet_ns, const uint8_t *file, size_t len) {
  if (!store || (len && !file) || len > KEYCARD_NDEF_FILE_MAX) return KEYCARD_NDEF_STORE_ERROR;
  uint32_t key = CF_STORE_KEY(wallet_ns, KC_REC_DATA_NDEF);
  size_t have = 0;
  if (cf_store_peek(store, key, &have) != NULL || len == 0) return KEYCARD_NDEF_OK;
  return cf_store_put(store, key, file, len) == CF_STORE_OK ? KEYCARD_NDEF_OK : KEYCARD_NDEF_STORE_ERROR;
}
