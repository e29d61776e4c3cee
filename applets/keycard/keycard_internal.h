/* Internals shared by the Keycard applet's files: persistent record layout, the transient context
 * and the per-command request. Persistent state lives only in store records (see card.h). */
#ifndef CF_KEYCARD_INTERNAL_H
#define CF_KEYCARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/apdu.h"
#include "cardforge/card.h"
#include "cardforge/keycard.h"
#include "cardforge/store.h"

/* Store records of the applet's namespace. */
enum {
  KC_REC_CONFIG = 1,         /* version reported in SELECT (2 bytes, big endian) */
  KC_REC_CHANNEL_KEY = 2,    /* the card's secure channel private key (32) */
  KC_REC_UID = 3,            /* instance UID (16) */
  KC_REC_CREDENTIALS = 4,    /* PIN (6) || alternate PIN (6) || PUK (12); present = initialized */
  KC_REC_COUNTERS = 5,       /* see KC_CNT_*: try limits and tries left */
  KC_REC_PAIRING_SECRET = 6, /* 32 */
  KC_REC_PAIRINGS = 7,       /* pairing_slots (5; 3.2: 10) of used flag (1) || pairing key (32) */
  KC_REC_KEY = 8,            /* see KC_KEY_*; absent = no key loaded */
  KC_REC_KEY_PATH = 9,       /* current derivation path, 4 bytes per level */
  KC_REC_PINLESS_PATH = 10,  /* PIN-less path, 4 bytes per level; absent or empty = none */
  KC_REC_CHAIN_SELECT = 11,  /* 1 byte: 1 = derive with the alternate chain code (alt PIN) */
  KC_REC_DATA_PUBLIC = 12,   /* STORE DATA objects: the bytes as stored */
  KC_REC_DATA_NDEF = 13,     /* shared with the NDEF application: layout in cardforge/keycard.h */
  KC_REC_DATA_CASH = 14,
  KC_REC_DUPLICATION = 15,  /* expected entropy count (int16 BE) || duplication key (32) */
  KC_REC_SELECT_COUNT = 16, /* 2.2.1, 3.0: SELECTs since the channel key was made (int16 BE) */
};

/* One released applet version (keycard_version.c): what differs between the tags. */
typedef struct kc_version {
  const char *name;            /* "2.2.1", "3.0", "3.1", "3.2" */
  uint16_t number;             /* APPLICATION_VERSION, reported in SELECT */
  uint8_t capabilities;        /* 8D in SELECT */
  bool init_options;           /* INIT also takes try limits (52) and an alternate PIN (58) */
  bool alt_pin;                /* the alternate (duress) PIN and its alternate chain code */
  bool verify_pin_format;      /* VERIFY PIN: not 6 digits is 6A80, no try spent */
  bool channel_key_rotation;   /* a new channel key pair at every 101st SELECT */
  bool export_extended_public; /* EXPORT KEY P2 02 */
  uint8_t pairing_slots;       /* PAIRING_MAX_CLIENT_COUNT: 5, from 3.2 10 */
  bool ephemeral_pairing;      /* PAIR P2 modes and the ephemeral slot FF */
  bool ndef_chunked;           /* STORE DATA P1 01 writes a chunk at P2 * 4 into the 512-byte file */
  uint8_t seed_min;            /* LOAD KEY P1 03: seed length from seed_min to 64 (64 only before 3.2) */
  /* the commands it knows (keycard_commands.c), and before INIT */
  const cf_command *commands;
  const cf_command *commands_before_init;
} kc_version;

#define KC_CRED_PIN 0
#define KC_CRED_ALT 6
#define KC_CRED_PUK 12
#define KC_CRED_LEN 24

enum { KC_CNT_PIN_LIMIT, KC_CNT_PIN, KC_CNT_ALT, KC_CNT_PUK_LIMIT, KC_CNT_PUK, KC_CNT_LEN };

#define KC_SLOT_LEN 33
#define KC_PAIRINGS_MAX_LEN (KEYCARD_PAIRING_SLOTS_MAX * KC_SLOT_LEN)
#define KC_PAIRINGS_LEN(ver) ((size_t)(ver)->pairing_slots * KC_SLOT_LEN)
/* ctx->pair_slot while the first PAIR step has chosen the ephemeral slot */
#define KC_PAIR_PENDING_EPHEMERAL 0xFF

#define KC_KEY_FLAGS 0 /* bit 0: extended (has a chain code) */
#define KC_KEY_PRIV 1
#define KC_KEY_PUB 33
#define KC_KEY_CHAIN 98
#define KC_KEY_ALT_CHAIN 130
#define KC_KEY_UID 162
#define KC_KEY_LEN 194
#define KC_KEY_EXTENDED 0x01

