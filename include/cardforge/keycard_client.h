/* Host side of the Status Keycard protocol (applet versions 2.x and 3.x): SELECT, INIT, pairing,
 * the secure channel, and every key-management command, over any cf_transport. Nothing here
 * assumes the card is cardforge's own emulation: the same code drives a real Keycard.
 *
 * Every function returning int answers one of the KEYCARD_CLIENT_* codes below; on failure the
 * client's err holds one line naming the problem and sw the last status word the card gave. */
#ifndef CARDFORGE_KEYCARD_CLIENT_H
#define CARDFORGE_KEYCARD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/error.h"
#include "cardforge/transport.h"

/* ---- result codes: error.h's codes of the same meaning ---- */
enum {
  KEYCARD_CLIENT_OK = CF_OK,
  KEYCARD_CLIENT_ETRANSPORT = CF_ERR_TRANSPORT, /* the reader or transport failed */
  KEYCARD_CLIENT_ECARD = CF_ERR_CARD,           /* the card answered an unexpected status word (in sw) */
  KEYCARD_CLIENT_EVERIFY = CF_ERR_VERIFY,       /* a cryptogram or MAC did not verify */
  KEYCARD_CLIENT_EPROTO = CF_ERR_PROTO,         /* a response was malformed */
  KEYCARD_CLIENT_EARG = CF_ERR_ARG,             /* a caller argument is invalid (PIN format, lengths) */
  KEYCARD_CLIENT_ESTATE = CF_ERR_STATE,         /* wrong order: no SELECT, no pairing, channel not open */
  KEYCARD_CLIENT_EINTERNAL = CF_ERR_INTERNAL,   /* a crypto wrapper failed */
};

/* ---- protocol constants ---- */
#define KEYCARD_CLIENT_CLA 0x80
#define KEYCARD_CLIENT_INS_OPEN_SECURE_CHANNEL 0x10
#define KEYCARD_CLIENT_INS_MUTUALLY_AUTHENTICATE 0x11
#define KEYCARD_CLIENT_INS_PAIR 0x12
#define KEYCARD_CLIENT_INS_UNPAIR 0x13
#define KEYCARD_CLIENT_INS_VERIFY_PIN 0x20
#define KEYCARD_CLIENT_INS_CHANGE_PIN 0x21
#define KEYCARD_CLIENT_INS_UNBLOCK_PIN 0x22
#define KEYCARD_CLIENT_INS_SIGN 0xC0
#define KEYCARD_CLIENT_INS_SET_PINLESS_PATH 0xC1
#define KEYCARD_CLIENT_INS_EXPORT_KEY 0xC2
#define KEYCARD_CLIENT_INS_GET_DATA 0xCA
#define KEYCARD_CLIENT_INS_LOAD_KEY 0xD0
#define KEYCARD_CLIENT_INS_DERIVE_KEY 0xD1
#define KEYCARD_CLIENT_INS_GENERATE_MNEMONIC 0xD2
#define KEYCARD_CLIENT_INS_REMOVE_KEY 0xD3
#define KEYCARD_CLIENT_INS_GENERATE_KEY 0xD4
#define KEYCARD_CLIENT_INS_DUPLICATE_KEY 0xD5
#define KEYCARD_CLIENT_INS_STORE_DATA 0xE2
#define KEYCARD_CLIENT_INS_GET_STATUS 0xF2
#define KEYCARD_CLIENT_INS_FACTORY_RESET 0xFD
#define KEYCARD_CLIENT_INS_INIT 0xFE

#define KEYCARD_CLIENT_PIN_LEN 6
#define KEYCARD_CLIENT_PUK_LEN 12
#define KEYCARD_CLIENT_SECRET_LEN 32
#define KEYCARD_CLIENT_UID_LEN 16
#define KEYCARD_CLIENT_KEY_UID_LEN 32
#define KEYCARD_CLIENT_MAX_PLAIN 223 /* largest plaintext one secure APDU carries */
#define KEYCARD_CLIENT_MAX_PATH_DEPTH 10
#define KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD "KeycardDefaultPairing"

