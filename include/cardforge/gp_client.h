/* Host side of GlobalPlatform: selecting a Security Domain, opening SCP02/SCP03 secure channels at
 * a chosen security level, GET DATA (CPLC, card recognition data, key information), PUT KEY with
 * encrypted key values and verified check values, DELETE KEY, GET STATUS, and card content
 * management (SET STATUS, DELETE, INSTALL, LOAD, STORE DATA). Nothing here assumes the card is a
 * cardforge card: it speaks to any GP 2.x card through a cf_transport. */
#ifndef CARDFORGE_GP_CLIENT_H
#define CARDFORGE_GP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardforge/error.h"
#include "cardforge/scp.h"
#include "cardforge/transport.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

enum {
  CF_GP_OK = CF_OK,
  CF_GP_ERR_TRANSPORT = CF_ERR_TRANSPORT, /* the reader failed (c->err) */
  CF_GP_ERR_CARD = CF_ERR_CARD,           /* unexpected status word (c->last_sw) */
  CF_GP_ERR_VERIFY = CF_ERR_VERIFY,       /* a cryptogram, R-MAC or check value did not match */
  CF_GP_ERR_PARAM = CF_ERR_ARG,           /* the request cannot be made (bad key length, level not offered) */
  CF_GP_ERR_DATA = CF_ERR_PROTO,          /* the card's answer is malformed */
};

typedef struct cf_gp_client {
  cf_transport *t;
  cf_scp_session scp;
  bool open;
  uint8_t sd_aid[16]; /* the selected Security Domain (from its FCI), when known */
  size_t sd_aid_len;
  uint8_t scp02_i;     /* SCP02 "i" from the card recognition data; 0 = unknown (0x55 assumed) */
  bool card_data_read; /* GET DATA 66 was tried for it */
  uint8_t kvn;         /* key set of the open channel */
  uint8_t kdd[10];     /* key diversification data of the last INITIALIZE UPDATE answer */
  bool have_kdd;
  uint16_t last_sw;
  char err[256]; /* one line describing the last failure */
} cf_gp_client;

void cf_gp_client_init(cf_gp_client *c, cf_transport *t);
/* Forgets the channel and wipes its keys. */
void cf_gp_close(cf_gp_client *c);

/* SELECT the Security Domain: aid, or when NULL the GP ISD (A000000151000000), then the older
 * A000000003000000, then the card's default selection. fci may be NULL. */
int cf_gp_select(cf_gp_client *c, const uint8_t *aid, size_t aid_len, uint8_t *fci, size_t cap, size_t *len);

typedef struct cf_gp_open_opts {
  int scp;                       /* 0: whatever the card answers; 2 or 3: insist */
  uint8_t level;                 /* CF_SCP_* bits */
  uint8_t kvn;                   /* INITIALIZE UPDATE P1: 00 = the card's default set */
  const uint8_t *host_challenge; /* 8 bytes (16 with s16), NULL = random */
  bool s16;                      /* SCP03 S16 mode (GlobalPlatformPro's -s16): 16-byte challenges and MACs */
  int diversify;                 /* CF_SCP_DIV_*: keys are master keys, diversified with the card's KDD */
  /* Session keys from elsewhere (static keys kept in a PKCS#11 token): called once the session is
   * set up from keys (then placeholders of the right length) to replace its s_enc, s_mac, s_rmac and
   * dek, with the card's KDD for diversify; returns 0 or -1. NULL: keys are the static keys. */
  int (*session_keys)(void *ctx, cf_scp_session *s, uint16_t counter, const uint8_t *host_challenge,
                      const uint8_t *card_challenge, const uint8_t kdd[10]);
  void *session_ctx;
} cf_gp_open_opts;

/* INITIALIZE UPDATE + EXTERNAL AUTHENTICATE. keys->klen must suit the protocol the card answers.
 * With o->diversify the keys are masters: the card's keys are derived from them and the first 10
 * bytes of INITIALIZE UPDATE's answer (c->kdd) before the cryptograms are computed. */
int cf_gp_open(cf_gp_client *c, const cf_scp_keys *keys, const cf_gp_open_opts *o);

/* Sends a plain command, protected when a channel is open; returns the unprotected response.
 * flags as for cf_transceive. */
