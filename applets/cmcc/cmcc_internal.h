/* Shared machinery of the China Mobile cards: the master cards' (KMC, authentication card, working
 * card) key file, PINs, external authentication and random lifetime; the target devices' (user
 * card, SAM, terminal) common commands and key tables; dispatch. Private to applets/cmcc. */
#ifndef CMCC_INTERNAL_H
#define CMCC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cardforge/apdu.h>
#include <cardforge/card.h>
#include <cardforge/cmcc.h>
#include <cardforge/cmcc_crypto.h>

/* Store records (per applet namespace). */
#define CMCC_REC_INIT 0x0001 /* every applet: written last by install, so a reopened card keeps its state */
#define CMCC_REC_PIN(n) (0x0010 + (n))  /* n = 1..3: PIN (8) || tries left (1) */
#define CMCC_REC_KEY(n) (0x0100 + (n))  /* n = 1..max: attributes (11) || value (16) || auth tries (1) */
#define CMCC_REC_INFO(t) (0x0200 + (t)) /* Update Info data of type t */
#define CMCC_KEY_REC_LEN 28
#define CMCC_INFO_MAX 64

typedef struct cmcc_key {
  uint8_t attrs[CMCC_ATTR_LEN];
  uint8_t value[CMCC_KEY_LEN];
  uint8_t tries; /* external-authentication tries left (keys used for External Authentication) */
} cmcc_key;

typedef struct cmcc_applet_ctx cmcc_applet_ctx;

/* What distinguishes one master card from another. */
typedef struct cmcc_master_kind {
  uint32_t device_code;  /* 9F0C device type */
  uint8_t auth_key[3];   /* External Authentication P2 00..02 -> key type, 0 = not on this card */
  uint8_t reload_key;    /* key type whose authentication allows Reload PIN */
  uint8_t import_key[3]; /* Import Key P2 01/02 -> decryption key type (index 1, 2), 0 = none */
  uint8_t info_keys[2];  /* Update Info keys, operator (may write the enterprise ID) first */
  uint8_t (*import_level)(uint8_t type); /* level a type is imported at on this card, 0 = never */
  size_t max_keys;
  bool select_random;         /* working card: SELECT answers a fresh random (tag 9F37) */
  const char *default_keys;   /* key types preset at install, hex list */
  const char *default_eid;    /* enterprise ID preset at install (hex) or NULL */
  const cf_command *commands; /* all the card's commands, its table (one file per card) */
} cmcc_master_kind;

/* cf_applet_ops is the first member, so app->ops leads back to the kind. */
typedef struct cmcc_master_ops {
  cf_applet_ops ops;
  const cmcc_master_kind *kind;
} cmcc_master_ops;

#define CMCC_MASTER_OPS(name_, kind_)                                                                        \
  {                                                                                                          \
    .ops = {.name = name_,                                                                                   \
            .ctx_size = sizeof(cmcc_applet_ctx),                                                             \
            .install = cmcc_master_install,                                                                  \
            .reset = cmcc_master_reset,                                                                      \
            .select = cmcc_master_select,                                                                    \
            .deselect = cmcc_master_reset,                                                                   \
            .process = cmcc_master_process,                                                                  \
            .destroy = NULL},                                                                                \
    .kind = kind_,                                                                                           \
  }

struct cmcc_applet_ctx {
  uint8_t pin_ok;   /* bit n = PIN n verified */
  uint32_t auth_ok; /* bit t = key type t authenticated */
  bool challenge_issued;
  bool challenge_valid; /* armed by Get Challenge for the next command */
  bool challenge_now;   /* this command follows Get Challenge */
  uint8_t challenge[CMCC_RANDOM_LEN];
  /* INIT_FOR_GENERATE session, only while Generate Key commands follow */
  uint8_t gen_remaining;
  uint8_t gen_now; /* keys left in the session this Generate Key belongs to */
  uint8_t gen_seed[16];
  /* working card: SELECT random and the sub-application key of the last Export Key */
  bool select_random_valid;
  uint8_t select_random[CMCC_RANDOM_LEN];
  bool subkey_valid;
  uint8_t subkey[CMCC_KEY_LEN];
};

static inline const cmcc_master_kind *cmcc_kind(const cf_applet *app) {
  return ((const cmcc_master_ops *)app->ops)->kind;
}
static inline cmcc_applet_ctx *cmcc_ctx(cf_applet *app) {
  return (cmcc_applet_ctx *)app->ctx;
}

