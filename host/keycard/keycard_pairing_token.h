/* Keycard pairing keys in a PKCS#11 token (docs/hsm.md, "Keycard pairing keys"). A pairing key is
 * SHA-256(pairing secret || salt), computed on the host at PAIR; with `--pairing-store pkcs11` it is
 * imported into the token at once as a sensitive, non-extractable generic secret labelled
 * keycard-pair/<instance UID hex>/<slot>, the host copy wiped, and the pairing file records the
 * label instead of the key. At OPEN SECURE CHANNEL the token computes the session keys' digest
 * SHA-512(ECDH secret || pairing key || salt) with C_DigestKey. */
#ifndef CARDFORGE_HOST_KEYCARD_PAIRING_TOKEN_H
#define CARDFORGE_HOST_KEYCARD_PAIRING_TOKEN_H

#include "cardforge/keycard_client.h"
#include "cardforge/keystore.h"
#include "cli_keycard_internal.h"

#define KEYCARD_PAIRING_TOKEN_PREFIX "keycard-pair/"
#define KEYCARD_PAIRING_STORE_ENV "CARDFORGE_KEYCARD_PAIRING_STORE"

/* "keycard-pair/<uid hex>/<slot>" */
void keycard_pairing_token_label(const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t slot,
                                 char out[KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1]);

/* A pairing key object in an open token: the context of keycard_pairing_token_digest. */
typedef struct keycard_pairing_token_key {
  cf_keystore *ks;
  cf_ks_handle obj;
  char err[256]; /* why the last digest failed */
} keycard_pairing_token_key;

/* keycard_client_pairing_digest_fn for a key in the token: SHA-512(secret || key || salt). */
int keycard_pairing_token_digest(void *ctx, const uint8_t secret[32], const uint8_t salt[32],
                                 uint8_t out[64]);

/* ---- `cardforge keycard --pairing-store file|pkcs11|pkcs11:URI` ---- */
/* The store kind: the option (the line's, else the shell's), else $CARDFORGE_KEYCARD_PAIRING_STORE,
 * else "file". Returns CF_EXIT_OK with *token and *uri (NULL: the default token) set, else a usage
 * error (reported). */
int keycard_cli_pairing_store_kind(const keycard_cli *c, bool *token, const char **uri);
/* Whether the store can take a new pairing: the token opens (PIN accepted) when the key goes there.
 * Returns 0, or -1 with err filled; *kind "file" or "pkcs11" for messages and the ceremony log. */
int keycard_cli_pairing_store_ready(const keycard_cli *c, const char **kind, char *err, size_t errlen);
/* Saves the pairing kc holds (after PAIR) where the store kind says. With the token: imports the
 * key, records its label in the pairing file, and wipes the host copy (kc keeps the slot, no
 * longer "paired"). Returns 0, or -1 with err filled and nothing saved (kc's key kept: the caller
 * can still undo the pairing with it). */
int keycard_cli_pairing_save(keycard_cli *c, keycard_client *kc, char *err, size_t errlen);
/* Looks the card's pairing up and opens the secure channel with it, through the token when the
 * file says the key is there. Returns a CF_EXIT_* code (reported). */
int keycard_cli_pairing_open_channel(keycard_cli *c, keycard_client *kc);
/* Forgets the pairings of uid in slot index (every slot when index < 0): their lines in the
 * pairing file, then the token objects of those the file recorded as held in a token. Returns 0,
 * or -1 with err filled. */
int keycard_cli_pairing_forget(keycard_cli *c, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], int index,
                               char *err, size_t errlen);
/* "pkcs11" when the store holds slot index's pairing of uid (index < 0: the newest) in a token,
 * "file" otherwise: for the ceremony log. */
const char *keycard_cli_pairing_kind(const keycard_cli *c, const uint8_t uid[KEYCARD_CLIENT_UID_LEN],
                                     int index);

#endif
