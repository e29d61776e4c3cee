/* The Keycard package's Ident application (IdentApplet, status-im/status-keycard tag 3.2) and the
 * IDENTIFY CARD answer the package's applications share.
 *
 * The card's identity is a secp256k1 key pair and a 98-byte certificate: the identity public key
 * compressed (33) || a CA's signature r || s (64) of SHA-256(that public key) || the recovery id
 * (1) of that signature, so the CA public key can be recovered from the certificate alone. The
 * Ident application holds them (in its store namespace; on the card, SharedMemory.idCert and
 * idPrivate) and takes them once, by STORE DATA; the wallet and Cash applications sign IDENTIFY
 * CARD challenges with them through cf_ident_identify. docs/keycard-card.md has the bytes. */
#ifndef CARDFORGE_IDENT_H
#define CARDFORGE_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/store.h"

/* Instance AID (status-keycard-java Identifiers.IDENT_INSTANCE_AID): the class AID
 * A000000804000104 and instance 01. */
#define IDENT_AID_LEN 9
extern const uint8_t ident_instance_aid[IDENT_AID_LEN];

#define IDENT_CERT_LEN 98
#define IDENT_PRIV_LEN 32
/* STORE DATA: certificate || identity private key */
#define IDENT_STORE_DATA_LEN (IDENT_CERT_LEN + IDENT_PRIV_LEN)

#define IDENT_INS_STORE_DATA 0xE2
#define IDENT_INS_IDENTIFY_CARD 0x14
#define IDENT_TLV_SIGNATURE_TEMPLATE 0xA0
#define IDENT_TLV_CERT 0x8A
/* The largest IDENTIFY CARD answer: A0 81 L, 8A 62 cert, a DER signature of at most 72 bytes. */
#define IDENT_RESPONSE_MAX (3 + 2 + IDENT_CERT_LEN + 72)

/* The Ident application. Install parameter (first creation only, used by the card type that
 * holds it): ca=HEX, a test CA's 32-byte private key: the card makes an identity key and a
 * certificate signed by that key, as a provisioning station would. Without it the application
 * is unprovisioned, as installed. */
extern const cf_applet_ops ident_applet_ops;

/* IDENTIFY CARD for any application of the package, answered from the identity the Ident
 * application with store namespace ident_ns holds: challenge (len bytes, must be 32) is signed as a
 * precomputed hash. Writes A0 81 L 8A 62 cert || DER signature into out (cap >= IDENT_RESPONSE_MAX)
 * and returns 9000; 6985 when no certificate is stored (checked first, as the applet does), 6A80
 * when len is not 32, 6F00 when the store fails. */
uint16_t cf_ident_identify(cf_store *store, uint16_t ident_ns, const uint8_t *challenge, size_t len,
                           uint8_t *out, size_t cap, size_t *out_len);

/* A certificate as a provisioning station makes it (status-keycard-java Certificate.createCertificate):
 * the STORE DATA payload for identity key ident_priv signed by ca_priv. 0 or -1. */
int cf_ident_make_store_data(const uint8_t ca_priv[32], const uint8_t ident_priv[32],
                             uint8_t out[IDENT_STORE_DATA_LEN]);

/* Checks an IDENTIFY CARD answer (Certificate.verifyIdentity): the certificate's CA signature
 * recovers a CA key, and the signature of challenge verifies under the certificate's identity key.
 * Writes the recovered CA public key (compressed) to ca_pub33. 0 when both hold, -1 otherwise. */
int cf_ident_verify(const uint8_t *resp, size_t len, const uint8_t challenge[32], uint8_t ca_pub33[33]);

#endif