#define KC_PATH_MAX (KEYCARD_PATH_MAX_DEPTH * 4)
#define KC_DUP_LEN 34

/* Everything kc_derive reads: the master key, its chain codes, the chain selection record and
 * the path. Only bytes, no padding: two inputs compare with cf_ct_equal over the whole struct. */
typedef struct kc_derive_input {
  uint8_t priv[32];
  uint8_t chain[32];
  uint8_t alt_chain[32];
  uint8_t extended;
  uint8_t select_present; /* KC_REC_CHAIN_SELECT holds exactly one byte ... */
  uint8_t select;         /* ... this one */
  uint8_t path_len;
  uint8_t path[KC_PATH_MAX];
} kc_derive_input;

/* The last key SIGN / EXPORT KEY derived below the master key, with its public key: signing
 * again at the same path (the usual case) then costs no derivation and no elliptic-curve
 * multiplication. Valid for exactly the inputs it came from (keycard_sign.c). */
typedef struct kc_derived_cache {
  bool valid;
  kc_derive_input in;
  uint8_t priv[32];
  uint8_t chain[32];
  uint8_t pub[65];
} kc_derived_cache;

/* Transient state: forgotten at reset, power off and (for the session) at SELECT. */
typedef struct kc_ctx {
  /* cache of the channel public key, valid while chan_priv equals the stored private key */
  bool chan_cached;
  uint8_t chan_priv[32];
  uint8_t chan_pub[65];
  /* secure channel session: keys set by OPEN SECURE CHANNEL, open after MUTUALLY AUTHENTICATE */
  bool sc_keys;
  bool sc_auth;
  uint8_t sc_enc[32];
  uint8_t sc_mac[32];
  uint8_t sc_iv[16];
  /* PAIR: 0 = no first step done, KC_PAIR_PENDING_EPHEMERAL, else preassigned slot + 1 */
  uint8_t pair_slot;
  uint8_t pair_challenge[32];
  /* 3.2: the ephemeral pairing (slot FF), transient like the applet's CLEAR_ON_DESELECT array */
  bool eph_paired;
  uint8_t eph_key[32];
  /* PIN state: validated in this session; alt_active = the alternate PIN is the current PIN */
  bool pin_validated;
  bool alt_active;
  /* derivation path being worked on by DERIVE KEY / SIGN / EXPORT KEY */
  uint8_t tmp_path[KC_PATH_MAX];
  size_t tmp_path_len;
  /* kept across SELECT like chan_cached: it depends on the key, not on the session */
  kc_derived_cache derived;
  /* install parameter ident_ns: the Ident application's namespace (0 = none on this card); a
   * property of the card, so kept across resets */
  uint16_t ident_ns;
} kc_ctx;

/* One command being processed. */
typedef struct kc_req {
  cf_applet *app;
  kc_ctx *ctx;
  const kc_version *ver; /* the card's applet version */
  const cf_apdu *cmd;
  const uint8_t *data; /* command data: the plaintext once unwrapped */
  size_t len;
  uint8_t plain[256];
  uint8_t out[256]; /* response data, wrapped at the end when the secure channel is open */
  size_t out_len;
  bool final; /* the response goes out as it is, never wrapped */
} kc_req;

/* A loaded key, from KC_REC_KEY. */
typedef struct kc_key {
  bool present;
  bool extended;
  uint8_t priv[32];
  uint8_t pub[65];
  uint8_t chain[32];
  uint8_t alt_chain[32];
  uint8_t uid[32];
} kc_key;

/* ---- store access (keycard_store.c) ---- */
const uint8_t *kc_peek(const cf_applet *app, unsigned rec, size_t *len);
bool kc_put(cf_applet *app, unsigned rec, const void *data, size_t len);
bool kc_delete(cf_applet *app, unsigned rec);
bool kc_initialized(const cf_applet *app);

/* ---- the command being processed (keycard_request.c) ---- */
bool kc_out(kc_req *rq, const void *data, size_t len);
bool kc_digits(const uint8_t *p, size_t len);

/* ---- command tables, one per version, 3.2 using 3.1.0's (keycard_commands.c); handlers take a
 * kc_req ---- */
extern const cf_command kc_commands_2_2_1[], kc_commands_3_0[], kc_commands_3_1[];
extern const cf_command kc_commands_before_init_2x[], kc_commands_before_init_3_1[];