int cf_gp_transmit(cf_gp_client *c, const cf_apdu *plain, unsigned flags, uint8_t *resp, size_t cap,
                   size_t *rlen, uint16_t *sw);

/* GET DATA (CLA 80, INS CA): out receives the whole TLV the card returns. */
int cf_gp_get_data(cf_gp_client *c, uint16_t tag, uint8_t *out, size_t cap, size_t *len);

typedef struct cf_gp_key_info {
  uint8_t id, kvn, type;
  uint16_t len;
  bool extended; /* extended format (key usage and access not shown) */
} cf_gp_key_info;

/* Parses a key information template (E0 { C0 ... }), basic and extended formats. */
int cf_gp_parse_key_info(const uint8_t *data, size_t len, cf_gp_key_info *out, size_t max, size_t *n);
const char *cf_gp_key_type_name(uint8_t type);

/* Card recognition data (tag 66 or the FCI's tag 73). */
typedef struct cf_gp_card_data {
  char gp_version[32];      /* e.g. "2.3.1"; "" when absent */
  uint8_t scp[4], scp_i[4]; /* secure channel protocols offered */
  size_t scp_count;
} cf_gp_card_data;
int cf_gp_parse_card_data(const uint8_t *data, size_t len, cf_gp_card_data *out);
/* Prints CPLC (with or without its 9F7F header) one field a line. -1 if it is not 42 bytes. */
int cf_gp_print_cplc(const uint8_t *data, size_t len, FILE *f);

/* One key of a PUT KEY. */
typedef struct cf_gp_new_key {
  uint8_t type; /* CF_GP_KEY_DES or CF_GP_KEY_AES */
  size_t len;
  uint8_t value[32];
} cf_gp_new_key;

/* Builds the PUT KEY data field: new KVN, then per key type || length || [clear length] encrypted
 * value || 03 || KCV. kcvs (3 bytes per key) receives the check values to expect. Needs an open
 * channel (its DEK). */
int cf_gp_put_key_data(const cf_scp_session *s, uint8_t new_kvn, const cf_gp_new_key *keys, size_t n,
                       uint8_t *out, size_t cap, size_t *len, uint8_t *kcvs);

/* PUT KEY of n keys with ids first_id.. : replace_kvn = 0 adds a set, otherwise replaces that one.
 * chained: one command per key (P1 b8 on all but the last), else one command (P2 b8 when n > 1).
 * The card's KVN || KCVs answer is checked against the keys sent. */
int cf_gp_put_key(cf_gp_client *c, uint8_t replace_kvn, uint8_t new_kvn, uint8_t first_id,
                  const cf_gp_new_key *keys, size_t n, bool chained);

/* DELETE KEY: kvn and/or id (-1 = not given). */
int cf_gp_delete_key(cf_gp_client *c, int kvn, int id);

/* GET STATUS (GP 2.3.1 11.4): one registry entry. */
#define CF_GP_MODULES_MAX 8
typedef struct cf_gp_registry_entry {
  uint8_t aid[16];
  size_t aid_len;
  uint8_t life_cycle;
  uint8_t privileges[3]; /* the deprecated format gives the first byte only */
  size_t privileges_len;
  uint8_t elf_aid[16]; /* an application's load file (TLV tag C4), when the card gives it */
  size_t elf_aid_len;
  size_t module_count;                       /* P1 10: the load file's modules */
  uint8_t module_aid[CF_GP_MODULES_MAX][16]; /* the first CF_GP_MODULES_MAX of them */
  uint8_t module_aid_len[CF_GP_MODULES_MAX];
} cf_gp_registry_entry;

#define CF_GP_STATUS_ISD 0x80
#define CF_GP_STATUS_APPS 0x40
#define CF_GP_STATUS_ELF 0x20
#define CF_GP_STATUS_ELF_MODULES 0x10

/* Privileges (GP 2.3.1 table 6-1, Amendment C for bits 18, 19): bit 0 is b8 of the first byte.
 * The name of a bit ("Card Lock"; "RFU" past 19), and the bit of a name: case, blanks, '-' and '_'
 * ignored, so "CardLock", "card-lock" and "Card Lock" (GlobalPlatformPro spells them the first
 * way) are bit 3; -1 for an unknown name. */
