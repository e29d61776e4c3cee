/* The operator HSM in a PKCS#11 token (hsm.c): `--hsm pkcs11` or `--hsm pkcs11:<RFC 7512 URI>`
 * instead of a vault file. The keys are the token's two-key 3DES objects labelled
 * "cmcc/TT/VV/II" (docs/hsm.md); every HSM operation is computed inside the token. */
#ifndef CARDFORGE_CMCC_HSM_TOKEN_H
#define CARDFORGE_CMCC_HSM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/cmcc_host.h"

#define CF_CMCC_TOKEN_PREFIX "cmcc/"

/* Whether an --hsm value names the token rather than a vault file. */
bool cf_cmcc_hsm_is_token(const char *spec);
/* Opens the token spec names (PIN from $CARDFORGE_HSM_PIN, the URI's pin-source, or a prompt)
 * with its cmcc/ keys. need_keys: a token without any is an error (as an empty vault is). */
int cf_cmcc_hsm_token_open(const char *spec, bool need_keys, cf_cmcc_hsm **out, char *err, size_t errlen);
/* Whether h is a token. */
bool cf_cmcc_hsm_in_token(const cf_cmcc_hsm *h);
/* The token's label (for messages and the ceremony log: a URI may carry a PIN); "" for a vault. */
const char *cf_cmcc_hsm_token_label(const cf_cmcc_hsm *h);
/* Stores a key in the token as cmcc/TT/VV/II (sensitive, not extractable): value imported, or
 * NULL to generate it inside the token. replace deletes a key of that name first (else such a key
 * is refused). kcv receives its check value. */
int cf_cmcc_hsm_token_store(cf_cmcc_hsm *h, const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t *value,
                            bool replace, uint8_t kcv[3], char *err, size_t errlen);
/* A key's check value (first 3 bytes of 3DES_K(8 x 00)), from the vault's value or the token. */
int cf_cmcc_hsm_key_kcv(const cf_cmcc_hsm *h, const cf_cmcc_key *k, uint8_t kcv[3]);
/* A key's value, for a record that carries it to a card (import-key --from-hsm): the vault's, or a
 * token key imported exportable (`cardforge hsm import --exportable`), taken out by wrapping; a
 * non-exportable token key is refused. The caller wipes value. */
int cf_cmcc_hsm_key_value(const cf_cmcc_hsm *h, const cf_cmcc_key *k, uint8_t value[16], char *err,
                          size_t errlen);

#endif