/* A China Mobile handler's request: the APDU request first (handlers read it as a cf_apdu_request)
 * and the conditions its table row declares, which cmcc_access_ok checks. */
typedef struct cmcc_request {
  cf_apdu_request apdu;
  cf_command_access access;
} cmcc_request;

/* ---- master-card ops (cmcc_master.c) ---- */
int cmcc_master_install(cf_applet *app, const char *params);
void cmcc_master_reset(cf_applet *app);
uint16_t cmcc_master_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp);
uint16_t cmcc_master_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp);

/* Security state. */
bool cmcc_pin_ok(cf_applet *app, uint8_t pin);
bool cmcc_auth_ok(cf_applet *app, uint8_t key_type);
/* The conditions of the command's table row on a master card: the application PIN verified
 * (CF_ACCESS_PIN) and one of key_types (bit t: key type t, cmcc_key_bit) authenticated by External
 * Authentication (CF_ACCESS_AUTHENTICATED). The handler calls it where the spec orders the check:
 * after its parameter checks, which answer first. */
bool cmcc_access_ok(const void *request, uint32_t key_types);
static inline uint32_t cmcc_key_bit(uint8_t key_type) {
  return key_type && key_type < 32 ? 1u << key_type : 0; /* type 0: no key */
}
/* The random of the Get Challenge right before this command: CMCC_RANDOM_LEN bytes, or NULL. */
const uint8_t *cmcc_challenge(cf_applet *app);

/* ---- key file (cmcc_keyfile.c) ---- */
size_t cmcc_key_count(cf_applet *app);
bool cmcc_key_read(cf_applet *app, size_t n, cmcc_key *out);
/* Finds by version, index, type (the order commands send them); returns the record number or 0. */
size_t cmcc_key_find(cf_applet *app, uint8_t version, uint8_t index, uint8_t type, cmcc_key *out);
/* The key of a type for fixed roles: the highest version, the first record among equals. 0 if none. */
size_t cmcc_key_find_type(cf_applet *app, uint8_t type, cmcc_key *out);
/* Writes record n; false on a store failure. */
bool cmcc_key_write(cf_applet *app, size_t n, const cmcc_key *key);
/* Stores a key: replaces the record with the same type/version/index/algorithm, else appends.
 * Returns the record number, 0 if the file is full, -1 on a store failure. */
long cmcc_key_store(cf_applet *app, const uint8_t attrs[CMCC_ATTR_LEN], const uint8_t value[CMCC_KEY_LEN]);
/* Checks a key before a computation and counts the use: status AA (else 6484), algorithm 3DES
 * (else 9408), use counter not exhausted (else 6484). Returns SW_OK or the word. */
uint16_t cmcc_key_use(cf_applet *app, size_t n, cmcc_key *key);
/* Diversification rules of the usage attribute (spec table 8-2-8) for `levels` levels. */
bool cmcc_key_levels_ok(const cmcc_key *key, size_t levels);
bool cmcc_key_can_compute(const cmcc_key *key);
/* Default attributes of a preset key of that type (docs/cmcc-profile.md). */
void cmcc_key_default_attrs(uint8_t type, uint8_t attrs[CMCC_ATTR_LEN]);
void cmcc_key_default_value(uint8_t type, uint8_t value[CMCC_KEY_LEN]);

/* ---- commands every master card has; handlers take a cf_apdu_request (card.h) ---- */
/* cmcc_master.c */
uint16_t cmcc_cmd_verify_pin(void *request);
uint16_t cmcc_cmd_change_pin(void *request);
uint16_t cmcc_cmd_reload_pin(void *request);
uint16_t cmcc_cmd_get_challenge(void *request);
uint16_t cmcc_cmd_external_auth(void *request);
uint16_t cmcc_cmd_select(void *request);
uint16_t cmcc_cmd_read_keyinfo(void *request);
uint16_t cmcc_cmd_get_response(void *request);
/* cmcc_import.c: Import Key, and Update Info (P2 00) */
uint16_t cmcc_cmd_import_key(void *request);