/* The default instance AID: package A0 00 00 08 04 00 01, applet 01, instance 01. */
extern const uint8_t keycard_client_aid[9];

/* Capability bits of tag 8D. */
#define KEYCARD_CLIENT_CAP_SECURE_CHANNEL 0x01
#define KEYCARD_CLIENT_CAP_KEY_MANAGEMENT 0x02
#define KEYCARD_CLIENT_CAP_CREDENTIALS 0x04
#define KEYCARD_CLIENT_CAP_NDEF 0x08

/* ---- SELECT answer ---- */
typedef struct keycard_client_info {
  bool initialized; /* false: the card answered only 80 <public key> (before INIT) */
  uint8_t instance_uid[KEYCARD_CLIENT_UID_LEN];
  uint8_t sc_pub[65]; /* the card's secure-channel public key (uncompressed) */
  uint16_t version;   /* 0x0301 = 3.1 */
  uint8_t free_slots;
  uint8_t key_uid[KEYCARD_CLIENT_KEY_UID_LEN];
  bool has_key; /* key_uid is valid */
  uint8_t capabilities;
} keycard_client_info;

/* Parses a SELECT response (data without SW). Accepts the pre-INIT form 80 41 <key> and the A4
 * template; a missing 8D means every capability (applet 2.x). */
int keycard_client_parse_info(const uint8_t *data, size_t len, keycard_client_info *info);

/* ---- secure channel state (pure: no I/O, unit-testable) ---- */
typedef struct keycard_client_sc {
  bool open;
  uint8_t enc_key[32];
  uint8_t mac_key[32];
  uint8_t iv[16]; /* the last MAC: IV of the next message */
} keycard_client_sc;

/* Session keys from the ECDH secret, the pairing key and the card's OPEN SECURE CHANNEL answer
 * (32-byte salt then 16-byte IV). */
int keycard_client_sc_derive(keycard_client_sc *sc, const uint8_t secret[32], const uint8_t pairing_key[32],
                             const uint8_t *card_resp, size_t card_resp_len);
/* Where the pairing key is not in host memory (a PKCS#11 token): the holder computes the digest
 * SHA-512(secret || pairing key || salt) that becomes the session keys; 0 or -1. */
typedef int (*keycard_client_pairing_digest_fn)(void *ctx, const uint8_t secret[32], const uint8_t salt[32],
                                                uint8_t out[64]);
/* keycard_client_sc_derive with the digest computed by digest(ctx, ...) instead of on the host. */
int keycard_client_sc_derive_with(keycard_client_sc *sc, const uint8_t secret[32],
                                  keycard_client_pairing_digest_fn digest, void *ctx,
                                  const uint8_t *card_resp, size_t card_resp_len);
/* Builds the data field of a secure command: MAC(16) || AES-CBC(pad(plain)). Updates the IV.
 * cap must hold 16 + padded length. */
int keycard_client_sc_wrap(keycard_client_sc *sc, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                           const uint8_t *plain, size_t len, uint8_t *out, size_t cap, size_t *out_len);
/* Checks and decrypts a secure response data field (MAC || ciphertext). On success writes the
 * plain data without the trailing inner status word, and that status word. A bad MAC or padding
 * closes the channel. */
int keycard_client_sc_unwrap(keycard_client_sc *sc, const uint8_t *data, size_t len, uint8_t *plain,
                             size_t cap, size_t *plain_len, uint16_t *inner_sw);
void keycard_client_sc_close(keycard_client_sc *sc);

/* The one-shot encryption INIT and DUPLICATE KEY ADD ENTROPY use: 41 || host pub || IV ||
 * AES-CBC(key = ECDH X, pad(plain)). host_priv/host_pub is a fresh key pair; iv NULL = random. */
