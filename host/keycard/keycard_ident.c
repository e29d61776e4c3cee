/* IDENTIFY CARD on the host (status-keycard tag 3.2 IdentApplet.identifyCard; the check is the one
 * of status-keycard-java Certificate.verifyIdentity, plus the CA key the caller trusts): the
 * certificate is the identity key (33, compressed) || a CA signature r || s of SHA-256 of it ||
 * the recovery id; the card signs the host's challenge with the identity key. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "keycard_internal.h"

#define TAG_SIGNATURE 0xA0
#define TAG_CERT 0x8A
#define TAG_DER_SEQ 0x30
#define CERT_PUB_LEN 33
#define CERT_SIG_OFF 33
#define CERT_RECID_OFF 97

int keycard_client_verify_identity(const uint8_t challenge[32], const uint8_t *resp, size_t len,
                                   const uint8_t *ca_pub, size_t ca_len, keycard_client_identity *id) {
  memset(id, 0, sizeof *id);
  cf_tlv top, cert, der;
  size_t pos = 0;
  bool err = false;
  if (!cf_tlv_read(resp, len, &top) || top.tag != TAG_SIGNATURE || top.total != len)
    return KEYCARD_CLIENT_EPROTO;
  if (!cf_tlv_next(top.value, top.len, &pos, &cert, &err) || cert.tag != TAG_CERT ||
      cert.len != KEYCARD_CLIENT_CERT_LEN)
    return KEYCARD_CLIENT_EPROTO;
  if (!cf_tlv_next(top.value, top.len, &pos, &der, &err) || der.tag != TAG_DER_SEQ || pos != top.len)
    return KEYCARD_CLIENT_EPROTO;
  memcpy(id->cert, cert.value, KEYCARD_CLIENT_CERT_LEN);
  memcpy(id->ident_pub, cert.value, CERT_PUB_LEN);
  uint8_t card_sig[64], hash[32], recovered[65], ca65[65];
  if (cf_ec_sig_from_der(der.value - (der.total - der.len), der.total, card_sig) != 0)
    return KEYCARD_CLIENT_EPROTO;
  if (cf_ec_pub_normalize(id->ident_pub, CERT_PUB_LEN, NULL, NULL) != 0 || id->cert[CERT_RECID_OFF] > 3)
    return KEYCARD_CLIENT_EPROTO;
  if (cf_sha256(id->ident_pub, CERT_PUB_LEN, hash) != 0) return KEYCARD_CLIENT_EINTERNAL;
  const uint8_t *ca_sig = id->cert + CERT_SIG_OFF;
  if (cf_ec_recover(hash, ca_sig, id->cert[CERT_RECID_OFF], recovered) != 0 ||
      cf_ec_pub_normalize(recovered, sizeof recovered, NULL, id->ca_pub) != 0)
    return KEYCARD_CLIENT_EVERIFY;
  if (ca_pub) {
    /* the trusted key must be the one the certificate recovers to, and its signature must verify */
    if (cf_ec_pub_normalize(ca_pub, ca_len, ca65, NULL) != 0) return KEYCARD_CLIENT_EARG;
    if (memcmp(ca65, recovered, 65) != 0 || !cf_ec_verify(ca65, 65, hash, ca_sig))
      return KEYCARD_CLIENT_EVERIFY;
  }
  return cf_ec_verify(id->ident_pub, CERT_PUB_LEN, challenge, card_sig) ? KEYCARD_CLIENT_OK
                                                                        : KEYCARD_CLIENT_EVERIFY;
}

int keycard_client_identify(keycard_client *kc, const uint8_t *ca_pub, size_t ca_len,
                            keycard_client_identity *id) {
  uint8_t challenge[32], resp[256];
  size_t rlen = 0;
  memset(id, 0, sizeof *id);
  if (ca_pub && cf_ec_pub_normalize(ca_pub, ca_len, NULL, NULL) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the CA public key is no secp256k1 point");
  if (cf_rand(challenge, sizeof challenge) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EINTERNAL, "no randomness");
  int rc;
  if (kc->sc.open) {
    rc = keycard_client_secure_exchange(kc, KEYCARD_CLIENT_INS_IDENTIFY_CARD, 0x00, 0x00, challenge, 32,
                                        false, resp, sizeof resp, &rlen);
  } else {
    rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_IDENTIFY_CARD, 0x00, 0x00,
                                       challenge, 32, 0, resp, sizeof resp, &rlen);
  }
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw == SW_CONDITIONS_NOT_SATISFIED)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                               "IDENTIFY CARD: the card holds no identity certificate (SW 6985)");
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "IDENTIFY CARD: card answered SW %04X", kc->sw);
  rc = keycard_client_verify_identity(challenge, resp, rlen, ca_pub, ca_len, id);
  if (rc == KEYCARD_CLIENT_EPROTO)
    return keycard_client_fail(kc, rc, "IDENTIFY CARD: the answer is malformed (%zu bytes)", rlen);
  if (rc == KEYCARD_CLIENT_EVERIFY)
    return keycard_client_fail(kc, rc,
                               ca_pub ? "IDENTIFY CARD: the certificate is not the given CA's, or the card's "
                                        "signature does not verify"
                                      : "IDENTIFY CARD: a signature does not verify");
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "IDENTIFY CARD: cannot check the answer");
  return KEYCARD_CLIENT_OK;
}