/* ---- versions (keycard_version.c) ---- */
const kc_version *kc_version_by_name(const char *name);
const kc_version *kc_version_by_number(uint16_t number);
const kc_version *kc_version_of(const cf_applet *app);

/* ---- secure channel (keycard_channel.c) ---- */
bool kc_sc_open(const kc_ctx *ctx);
void kc_sc_reset(kc_ctx *ctx);
uint16_t kc_sc_unwrap(kc_req *rq);
bool kc_sc_wrap(kc_ctx *ctx, const uint8_t *data, size_t len, uint16_t sw, cf_rapdu *resp);
uint16_t kc_one_shot_decrypt(kc_req *rq);
const uint8_t *kc_channel_pub(cf_applet *app, kc_ctx *ctx);
bool kc_channel_regenerate(cf_applet *app, kc_ctx *ctx);
uint8_t kc_free_slots(const cf_applet *app);
void kc_forget_ephemeral_pairing(kc_ctx *ctx);
uint16_t kc_open_secure_channel(void *request);
uint16_t kc_mutually_authenticate(void *request);
uint16_t kc_pair(void *request);
uint16_t kc_unpair(void *request);

/* ---- credentials (keycard_credentials.c) ---- */
uint16_t kc_init(void *request);
uint16_t kc_verify_pin(void *request);
uint16_t kc_change_pin(void *request);
uint16_t kc_unblock_pin(void *request);
uint8_t kc_pin_tries(const cf_applet *app, const kc_ctx *ctx);
uint8_t kc_puk_tries(const cf_applet *app);

/* ---- keys and paths (keycard_keys.c) ---- */
bool kc_key_get(const cf_applet *app, kc_key *key);
uint16_t kc_key_install(cf_applet *app, const uint8_t priv[32], const uint8_t *pub, const uint8_t *chain,
                        uint8_t uid[32]);
uint16_t kc_key_from_seed(cf_applet *app, const uint8_t *seed, size_t len, uint8_t uid[32]);
uint16_t kc_parse_key_template(const uint8_t *p, size_t len, uint8_t priv[32], uint8_t pub[65], bool *has_pub,
                               uint8_t chain[32], bool *has_chain);
/* A path record (KC_REC_KEY_PATH, KC_REC_PINLESS_PATH): NULL and *len 0 when absent or malformed */
const uint8_t *kc_path_record(const cf_applet *app, unsigned rec, size_t *len);
uint16_t kc_update_path(kc_req *rq, const uint8_t *data, size_t len, uint8_t source);
bool kc_commit_path(kc_req *rq);
uint16_t kc_derive(kc_req *rq, const kc_key *key, uint8_t priv[32], uint8_t chain[32]);
bool kc_path_is_pinless(const kc_req *rq);
uint16_t kc_load_key(void *request);
uint16_t kc_generate_key(void *request);
uint16_t kc_remove_key(void *request);
uint16_t kc_derive_key(void *request);
uint16_t kc_set_pinless_path(void *request);

/* ---- BIP32 (keycard_bip32.c) ---- */
int kc_bip32_master(const uint8_t *seed, size_t len, uint8_t priv[32], uint8_t chain[32]);
int kc_bip32_derive(const uint8_t priv[32], const uint8_t chain[32], const uint8_t *path, size_t path_len,
                    uint8_t out_priv[32], uint8_t out_chain[32]);

/* ---- signing, export, mnemonic (keycard_sign.c) ---- */
uint16_t kc_key_at_path(kc_req *rq, const kc_key *key, uint8_t priv[32], uint8_t chain[32], uint8_t pub[65]);
uint16_t kc_sign_at_path(kc_req *rq, const kc_key *key);
bool kc_path_is_eip1581(const uint8_t *path, size_t len);
uint16_t kc_sign(void *request);
uint16_t kc_export_key(void *request);
uint16_t kc_generate_mnemonic(void *request);

/* ---- 2.2.1 and 3.0: derivation at DERIVE KEY time and its checks (keycard_eager.c) ---- */
uint16_t kc_eager_derive_key(void *request);
uint16_t kc_eager_set_pinless_path(void *request);
uint16_t kc_eager_sign(void *request);
uint16_t kc_eager_export_key(void *request);

/* ---- status, data, reset, identity (keycard_data.c) ---- */
uint16_t kc_get_status(void *request);
uint16_t kc_set_ndef(void *request);
uint16_t kc_get_data(void *request);
uint16_t kc_store_data(void *request);
uint16_t kc_factory_reset(void *request);
uint16_t kc_identify_card(void *request);

/* ---- DUPLICATE KEY (keycard_duplicate.c) ---- */
uint16_t kc_duplicate_key(void *request);

#endif