int keycard_client_one_shot_encrypt(const uint8_t card_pub[65], const uint8_t host_priv[32],
                                    const uint8_t host_pub[65], const uint8_t *iv, const uint8_t *plain,
                                    size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* ---- secrets ---- */
/* PBKDF2-HMAC-SHA256(NFKD(password), "Keycard Pairing Password Salt", 50000) -> 32 bytes.
 * NFKD is done with ICU when built with it; without ICU only ASCII passwords are accepted
 * (for which NFKD is the identity). */
int keycard_client_pairing_secret(const char *password, uint8_t out[32]);
/* BIP39: PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" || NFKD(passphrase), 2048) -> 64 bytes.
 * Words are separated by single spaces (runs of white space are folded). The word list and its
 * checksum are not checked here (keycard_client_bip39_check does that). */
int keycard_client_mnemonic_to_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64]);
/* true if s is exactly n ASCII digits */
bool keycard_client_digits_ok(const char *s, size_t n);

/* ---- key paths ---- */
#define KEYCARD_CLIENT_SOURCE_MASTER 0x00
#define KEYCARD_CLIENT_SOURCE_PARENT 0x40
#define KEYCARD_CLIENT_SOURCE_CURRENT 0x80
typedef struct keycard_client_path {
  uint8_t source; /* KEYCARD_CLIENT_SOURCE_* */
  uint8_t data[4 * KEYCARD_CLIENT_MAX_PATH_DEPTH];
  size_t len; /* bytes: 4 per component */
} keycard_client_path;
/* "m/44'/60'/0'/0/0" (from the master), "../1" (from the parent), "./1" or "1/2" (from the
 * current key). Hardened components end in ' or h. */
int keycard_client_parse_path(const char *text, keycard_client_path *path);
/* Formats raw path bytes (GET STATUS P1=01) as "m/44'/60'/..."; cap >= 12 * depth + 2. */
int keycard_client_format_path(const uint8_t *data, size_t len, char *out, size_t cap);

/* ---- parsed answers ---- */
typedef struct keycard_client_status {
  uint8_t pin_retries;
  uint8_t puk_retries;
  bool key_initialized;
} keycard_client_status;
int keycard_client_parse_status(const uint8_t *data, size_t len, keycard_client_status *st);

typedef struct keycard_client_signature {
  uint8_t pub[65];
  uint8_t rs[64]; /* r || s */
  int recid;      /* 0..3: recovers pub from (hash, r, s) */
} keycard_client_signature;
/* Parses the A0 signature template and computes the recovery id by trying each candidate
 * against the returned public key. */
int keycard_client_parse_signature(const uint8_t hash[32], const uint8_t *data, size_t len,
                                   keycard_client_signature *sig);

typedef struct keycard_client_exported {
  bool has_pub, has_priv, has_chain;
  uint8_t pub[65];
  uint8_t priv[32];
  uint8_t chain[32];
} keycard_client_exported;
int keycard_client_parse_key_template(const uint8_t *data, size_t len, keycard_client_exported *key);

/* ---- the client ---- */
typedef struct keycard_client {
  cf_transport *t;
  keycard_client_info info; /* from the last SELECT */
  bool selected;
  uint8_t host_priv[32]; /* ephemeral, regenerated at each SELECT */
  uint8_t host_pub[65];
  uint8_t ecdh_secret[32];
  bool paired;
  uint8_t pairing_index;
  uint8_t pairing_key[32];
  /* set when the pairing key is in a token (pairing_key unused): it computes the session keys'
   * digest at OPEN SECURE CHANNEL; ctx must outlive that call */
  keycard_client_pairing_digest_fn pairing_digest;
  void *pairing_digest_ctx;
  keycard_client_sc sc;
  uint16_t sw; /* last status word (the inner one for secure commands) */
  char err[256];
} keycard_client;

/* Starts a client on a transport it does not own. */
void keycard_client_init(keycard_client *kc, cf_transport *t);
/* Wipes every secret the client holds. */
void keycard_client_wipe(keycard_client *kc);

/* SELECT by the default AID (aid NULL) or the given one; parses the answer into kc->info and
 * prepares a fresh ECDH secret with the card's key. Closes any open channel. */
int keycard_client_select(keycard_client *kc, const uint8_t *aid, size_t aid_len);