/* The rows of those commands, first in each master card's table (cmcc_kmc.c, cmcc_authcard.c,
 * cmcc_workcard.c); the card's own rows follow. CF_ACCESS_PIN: the application PIN verified;
 * CF_ACCESS_AUTHENTICATED: the key the handler names authenticated. The handler checks them with
 * cmcc_access_ok after its parameter checks, the order the spec gives the status words in. */
/* clang-format off */
#define CMCC_MASTER_BASIC_COMMANDS                                                                      \
    {CMCC_CLA_BASIC, CMCC_INS_VERIFY_PIN, CF_ACCESS_NONE, cmcc_cmd_verify_pin},                         \
    {CMCC_CLA_BASIC, CMCC_INS_CHANGE_PIN, CF_ACCESS_NONE, cmcc_cmd_change_pin},                         \
    {CMCC_CLA_BASIC, CMCC_INS_RELOAD_PIN, CF_ACCESS_AUTHENTICATED, cmcc_cmd_reload_pin},                \
    {CMCC_CLA_BASIC, CMCC_INS_GET_CHALLENGE, CF_ACCESS_NONE, cmcc_cmd_get_challenge},                   \
    {CMCC_CLA_BASIC, CMCC_INS_EXTERNAL_AUTH, CF_ACCESS_NONE, cmcc_cmd_external_auth},                   \
    {CMCC_CLA_BASIC, CMCC_INS_SELECT, CF_ACCESS_NONE, cmcc_cmd_select},                                 \
    {CMCC_CLA_ISO, CMCC_INS_SELECT, CF_ACCESS_NONE, cmcc_cmd_select},                                   \
    {CMCC_CLA_ISO, CMCC_INS_READ_KEYINFO, CF_ACCESS_NONE, cmcc_cmd_read_keyinfo},                       \
    {CMCC_CLA_ISO, CMCC_INS_GET_RESPONSE, CF_ACCESS_NONE, cmcc_cmd_get_response},                       \
    {CMCC_CLA_PROP, CMCC_INS_IMPORT_KEY, CF_ACCESS_PIN | CF_ACCESS_AUTHENTICATED, cmcc_cmd_import_key}
/* clang-format on */

/* ---- KMC Export Keys&Data (cmcc_export.c) ---- */
uint16_t cmcc_kmc_export_keys_data(void *request);

/* ---- the three master cards (one file each, with its command table) ---- */
extern const cmcc_master_ops cmcc_kmc_ops, cmcc_authcard_ops, cmcc_workcard_ops;

/* ---- target devices: what the user card, the SAM and the terminal share (cmcc_target.c) ---- */
#define CMCC_TGT_KEY_ENTRY 18 /* key id (or index) || version || value */

/* First member of every target's transient context. */
typedef struct cmcc_target_ctx {
  bool challenge_valid; /* armed by GET CHALLENGE for the next command */
  bool challenge_now;
  uint8_t challenge[CMCC_RANDOM_LEN];
} cmcc_target_ctx;

/* A data object GET DATA reports: bytes [offset, offset + len) of a store record of rec_len bytes. */
typedef struct cmcc_tgt_object {
  uint8_t tag;
  uint16_t rec;
  size_t rec_len, offset, len;
} cmcc_tgt_object;

/* What distinguishes one target from another. */
typedef struct cmcc_target_kind {
  uint32_t fci_device;            /* SELECT answers the FCI with this device code; 0 = no data */
  const cf_command *commands;     /* all the device's commands, its table (one file per device) */
  const cmcc_tgt_object *objects; /* GET DATA */
  size_t nobjects;
  /* INTERNAL AUTHENTICATE / VERIFY MAC: whether P1 P2 can name a key (else 6A86), and the key they
   * name (SW_OK, 6A88 none, 6F00 store failure) */
  bool (*key_ref_ok)(uint8_t p1, uint8_t p2);
  uint16_t (*key_find)(cf_applet *app, uint8_t p1, uint8_t p2, uint8_t key[CMCC_KEY_LEN]);
  bool session_mac; /* VERIFY MAC under session(stored key, R) (user card) instead of the key itself */
} cmcc_target_kind;

typedef struct cmcc_target_ops {
  cf_applet_ops ops;
  const cmcc_target_kind *kind;
} cmcc_target_ops;

void cmcc_tgt_reset(cf_applet *app);
uint16_t cmcc_tgt_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp);
uint16_t cmcc_tgt_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp);