#define CF_GP_PRIVILEGE_BITS 20
const char *cf_gp_privilege_name(size_t bit);
int cf_gp_privilege_bit(const char *name, size_t len);

/* Parses a GET STATUS answer for subset p1: the TLV format (E3 { 4F, 9F70, C5, ... }) or the
 * deprecated one (length, AID, life cycle, privileges; modules after ELFs of P1 10). Appends to
 * out[*n..max); entries beyond max are counted in *n but not stored. */
int cf_gp_parse_status(uint8_t p1, bool tlv_format, const uint8_t *data, size_t len,
                       cf_gp_registry_entry *out, size_t max, size_t *n);

/* GET STATUS of subset p1 with search criteria 4F 00 (everything), following 6310 with "next
 * occurrence". A card answering 6A88 has no such entries (*n = 0). tlv_format false asks for the
 * deprecated format. */
int cf_gp_get_status(cf_gp_client *c, uint8_t p1, bool tlv_format, cf_gp_registry_entry *out, size_t max,
                     size_t *n);

/* ---- Card content management (GP 2.3.1 11.2, 11.5, 11.6, 11.10, 11.11); each needs an open
 * channel on cards that follow the specification. A status word other than 9000 is
 * CF_GP_ERR_CARD with c->last_sw. ---- */

/* Card life cycle states (SET STATUS P1 80) and the application lock (P1 40). */
#define CF_GP_CARD_INITIALIZED 0x07
#define CF_GP_CARD_SECURED 0x0F
#define CF_GP_CARD_LOCKED 0x7F
#define CF_GP_CARD_TERMINATED 0xFF
/* SET STATUS of the card (aid NULL: no data field) to state. */
int cf_gp_set_card_status(cf_gp_client *c, uint8_t state);
/* Locks (true) or unlocks an application. */
int cf_gp_lock_app(cf_gp_client *c, const uint8_t *aid, size_t aid_len, bool lock);

/* DELETE of an application or a load file; related: P2 80 (a load file with its applications). */
int cf_gp_delete_aid(cf_gp_client *c, const uint8_t *aid, size_t aid_len, bool related);

typedef struct cf_gp_install_req {
  const uint8_t *elf_aid, *module_aid, *app_aid;
  size_t elf_aid_len, module_aid_len, app_aid_len;
  uint8_t privileges[3];
  size_t privileges_len; /* 1 or 3; 0 = one byte 00 */
  const uint8_t *c9;     /* the application's install parameters (tag C9), may be NULL */
  size_t c9_len;         /* at most 127 */
  bool selectable;       /* [for install and make selectable] (P1 0C), else [for install] (04) */
} cf_gp_install_req;
int cf_gp_install(cf_gp_client *c, const cf_gp_install_req *r);
int cf_gp_make_selectable(cf_gp_client *c, const uint8_t *aid, size_t aid_len);

/* INSTALL [for load] then LOAD of a Load File Data Block (the CAP components, without C4), in
 * blocks of block_len bytes (0: 200, which leaves room for a C-MAC and C-DEC padding). With
 * hash true the Load File Data Block's SHA-256 goes in INSTALL [for load]. sd_aid NULL: empty. */
int cf_gp_load(cf_gp_client *c, const uint8_t *elf_aid, size_t elf_aid_len, const uint8_t *sd_aid,
               size_t sd_aid_len, const uint8_t *lfdb, size_t lfdb_len, bool hash, size_t block_len);

/* INSTALL [for personalization] of an application, then STORE DATA blocks to it (P1 as the
 * application wants it, P2 the block number the caller counts). */
int cf_gp_install_for_personalization(cf_gp_client *c, const uint8_t *aid, size_t aid_len);
int cf_gp_store_data(cf_gp_client *c, uint8_t p1, uint8_t block, const uint8_t *data, size_t len,
                     uint8_t *resp, size_t cap, size_t *rlen);

/* The `cardforge gp` command on a given transport (cf_cli_gp connects through PC/SC and calls
 * this). Returns an exit code of cli.h. */
struct cf_cli_global;
int cf_gp_cli_run(const struct cf_cli_global *g, cf_transport *t, int argc, char **argv);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