/* INIT: pin 6 digits, puk 12 digits, pairing secret 32 bytes. pin_retries/puk_retries 0 = card
 * defaults (then alt_pin must be NULL); alt_pin (3.1) 6 digits or NULL. SELECT again afterwards. */
int keycard_client_init_card(keycard_client *kc, const char *pin, const char *puk, const uint8_t secret[32],
                             uint8_t pin_retries, uint8_t puk_retries, const char *alt_pin);

/* PAIR (both steps). Verifies the card cryptogram before answering it. On success kc holds the
 * pairing (index and key). */
int keycard_client_pair(keycard_client *kc, const uint8_t secret[32]);
void keycard_client_set_pairing(keycard_client *kc, uint8_t index, const uint8_t key[32]);
/* A pairing whose key is held elsewhere (a token): digest(ctx, ...) derives the session keys. */
void keycard_client_set_pairing_digest(keycard_client *kc, uint8_t index,
                                       keycard_client_pairing_digest_fn digest, void *ctx);
/* UNPAIR slot index (secure channel and PIN needed). */
int keycard_client_unpair(keycard_client *kc, uint8_t index);

/* OPEN SECURE CHANNEL + MUTUALLY AUTHENTICATE with the pairing set in kc. */
int keycard_client_open_channel(keycard_client *kc);

/* Sends one command through the open secure channel and returns the plain answer and the inner
 * status word in kc->sw. Returns OK whatever the inner status word; ECARD only when the card
 * answered outside the channel (6982 closes it). secret marks data to keep out of traces. */
int keycard_client_secure_exchange(keycard_client *kc, uint8_t ins, uint8_t p1, uint8_t p2,
                                   const uint8_t *data, size_t len, bool secret, uint8_t *resp, size_t cap,
                                   size_t *resp_len);

/* ---- commands (secure channel open unless stated) ---- */
int keycard_client_get_status(keycard_client *kc, keycard_client_status *st);
/* Raw key path bytes of the current key (GET STATUS P1=01). */
int keycard_client_get_key_path(keycard_client *kc, uint8_t *out, size_t cap, size_t *len);
/* VERIFY PIN. A wrong PIN gives ECARD with sw 63Cx and *retries = x (retries may be NULL). */
int keycard_client_verify_pin(keycard_client *kc, const char *pin, int *retries);
#define KEYCARD_CLIENT_CHANGE_PIN 0x00
#define KEYCARD_CLIENT_CHANGE_PUK 0x01
#define KEYCARD_CLIENT_CHANGE_PAIRING_SECRET 0x02
/* CHANGE PIN: which is KEYCARD_CLIENT_CHANGE_*; value is the new PIN/PUK digits or the 32-byte secret. */
int keycard_client_change_secret(keycard_client *kc, uint8_t which, const uint8_t *value, size_t len);
/* UNBLOCK PIN with the PUK; sets new_pin. A wrong PUK gives 63Cx like VERIFY PIN. */
int keycard_client_unblock_pin(keycard_client *kc, const char *puk, const char *new_pin, int *retries);

/* LOAD KEY. key_uid (32 bytes) receives the card's key UID, may be NULL. */
int keycard_client_load_seed(keycard_client *kc, const uint8_t seed[64], uint8_t key_uid[32]);
/* priv 32 bytes; pub 65 bytes or NULL (omitted); chain 32 bytes or NULL (not extended). */
int keycard_client_load_keypair(keycard_client *kc, const uint8_t priv[32], const uint8_t *pub,
                                const uint8_t *chain, uint8_t key_uid[32]);
int keycard_client_generate_key(keycard_client *kc, uint8_t key_uid[32]);
int keycard_client_remove_key(keycard_client *kc);
int keycard_client_derive_key(keycard_client *kc, const keycard_client_path *path);

