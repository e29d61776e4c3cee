/* The package's identity: IDENTIFY CARD answers (IdentApplet.identifyCard, status-im/status-keycard
 * tag 3.2) and the certificate a provisioning station makes (status-keycard-java Certificate). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/ident.h"
#include "cardforge/sw.h"
#include "ident_internal.h"

#define CERT_PUB_OFF 0
#define CERT_SIG_OFF 33
#define CERT_RECID_OFF 97

uint16_t cf_ident_identify(cf_store *store, uint16_t ident_ns, const uint8_t *challenge, size_t len,
                           uint8_t *out, size_t cap, size_t *out_len) {
  *out_len = 0;
  size_t cert_len = 0, priv_len = 0;
  const uint8_t *cert = cf_store_peek(store, CF_STORE_KEY(ident_ns, IDENT_REC_CERT), &cert_len);
  if (cert == NULL || cert_len != IDENT_CERT_LEN) return SW_CONDITIONS_NOT_SATISFIED;
  if (len != 32 || challenge == NULL) return SW_WRONG_DATA;
  if (cap < IDENT_RESPONSE_MAX) return SW_UNKNOWN;

  size_t off = 0;
  out[off++] = IDENT_TLV_SIGNATURE_TEMPLATE;
  out[off++] = 0x81;
  off++; /* the template's length, known once the signature is */
  out[off++] = IDENT_TLV_CERT;
  out[off++] = IDENT_CERT_LEN;
  memcpy(out + off, cert, IDENT_CERT_LEN);
  off += IDENT_CERT_LEN;

  uint8_t priv[IDENT_PRIV_LEN], sig[64];
  int recid = 0;
  uint16_t sw = SW_UNKNOWN;
  /* the peek above is only valid until the next store call, so the certificate is copied first */
  if (cf_store_get(store, CF_STORE_KEY(ident_ns, IDENT_REC_PRIV), priv, sizeof priv, &priv_len) ==
          CF_STORE_OK &&
      priv_len == IDENT_PRIV_LEN && cf_ec_sign(priv, challenge, sig, &recid) == 0) {
    size_t der_len = cf_ec_sig_to_der(sig, out + off, cap - off);
    if (der_len > 0) {
      off += der_len;
      out[2] = (uint8_t)(off - 3);
      *out_len = off;
      sw = SW_OK;
    }
  }
  cf_wipe(priv, sizeof priv);
  return sw;
}

int cf_ident_make_store_data(const uint8_t ca_priv[32], const uint8_t ident_priv[32],
                             uint8_t out[IDENT_STORE_DATA_LEN]) {
  uint8_t pub65[65], hash[32], sig[64];
  int recid = 0;
  if (!cf_ec_priv_valid(ca_priv) || !cf_ec_priv_valid(ident_priv)) return -1;
  if (cf_ec_pub_from_priv(ident_priv, pub65) != 0 ||
      cf_ec_pub_normalize(pub65, sizeof pub65, NULL, out + CERT_PUB_OFF) != 0)
    return -1;
  if (cf_sha256(out + CERT_PUB_OFF, 33, hash) != 0 || cf_ec_sign(ca_priv, hash, sig, &recid) != 0) return -1;
  memcpy(out + CERT_SIG_OFF, sig, sizeof sig);
  out[CERT_RECID_OFF] = (uint8_t)recid;
  memcpy(out + IDENT_CERT_LEN, ident_priv, IDENT_PRIV_LEN);
  return 0;
}

/* Reads a short BER-TLV header at *off: tag, then a length of one byte or 81 XX. */
static bool read_tlv(const uint8_t *buf, size_t len, size_t *off, uint8_t tag, size_t *vlen) {
  if (*off + 2 > len || buf[*off] != tag) return false;
  size_t l = buf[*off + 1];
  *off += 2;
  if (l == 0x81) {
    if (*off + 1 > len) return false;
    l = buf[(*off)++];
  } else if (l > 0x80) {
    return false;
  }
  if (l > len - *off) return false;
  *vlen = l;
  return true;
}

int cf_ident_verify(const uint8_t *resp, size_t len, const uint8_t challenge[32], uint8_t ca_pub33[33]) {
  size_t off = 0, tmpl_len = 0, cert_len = 0;
  if (!read_tlv(resp, len, &off, IDENT_TLV_SIGNATURE_TEMPLATE, &tmpl_len) || off + tmpl_len != len) return -1;
  if (!read_tlv(resp, len, &off, IDENT_TLV_CERT, &cert_len) || cert_len != IDENT_CERT_LEN) return -1;
  const uint8_t *cert = resp + off;
  off += cert_len;
  uint8_t card_sig[64], hash[32], ca_pub65[65];
  if (cert[CERT_RECID_OFF] > 3 || cf_ec_sig_from_der(resp + off, len - off, card_sig) != 0) return -1;
  if (cf_sha256(cert + CERT_PUB_OFF, 33, hash) != 0 ||
      cf_ec_recover(hash, cert + CERT_SIG_OFF, cert[CERT_RECID_OFF], ca_pub65) != 0)
    return -1;
  if (!cf_ec_verify(cert + CERT_PUB_OFF, 33, challenge, card_sig)) return -1;
  return cf_ec_pub_normalize(ca_pub65, sizeof ca_pub65, NULL, ca_pub33) == 0 ? 0 : -1;
}
