/* Host side of the Keycard package's Cash application (CashApplet, status-keycard tag 3.2):
 * SELECT (its key, the package version, the cash data) and SIGN of a 32-byte hash, no PIN and no
 * secure channel. The signature is checked here before it is handed out. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "keycard_internal.h"

#define CASH_INS_SIGN 0xC0
#define TAG_APP_INFO 0xA4
#define TAG_SIGNATURE 0xA0
#define TAG_PUB 0x80
#define TAG_INT 0x02
#define TAG_PUB_DATA 0x82
#define TAG_DER_SEQ 0x30

/* status-keycard-java Identifiers.CASH_INSTANCE_AID: class A000000804000103, instance 01 */
const uint8_t keycard_client_cash_aid[9] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x03, 0x01};

int keycard_client_parse_cash_info(const uint8_t *data, size_t len, keycard_client_cash_info *info) {
  memset(info, 0, sizeof *info);
  /* The applet writes the template's length as one byte whatever its value (CashApplet
   * selectApplet), so with more than 55 bytes of cash data it is no valid BER length: read it as
   * the applet writes it. */
  if (len < 2 || data[0] != TAG_APP_INFO || data[1] != len - 2) return KEYCARD_CLIENT_EPROTO;
  const uint8_t *v = data + 2;
  size_t vlen = len - 2, pos = 0;
  cf_tlv t;
  bool err = false;
  if (!cf_tlv_next(v, vlen, &pos, &t, &err) || t.tag != TAG_PUB || t.len != 65 || t.value[0] != 0x04)
    return KEYCARD_CLIENT_EPROTO;
  memcpy(info->pub, t.value, 65);
  if (!cf_tlv_next(v, vlen, &pos, &t, &err) || t.tag != TAG_INT || t.len != 2) return KEYCARD_CLIENT_EPROTO;
  info->version = cf_be16(t.value);
  if (!cf_tlv_next(v, vlen, &pos, &t, &err) || t.tag != TAG_PUB_DATA || t.len > KEYCARD_CLIENT_CASH_DATA_MAX)
    return KEYCARD_CLIENT_EPROTO;
  if (t.len) memcpy(info->data, t.value, t.len);
  info->data_len = t.len;
  return pos == vlen ? KEYCARD_CLIENT_OK : KEYCARD_CLIENT_EPROTO;
}

int keycard_client_cash_select(keycard_client *kc, keycard_client_cash_info *info) {
  keycard_client_sc_close(&kc->sc);
  kc->selected = false; /* the wallet is deselected: its session is gone */
  uint8_t resp[256];
  size_t rlen = 0;
  int rc = keycard_client_plain_exchange(kc, 0x00, 0xA4, 0x04, 0x00, keycard_client_cash_aid,
                                         sizeof keycard_client_cash_aid, 0, resp, sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                               "SELECT of the Cash application: card answered SW %04X", kc->sw);
  if (keycard_client_parse_cash_info(resp, rlen, info) != KEYCARD_CLIENT_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "the Cash SELECT answer is malformed (%zu bytes)",
                               rlen);
  if (cf_ec_pub_normalize(info->pub, 65, NULL, NULL) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "the Cash public key is not on secp256k1");
  return KEYCARD_CLIENT_OK;
}

/* A0 81 L { 80 41 key, 30 .. DER signature }, nothing after. */
static int parse_cash_signature(const uint8_t *data, size_t len, keycard_client_cash_signature *sig) {
  cf_tlv top, t;
  size_t pos = 0;
  bool err = false;
  if (!cf_tlv_read(data, len, &top) || top.tag != TAG_SIGNATURE || top.total != len)
    return KEYCARD_CLIENT_EPROTO;
  if (!cf_tlv_next(top.value, top.len, &pos, &t, &err) || t.tag != TAG_PUB || t.len != 65)
    return KEYCARD_CLIENT_EPROTO;
  memcpy(sig->pub, t.value, 65);
  if (!cf_tlv_next(top.value, top.len, &pos, &t, &err) || t.tag != TAG_DER_SEQ || t.total > sizeof sig->der ||
      pos != top.len)
    return KEYCARD_CLIENT_EPROTO;
  memcpy(sig->der, t.value - (t.total - t.len), t.total);
  sig->der_len = t.total;
  return cf_ec_sig_from_der(sig->der, sig->der_len, sig->rs) == 0 ? KEYCARD_CLIENT_OK : KEYCARD_CLIENT_EPROTO;
}

int keycard_client_cash_sign(keycard_client *kc, const uint8_t hash[32], const uint8_t *expected_pub,
                             keycard_client_cash_signature *sig) {
  memset(sig, 0, sizeof *sig);
  uint8_t resp[256];
  size_t rlen = 0;
  int rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, CASH_INS_SIGN, 0x00, 0x00, hash, 32, 0, resp,
                                         sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "Cash SIGN: card answered SW %04X", kc->sw);
  if (parse_cash_signature(resp, rlen, sig) != KEYCARD_CLIENT_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "Cash SIGN: the answer is malformed (%zu bytes)",
                               rlen);
  if (expected_pub && memcmp(expected_pub, sig->pub, 65) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EVERIFY, "Cash SIGN: the card signed with another key");
  if (!cf_ec_verify(sig->pub, 65, hash, sig->rs))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EVERIFY, "Cash SIGN: the signature does not verify");
  return KEYCARD_CLIENT_OK;
}