#define KEYCARD_CLIENT_SIGN_CURRENT 0x00
#define KEYCARD_CLIENT_SIGN_DERIVE 0x01
#define KEYCARD_CLIENT_SIGN_DERIVE_AND_MAKE_CURRENT 0x02
#define KEYCARD_CLIENT_SIGN_PINLESS 0x03
/* SIGN a 32-byte hash with the current key (path NULL) or a derived one. */
int keycard_client_sign(keycard_client *kc, const uint8_t hash[32], const keycard_client_path *path,
                        bool make_current, keycard_client_signature *sig);
/* SIGN P1 03 with the key at the PIN-less path: through the channel when one is open, else as a
 * plain APDU after SELECT (the card then answers plain). No PIN needed. */
int keycard_client_sign_pinless(keycard_client *kc, const uint8_t hash[32], keycard_client_signature *sig);
/* SET PINLESS PATH (PIN needed): path must start at the master key (m/...); NULL or an empty path
 * removes the PIN-less path. */
int keycard_client_set_pinless_path(keycard_client *kc, const keycard_client_path *path);

/* ---- BIP39 mnemonics ---- */
#define KEYCARD_CLIENT_BIP39_WORDS 2048
#define KEYCARD_CLIENT_BIP39_MAX_WORDS 24
/* Where Debian's python3-mnemonic puts the English word list; $CARDFORGE_BIP39_WORDLIST overrides. */
#define KEYCARD_CLIENT_BIP39_DEFAULT_WORDLIST "/usr/lib/python3/dist-packages/mnemonic/wordlist/english.txt"
/* true for 12, 15, 18, 21 or 24 */
bool keycard_client_bip39_count_ok(size_t words);
/* GENERATE MNEMONIC (channel open; no PIN): words is 12..24 in steps of 3; indexes receives the
 * card's 11-bit word indexes (checked against their BIP39 checksum). */
int keycard_client_generate_mnemonic(keycard_client *kc, size_t words, uint16_t *indexes);
/* true if the indexes (a valid word count) end with the BIP39 checksum of the entropy they carry */
bool keycard_client_bip39_checksum_ok(const uint16_t *indexes, size_t n);

/* A word list: 2048 words, one a line, in index order. */
typedef struct keycard_client_wordlist {
  char *text; /* the file, lines cut in place */
  const char *words[KEYCARD_CLIENT_BIP39_WORDS];
} keycard_client_wordlist;
/* Loads the file at path. Returns KEYCARD_CLIENT_OK, or EARG with err naming the problem
 * (missing file, not 2048 words, a blank line or a word with white space). */
int keycard_client_wordlist_load(keycard_client_wordlist *wl, const char *path, char *err, size_t errlen);
/* Loads $CARDFORGE_BIP39_WORDLIST if set (failing if it cannot be read), else the default file if it
 * exists. Returns 1 loaded, 0 no word list on this host, -1 error (err filled). */
int keycard_client_wordlist_find(keycard_client_wordlist *wl, char *err, size_t errlen);
void keycard_client_wordlist_free(keycard_client_wordlist *wl);
/* Checks a mnemonic (white space folded) against the list: word count, every word in the list, and
 * the checksum. Returns OK, or EARG with one line in err that names the problem without quoting any
 * word (the mnemonic is a secret). */
int keycard_client_bip39_check(const keycard_client_wordlist *wl, const char *mnemonic, char *err,
                               size_t errlen);

#define KEYCARD_CLIENT_EXPORT_PRIVATE 0x00
#define KEYCARD_CLIENT_EXPORT_PUBLIC 0x01
#define KEYCARD_CLIENT_EXPORT_EXTENDED_PUBLIC 0x02
int keycard_client_export_key(keycard_client *kc, uint8_t what, const keycard_client_path *path,
                              bool make_current, keycard_client_exported *key);

#define KEYCARD_CLIENT_DATA_PUBLIC 0x00
#define KEYCARD_CLIENT_DATA_NDEF 0x01
#define KEYCARD_CLIENT_DATA_CASH 0x02
/* GET DATA works with or without a channel (plain when none is open). */
int keycard_client_get_data(keycard_client *kc, uint8_t type, uint8_t *out, size_t cap, size_t *len);
int keycard_client_store_data(keycard_client *kc, uint8_t type, const uint8_t *data, size_t len);

