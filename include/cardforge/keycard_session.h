/* A Keycard session for programs using the library: SELECT, INIT, pairing, the secure channel,
 * PIN, key generation and signing on any cf_transport (an in-process card or a PC/SC reader), behind
 * an opaque handle. Every function returns 0 or a negative cf_err (error.h); on failure
 * cf_keycard_error_detail() says what went wrong in one line and cf_keycard_last_sw() gives the
 * card's last status word (CF_ERR_CARD). The handle keeps the pairing key and channel keys in
 * memory only and wipes them at cf_keycard_close. */
#ifndef CARDFORGE_KEYCARD_SESSION_H
#define CARDFORGE_KEYCARD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/error.h"
#include "cardforge/transport.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

typedef struct cf_keycard cf_keycard;

#define CF_KEYCARD_UID_LEN 16
#define CF_KEYCARD_KEY_UID_LEN 32

/* What the card's SELECT answer says. */
typedef struct cf_keycard_info {
  bool initialized;                         /* false: INIT has not run (PIN, PUK, pairing secret unset) */
  uint16_t version;                         /* applet version, 0x0301 = 3.1 */
  uint8_t instance_uid[CF_KEYCARD_UID_LEN]; /* valid when initialized */
  uint8_t free_slots;                       /* pairing slots left */
  bool has_key;                             /* the card holds a key: key_uid is valid */
  uint8_t key_uid[CF_KEYCARD_KEY_UID_LEN];
} cf_keycard_info;

/* A signature: r || s, the recovery id and the signing key. */
typedef struct cf_keycard_signature {
  uint8_t rs[64];
  int recid;       /* 0..3 */
  uint8_t pub[65]; /* uncompressed secp256k1 public key */
} cf_keycard_signature;

/* Starts a session on t (not owned: close it after cf_keycard_close). *out is NULL on failure. */
int cf_keycard_open(cf_transport *t, cf_keycard **out);
/* Wipes every secret of the session and frees it (NULL is ignored). */
void cf_keycard_close(cf_keycard *kc);
/* One line about the last failure ("" when none); valid until the next call on kc. */
const char *cf_keycard_error_detail(const cf_keycard *kc);
/* The last status word the card answered (the inner one for a secure command). */
uint16_t cf_keycard_last_sw(const cf_keycard *kc);

/* SELECT the wallet applet (its default AID) and read what it reports. Closes any channel. */
int cf_keycard_select(cf_keycard *kc, cf_keycard_info *info);
/* INIT of a card that is not initialized: pin 6 digits, puk 12 digits, the pairing secret derived
 * from pairing_password (PBKDF2, as every Keycard host does). SELECT again afterwards. */
int cf_keycard_init(cf_keycard *kc, const char *pin, const char *puk, const char *pairing_password);
/* PAIR with the pairing password: takes a free slot; *index and key (32 bytes) receive the
 * pairing, which a program stores to open channels later without pairing again. */
int cf_keycard_pair(cf_keycard *kc, const char *pairing_password, uint8_t *index, uint8_t key[32]);
/* Uses a pairing made earlier (cf_keycard_pair) for the next cf_keycard_open_channel. */
int cf_keycard_set_pairing(cf_keycard *kc, uint8_t index, const uint8_t key[32]);
/* OPEN SECURE CHANNEL + MUTUALLY AUTHENTICATE with the current pairing. */
int cf_keycard_open_channel(cf_keycard *kc);
/* VERIFY PIN. A wrong PIN is CF_ERR_CARD with *retries (may be NULL) set to the tries left. */
int cf_keycard_verify_pin(cf_keycard *kc, const char *pin, int *retries);
/* GENERATE KEY: a new master key on the card; key_uid (32 bytes, may be NULL) receives its UID. */
int cf_keycard_generate_key(cf_keycard *kc, uint8_t key_uid[32]);
/* SIGN a 32-byte hash with the key at path ("m/44'/60'/0'/0/0"; NULL or "" = the current key). */
int cf_keycard_sign(cf_keycard *kc, const uint8_t hash[32], const char *path, cf_keycard_signature *sig);
/* UNPAIR slot index (channel open, PIN verified). */
int cf_keycard_unpair(cf_keycard *kc, uint8_t index);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