#define CMCC_TARGET_OPS(name_, ctx_type_, install_, kind_)                                                   \
  {                                                                                                          \
    .ops = {.name = name_,                                                                                   \
            .ctx_size = sizeof(ctx_type_),                                                                   \
            .install = install_,                                                                             \
            .reset = cmcc_tgt_reset,                                                                         \
            .select = cmcc_tgt_select,                                                                       \
            .deselect = cmcc_tgt_reset,                                                                      \
            .process = cmcc_tgt_process,                                                                     \
            .destroy = NULL},                                                                                \
    .kind = kind_,                                                                                           \
  }

/* The classes and the instruction of the targets' commands beside those of cmcc.h. */
#define CMCC_TGT_CLA_PLAIN 0x00
#define CMCC_TGT_INS_SELECT 0xA4

/* Commands every target has; handlers take a cf_apdu_request (card.h). */
uint16_t cmcc_tgt_get_challenge(void *request);
uint16_t cmcc_tgt_internal_auth(void *request);
uint16_t cmcc_tgt_get_data(void *request);
uint16_t cmcc_tgt_select_other(void *request);
uint16_t cmcc_tgt_verify_mac(void *request);

/* The random of the GET CHALLENGE right before this command, or NULL. */
const uint8_t *cmcc_tgt_random(cf_applet *app);
/* cmd = CIPP Lc cipher || MAC from Export Keys&Data: checks Lc (6700), the random (6985), the MAC
 * under key (6988) and the padding (6A80), leaves the plaintext in plain. */
uint16_t cmcc_tgt_unwrap(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const cf_apdu *cmd,
                         uint8_t *plain, size_t cap, size_t *plain_len);

/* Key tables: count (1) || count x CMCC_TGT_KEY_ENTRY. The entry with that id, or NULL. */
uint8_t *cmcc_tgt_key_entry(uint8_t *table, uint8_t id);
/* Stores an entry: replaces the one with the same id, else appends it (count + 1); false when
 * max entries are used already. */
bool cmcc_tgt_key_put(uint8_t *table, size_t max, const uint8_t entry[CMCC_TGT_KEY_ENTRY]);
/* READ's key list: count || count x (id, version). Returns its length. */
size_t cmcc_tgt_key_list(const uint8_t *table, uint8_t *out);

/* ---- the three targets (one file each) ---- */
extern const cmcc_target_ops cmcc_usercard_ops, cmcc_sam_ops, cmcc_terminal_ops;

/* ---- helpers (cmcc_common.c) ---- */
/* Reads a hex param of exactly len bytes: 1 = present and valid, 0 = absent, -1 = malformed. */
int cmcc_param_hex(const char *params, const char *name, uint8_t *out, size_t len);
/* Appends the FCI of a China Mobile application (spec tables 8-1-17..20). random may be NULL. */
bool cmcc_put_fci(cf_rapdu *resp, const uint8_t *aid, size_t aid_len, uint32_t device_code,
                  const uint8_t *random);
/* Store write with the 6581 convention: true on success. */
bool cmcc_put(cf_applet *app, uint16_t rec, const void *data, size_t len);
/* Store read of a record of exactly len bytes: true on success. */
bool cmcc_get(cf_applet *app, uint16_t rec, void *out, size_t len);
/* Install already done (a reopened card), and marking it done (install's last write). */
bool cmcc_installed(cf_applet *app);
bool cmcc_mark_installed(cf_applet *app);
/* MAC 9.19 over data with IV random || 00000000 (the working card's and the terminal's MAC1..4, the
 * auth card's MAC Generate); the check answers SW_OK, 6988 or 6F00. */
int cmcc_rmac(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const uint8_t *data, size_t len,
              uint8_t mac[CMCC_MAC_LEN]);
uint16_t cmcc_rmac_check(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const uint8_t *data,
                         size_t len, const uint8_t mac[CMCC_MAC_LEN]);
/* The MAC of a MAC-protected command cmd = CIPP Lc body || MAC (9.19, IV random || 0): Import Key,
 * Update Info, VERIFY MAC. Constant-time comparison. */
bool cmcc_cmd_mac_ok(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const cf_apdu *cmd);
/* Runs the handler of the row of the card's table with this CLA and INS. 6E00 for a class no row
 * uses or an instruction known with another class, 6D00 for an unknown instruction. */
uint16_t cmcc_dispatch(const cf_command *table, cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp);

#endif