/* FACTORY RESET (plain APDU, P1 AA P2 55). SELECT again afterwards. */
int keycard_client_factory_reset(keycard_client *kc);

/* ---- DUPLICATE KEY (applet 2.x; cardforge's card in every version) ---- */
/* START: channel open, PIN verified; count = total entropy pieces including this first one. */
int keycard_client_duplicate_start(keycard_client *kc, uint8_t count, const uint8_t entropy[32]);
/* ADD ENTROPY: plain APDU, one-shot encrypted to the card's key from the last SELECT. The card
 * reuses its channel key for it, so the channel is closed afterwards. */
int keycard_client_duplicate_add_entropy(keycard_client *kc, const uint8_t entropy[32]);
/* EXPORT on the source card: the encrypted key blob (at most KEYCARD_CLIENT_MAX_PLAIN bytes). */
int keycard_client_duplicate_export(keycard_client *kc, uint8_t *blob, size_t cap, size_t *len);
/* IMPORT on a target card; key_uid receives the imported key's UID (may be NULL). */
int keycard_client_duplicate_import(keycard_client *kc, const uint8_t *blob, size_t len, uint8_t key_uid[32]);

/* ---- pairing store: one line per pairing "<instance uid hex> <index> <pairing key hex>" ----
 * A card may have several (one per slot this host paired); changes are made under the store's lock
 * and replace the file atomically (cardforge/file_lock.h); a store others may read is refused. */
/* Finds the newest pairing for uid in the file at path. Returns 1 found, 0 not found, -1 on a file
 * error (err filled). A malformed line is skipped. For a key held in a token key is all zeros (use
 * keycard_client_pairing_find). */
int keycard_client_pairing_get(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t *index,
                               uint8_t key[32], char *err, size_t errlen);
/* Adds the pairing (uid, index), replacing a line of the same card and slot (key NULL: removes every
 * pairing of uid). Returns 0 or -1 (err filled); the ephemeral slot FF is refused. */
int keycard_client_pairing_put(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t index,
                               const uint8_t *key, char *err, size_t errlen);
/* A pairing as the store records it: the key itself, or (in_token) the label of the PKCS#11 token
 * object that holds it (key all zeros then; docs/hsm.md, "Keycard pairing keys"). */
#define KEYCARD_CLIENT_TOKEN_LABEL_MAX 64
typedef struct keycard_client_pairing {
  uint8_t index;
  bool in_token;
  char token_label[KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1];
  uint8_t key[32];
} keycard_client_pairing;
/* The newest pairing of uid (index < 0) or of uid in slot index. 1 found, 0 not, -1 (err filled). */
int keycard_client_pairing_find(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], int index,
                                keycard_client_pairing *out, char *err, size_t errlen);
/* Every pairing of uid, oldest first: up to cap in out; returns how many there are, or -1. */
int keycard_client_pairing_list(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN],
                                keycard_client_pairing *out, size_t cap, char *err, size_t errlen);
/* Records the pairing (uid, index) as held by the token object label (no key bytes in the file),
 * replacing a line of the same card and slot. 0 or -1. */
int keycard_client_pairing_put_token(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN],
                                     uint8_t index, const char *label, char *err, size_t errlen);
/* Removes the pairing of uid in slot index (index < 0: every pairing of uid). Returns 0 or -1. */
int keycard_client_pairing_forget(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], int index,
                                  char *err, size_t errlen);
/* How many pairings of uid the store holds, or -1 (err filled). */
int keycard_client_pairing_count(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], char *err,
                                 size_t errlen);

/* Short name for a result code ("card refused", ...). */
const char *keycard_client_strerror(int rc);