const uint8_t keycard_client_ident_aid[9] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x04, 0x01};

/* The certificate of ident_priv signed by ca_priv, as a provisioning station makes it. */
static int make_certificate(const uint8_t ca_priv[32], const uint8_t ident_priv[32],
                            keycard_client_identity *id) {
  uint8_t pub65[65], hash[32], sig[64];
  int recid = 0, rc = KEYCARD_CLIENT_EINTERNAL;
  if (cf_ec_pub_from_priv(ident_priv, pub65) == 0 &&
      cf_ec_pub_normalize(pub65, 65, NULL, id->ident_pub) == 0 &&
      cf_sha256(id->ident_pub, CERT_PUB_LEN, hash) == 0 && cf_ec_sign(ca_priv, hash, sig, &recid) == 0 &&
      cf_ec_pub_from_priv(ca_priv, pub65) == 0 && cf_ec_pub_normalize(pub65, 65, NULL, id->ca_pub) == 0) {
    memcpy(id->cert, id->ident_pub, CERT_PUB_LEN);
    memcpy(id->cert + CERT_SIG_OFF, sig, 64);
    id->cert[CERT_RECID_OFF] = (uint8_t)recid;
    rc = KEYCARD_CLIENT_OK;
  }
  cf_wipe(sig, sizeof sig);
  return rc;
}

int keycard_client_ident_provision(keycard_client *kc, const uint8_t ca_priv[32], const uint8_t *ident_priv,
                                   keycard_client_identity *id) {
  memset(id, 0, sizeof *id);
  if (!cf_ec_priv_valid(ca_priv))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the CA key is no secp256k1 private key");
  if (ident_priv != NULL && !cf_ec_priv_valid(ident_priv))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the identity key is no secp256k1 private key");
  uint8_t data[KEYCARD_CLIENT_CERT_LEN + 32], pub[65], resp[256];
  size_t rlen = 0;
  int rc = KEYCARD_CLIENT_OK;
  uint8_t *key = data + KEYCARD_CLIENT_CERT_LEN;
  if (ident_priv != NULL)
    memcpy(key, ident_priv, 32);
  else if (cf_ec_keygen(key, pub) != 0)
    rc = keycard_client_fail(kc, KEYCARD_CLIENT_EINTERNAL, "cannot make an identity key");
  if (rc == KEYCARD_CLIENT_OK && make_certificate(ca_priv, key, id) != KEYCARD_CLIENT_OK)
    rc = keycard_client_fail(kc, KEYCARD_CLIENT_EINTERNAL, "cannot make the certificate");
  if (rc == KEYCARD_CLIENT_OK) {
    memcpy(data, id->cert, KEYCARD_CLIENT_CERT_LEN);
    keycard_client_sc_close(&kc->sc);
    kc->selected = false; /* selecting the Ident application deselects the wallet */
    rc = keycard_client_plain_exchange(kc, 0x00, 0xA4, 0x04, 0x00, keycard_client_ident_aid,
                                       sizeof keycard_client_ident_aid, 0, resp, sizeof resp, &rlen);
  }
  if (rc == KEYCARD_CLIENT_OK && kc->sw != SW_OK)
    rc = keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                             "SELECT of the Ident application: card answered SW %04X", kc->sw);
  if (rc == KEYCARD_CLIENT_OK && rlen == KEYCARD_CLIENT_CERT_LEN)
    rc = keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "the card already holds an identity certificate");
  if (rc == KEYCARD_CLIENT_OK)
    rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_STORE_DATA, 0x00, 0x00,
                                       data, sizeof data, CF_TX_SECRET_CMD, NULL, 0, NULL);
  if (rc == KEYCARD_CLIENT_OK && kc->sw == SW_CONDITIONS_NOT_SATISFIED)
    rc = keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                             "STORE DATA: the card already holds an identity certificate (SW 6985)");
  else if (rc == KEYCARD_CLIENT_OK && kc->sw != SW_OK)
    rc = keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "STORE DATA of the identity: card answered SW %04X",
                             kc->sw);
  cf_wipe(data, sizeof data);
  cf_wipe(pub, sizeof pub);
  if (rc != KEYCARD_CLIENT_OK) memset(id, 0, sizeof *id);
  return rc;
}