/* ---- pairing modes (applet 3.2, SecureChannel.pairStep1 at status-keycard tag 3.2) ----
 * PERSISTENT: a free slot of the card, saved by the host; on 3.2 PAIR goes with P2 02 so that a
 *   card with every slot taken answers 6A84 instead of handing out the ephemeral slot (P2 00
 *   would). Before 3.2 the applet ignores P2 and answers 6A84 itself, so P2 00 is sent.
 * EPHEMERAL: 3.2 only (P2 01): slot FF, which the card forgets when the wallet is deselected or
 *   the card reset; never saved (keycard_client_pairing_put refuses it). */
typedef enum keycard_client_pair_mode {
  KEYCARD_CLIENT_PAIR_PERSISTENT = 0,
  KEYCARD_CLIENT_PAIR_EPHEMERAL = 1,
} keycard_client_pair_mode;
#define KEYCARD_CLIENT_EPHEMERAL_SLOT 0xFF
#define KEYCARD_CLIENT_VERSION_3_2 0x0302
/* The P2 of PAIR's first step for mode on a card reporting version, or -1 when that version has
 * no such mode (ephemeral before 3.2). */
int keycard_client_pair_p2(uint16_t version, keycard_client_pair_mode mode);
/* PAIR in a mode (keycard_client_pair is the persistent mode). EARG for ephemeral before 3.2. */
int keycard_client_pair_with_mode(keycard_client *kc, const uint8_t secret[32],
                                  keycard_client_pair_mode mode);

/* ---- init without credentials (as keycard-go GenerateSecrets does) ----
 * A random PIN (6 digits), PUK (12 digits) and pairing password (12 random bytes, base64url: 16
 * characters), each digit string uniform over its whole range. The caller shows them once and
 * wipes the struct. */
typedef struct keycard_client_credentials {
  char pin[KEYCARD_CLIENT_PIN_LEN + 1];
  char puk[KEYCARD_CLIENT_PUK_LEN + 1];
  char pairing_password[17];
} keycard_client_credentials;
int keycard_client_random_credentials(keycard_client_credentials *cred);

/* ---- the Cash application (CashApplet, status-keycard tag 3.2) ----
 * No PIN, no secure channel. Selecting it deselects the wallet: SELECT the wallet again before
 * wallet commands (kc->selected is cleared). */
extern const uint8_t keycard_client_cash_aid[9];
#define KEYCARD_CLIENT_CASH_DATA_MAX 127
typedef struct keycard_client_cash_info {
  uint8_t pub[65]; /* the Cash key, uncompressed */
  uint16_t version;
  uint8_t data[KEYCARD_CLIENT_CASH_DATA_MAX]; /* the cash data the wallet stored (STORE DATA P1 02) */
  size_t data_len;
} keycard_client_cash_info;
/* Parses Cash SELECT: A4 L { 80 41 key, 02 02 version, 82 n data }. */
int keycard_client_parse_cash_info(const uint8_t *data, size_t len, keycard_client_cash_info *info);
int keycard_client_cash_select(keycard_client *kc, keycard_client_cash_info *info);

typedef struct keycard_client_cash_signature {
  uint8_t pub[65]; /* the key the card says it signed with */
  uint8_t der[72]; /* the signature as the card sent it */
  size_t der_len;
  uint8_t rs[64]; /* r || s */
} keycard_client_cash_signature;
/* SIGN of a 32-byte hash (Cash selected). The DER signature must verify under the key in the
 * answer and, when expected_pub (65 bytes) is given, that key must be it (else EVERIFY). */
int keycard_client_cash_sign(keycard_client *kc, const uint8_t hash[32], const uint8_t *expected_pub,
                             keycard_client_cash_signature *sig);

/* ---- NDEF ----
 * Reading is what an NFC phone does (NFC Forum Type 4 Tag, mapping 2.0): SELECT the NDEF Tag
 * Application D2760000850101, SELECT and READ BINARY the capability container E103, SELECT the
 * NDEF file it names, READ BINARY NLEN and then the message MLe bytes at a time. Writing goes
 * through the wallet (channel open, PIN verified), in the form the card's version takes:
 * 2.2.1 SET NDEF (F3), 3.0 / 3.1 one STORE DATA P1 01, 3.2 STORE DATA P1 01 in chunks at P2 =
 * offset / 4. What is written is the NDEF file: NLEN (2 bytes) || the message. */
extern const uint8_t keycard_client_ndef_aid[7];
#define KEYCARD_CLIENT_NDEF_FILE_MAX_3_2 512 /* the 3.2 shared NDEF memory */
#define KEYCARD_CLIENT_NDEF_CHUNK 220        /* the largest multiple of 4 one secure APDU carries */
/* The largest message (without NLEN) a wallet of that version takes. */
size_t keycard_client_ndef_max(uint16_t version);
/* Reads the NDEF message (without NLEN). Leaves the NDEF application selected (kc->selected
 * cleared). An empty file gives *len 0. */
int keycard_client_ndef_read(keycard_client *kc, uint8_t *msg, size_t cap, size_t *len);
/* Writes msg (len <= keycard_client_ndef_max(kc->info.version)) through the selected wallet. */
int keycard_client_ndef_write(keycard_client *kc, const uint8_t *msg, size_t len);
/* One-record NDEF messages (NFC Forum NDEF 1.0 and URI RTD 1.0): a URI record (well-known type
 * "U", with the RTD's prefix abbreviation when one applies) and an Android Application Record
 * (external type "android.com:pkg", the payload the package name). Short records up to 255
 * payload bytes, long records above. */
int keycard_client_ndef_uri_record(const char *uri, uint8_t *out, size_t cap, size_t *len);
int keycard_client_ndef_aar_record(const char *package, uint8_t *out, size_t cap, size_t *len);

/* ---- IDENTIFY CARD (IdentApplet.identifyCard, tag 3.2) ----
 * Asked of the selected application (the wallet: through the channel when one is open, else
 * plain; or Cash). The answer A0 81 L { 8A 62 certificate, DER signature } is accepted when the
 * certificate's CA signature of SHA-256(identity key) verifies under ca_pub and recovers it with
 * the certificate's recovery id, and the signature of the challenge verifies under the identity
 * key. */
#define KEYCARD_CLIENT_INS_IDENTIFY_CARD 0x14
#define KEYCARD_CLIENT_CERT_LEN 98
typedef struct keycard_client_identity {
  uint8_t cert[KEYCARD_CLIENT_CERT_LEN];
  uint8_t ident_pub[33]; /* the card's identity key, compressed */
  uint8_t ca_pub[33];    /* the CA key recovered from the certificate, compressed */
} keycard_client_identity;
/* Checks an answer to challenge. ca_pub: 33 or 65 bytes, or NULL to only check the answer's own
 * consistency (the recovered CA key is then in id->ca_pub for the caller to judge). OK, EVERIFY
 * (a signature does not verify or the CA key differs) or EPROTO (malformed). */
int keycard_client_verify_identity(const uint8_t challenge[32], const uint8_t *resp, size_t len,
                                   const uint8_t *ca_pub, size_t ca_len, keycard_client_identity *id);
/* Sends a random challenge and verifies the answer as above. 6985 (no certificate) is ECARD. */
int keycard_client_identify(keycard_client *kc, const uint8_t *ca_pub, size_t ca_len,
                            keycard_client_identity *id);

/* ---- Ident provisioning (test cards; status-keycard-java IdentCommandSet.storeData and
 * Certificate.createCertificate) ----
 * Makes the certificate for identity key ident_priv (NULL: a fresh random key), signed by the CA
 * key ca_priv: the identity public key compressed || the CA's signature r || s of its SHA-256 ||
 * the recovery id; selects the Ident application (instance A000000804000104 01) and sends STORE
 * DATA 80 E2 00 00 with certificate || identity private key. id receives the certificate, the
 * identity key and the CA key. A card that already holds an identity answers 6985 (ECARD). The
 * wallet is deselected afterwards (kc->selected cleared). */
extern const uint8_t keycard_client_ident_aid[9];
int keycard_client_ident_provision(keycard_client *kc, const uint8_t ca_priv[32], const uint8_t *ident_priv,
                                   keycard_client_identity *id);

#endif
