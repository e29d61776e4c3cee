/* The GlobalPlatform Issuer Security Domain applet: shared declarations of its parts
 * (gp_applet.c dispatch and secure channel, gp_keys.c key table, gp_put_key.c PUT KEY and DELETE
 * KEY, gp_data.c GET DATA and SELECT data, gp_registry.c the card manager's registry and select
 * gate, gp_status.c GET STATUS, gp_set_status.c SET STATUS, gp_content.c DELETE / INSTALL /
 * STORE DATA, gp_load.c INSTALL [for load] and LOAD). docs/gp.md describes every byte. */
#ifndef CARDFORGE_GP_INTERNAL_H
#define CARDFORGE_GP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/scp.h"

/* Persistent records (namespace = the applet's). */
#define GP_REC_CONFIG 1
#define GP_REC_KEYS 2
#define GP_REC_REGISTRY 3         /* gp_registry: card life cycle, application states */
#define GP_REC_COUNTER_BASE 0x100 /* + KVN: a key set's sequence counter, 3 bytes */

/* The commands of the ISD (GP 2.3.1 chapter 11; the table is in gp_applet.c). */
#define GP_INS_INITIALIZE_UPDATE 0x50
#define GP_INS_EXTERNAL_AUTHENTICATE 0x82
#define GP_INS_SELECT 0xA4
#define GP_INS_GET_DATA 0xCA
#define GP_INS_PUT_KEY 0xD8
#define GP_INS_DELETE 0xE4
#define GP_INS_GET_STATUS 0xF2
#define GP_INS_SET_STATUS 0xF0
#define GP_INS_INSTALL 0xE6
#define GP_INS_LOAD 0xE8
#define GP_INS_STORE_DATA 0xE2
/* A table row of this class needs the GlobalPlatform class (b8 set: 80 or 84), else 6E00. */
#define GP_CLA_GP 0x80
/* EXTERNAL AUTHENTICATE: the host cryptogram is wrong (GP 2.3.1 11.8.3 / 11.8.4, SW 6300). */
#define GP_SW_AUTHENTICATION_FAILED 0x6300

#define GP_MAX_KEYS 24 /* key table entries */
#define GP_MAX_KEY_LEN 32

typedef struct gp_key {
  uint8_t id, kvn, type, len;
  uint8_t value[GP_MAX_KEY_LEN];
} gp_key;

typedef struct gp_key_table {
  size_t count;
  gp_key keys[GP_MAX_KEYS];
} gp_key_table;

/* Created once, when the card is first installed (params only matter then). All bytes. */
typedef struct gp_config {
  uint8_t version;
  uint8_t scp02_i, scp03_i;
  uint8_t cplc[42];
  uint8_t kdd[10]; /* key diversification data of INITIALIZE UPDATE */
  uint8_t cin[8];  /* card image number, tag 45 */
} gp_config;

/* Card life cycle states (GP 2.3.1 11.1.1, table 11-3). */
#define GP_CARD_OP_READY 0x01
#define GP_CARD_INITIALIZED 0x07
#define GP_CARD_SECURED 0x0F
#define GP_CARD_LOCKED 0x7F
#define GP_CARD_TERMINATED 0xFF
/* Application life cycle (table 11-4): INSTALLED, SELECTABLE; LOCKED is b8 over the state it
 * locks. GP_APP_DELETED is ours: no GP state is 00; the instance is gone from the registry. */
#define GP_APP_DELETED 0x00
#define GP_APP_INSTALLED 0x03
#define GP_APP_SELECTABLE 0x07
#define GP_APP_LOCKED_BIT 0x80
/* Executable Load File life cycle (table 11-2): LOADED. */
#define GP_ELF_LOADED 0x01

#define GP_MAX_APP_STATES 16
#define GP_MAX_PACKAGES 8
/* gp_registry.elf[]: a built-in package as built (listed when the card holds an instance of it),
 * deleted, or loaded with LOAD. */
#define GP_ELF_AS_BUILT 0
#define GP_ELF_DELETED 1
#define GP_ELF_LOADED_BY_HOST 2

/* The card's registry as the store keeps it: what differs from the card as built. Instances
 * absent from apps[] are SELECTABLE. */
typedef struct gp_registry {
  uint8_t version;
  uint8_t card_state;
  uint8_t elf[GP_MAX_PACKAGES]; /* per built-in package, GP_ELF_* */
  uint8_t count;
  struct {
    uint8_t aid_len;
    uint8_t aid[16];
    uint8_t state;
  } apps[GP_MAX_APP_STATES];
} gp_registry;

/* A package built into cardforge: its AID and its modules (applet classes). An instance belongs
 * to a module when its AID begins with the module's AID or is one of the module's usual instance
 * AIDs (NDEF's D2760000850101). */
typedef struct gp_aid {
  uint8_t len;
  uint8_t b[16];
} gp_aid;
#define GP_MAX_MODULES 4
typedef struct gp_package {
  gp_aid aid;
  size_t module_count;
  gp_aid modules[GP_MAX_MODULES];
  gp_aid instances[GP_MAX_MODULES]; /* a usual instance AID per module outside its prefix, or len 0 */
} gp_package;

/* The longest load file (all LOAD blocks together) the card accepts. */
#define GP_LOAD_MAX 65536

enum gp_state { GP_NO_SESSION = 0, GP_INITIALIZED, GP_AUTHENTICATED };

typedef struct gp_ctx {
  enum gp_state state;
  cf_scp_session scp;
  uint8_t kvn;                 /* key set of the session */
  uint8_t host_cryptogram[16]; /* what EXTERNAL AUTHENTICATE must bring (8 bytes, 16 in S16) */
  uint16_t scp02_counter;      /* the SCP02 counter the session keys came from */
  uint8_t requested_level;
  /* A PUT KEY chain (P1 b8): keys wait here, in clear, until the last command. */
  bool chain_active;
  uint8_t chain_old_kvn, chain_new_kvn;
  size_t chain_count;
  gp_key chain_keys[GP_MAX_KEYS];
  /* GET STATUS answered 6310: where "next occurrence" continues (0 = nothing left) */
  uint8_t status_p1;
  size_t status_next;
  /* INSTALL [for personalization]: the application STORE DATA goes to */
  cf_applet *perso;
  /* INSTALL [for load] then LOAD blocks: the load file collects here until the last block */
  bool load_active;
  uint8_t load_package; /* index of the built-in package */
  uint8_t load_block;   /* the block number the next LOAD must carry */
  uint8_t load_hash_len;
  uint8_t load_hash[32];
  size_t load_len;
  uint8_t load_buf[GP_LOAD_MAX];
} gp_ctx;

/* gp_keys.c */
int gp_config_get(cf_applet *app, gp_config *cfg);
int gp_keys_load(cf_applet *app, gp_key_table *t);
int gp_keys_save(cf_applet *app, const gp_key_table *t);
gp_key *gp_keys_find(gp_key_table *t, uint8_t kvn, uint8_t id);
bool gp_keys_has_kvn(const gp_key_table *t, uint8_t kvn);
/* The set that opens a secure channel: ENC/MAC/DEK (ids 1-3) of one type and length. Fills keys
 * and returns the key type (CF_GP_KEY_DES or CF_GP_KEY_AES), or 0 if kvn has no usable set. */
uint8_t gp_keys_channel_set(gp_key_table *t, uint8_t kvn, cf_scp_keys *keys);
/* Sequence counters (0 when the record is absent). */
uint32_t gp_counter_get(cf_applet *app, uint8_t kvn);
int gp_counter_put(cf_applet *app, uint8_t kvn, uint32_t value);
int gp_counter_reset(cf_applet *app, uint8_t kvn);
void gp_key_table_wipe(gp_key_table *t);

/* Command handlers take a cf_apdu_request (card.h). */

/* gp_put_key.c */
uint16_t gp_put_key(void *request);
uint16_t gp_delete_key(void *request);
void gp_chain_abort(gp_ctx *ctx);

/* gp_data.c */
uint16_t gp_get_data(void *request);
/* The FCI of the Security Domain (answer to SELECT). */
uint16_t gp_fci(cf_applet *app, cf_rapdu *resp);

/* gp_status.c: GET STATUS (needs an authenticated session, checked by the caller) */
uint16_t gp_get_status(void *request);

/* gp_registry.c */
int gp_registry_get(cf_applet *isd, gp_registry *r); /* defaults when the record is absent */
int gp_registry_put(cf_applet *isd, const gp_registry *r);
uint8_t gp_registry_app_state(const gp_registry *r, const uint8_t *aid, size_t aid_len);
int gp_registry_set_app_state(gp_registry *r, const uint8_t *aid, size_t aid_len, uint8_t state);
/* The built-in package and module an instance comes from; NULL when none is known. */
const gp_package *gp_package_of(const cf_applet *a, const gp_aid **module);
/* The built-in packages, in a fixed order, and whether an instance of this card comes from one. */
size_t gp_package_count(void);
const gp_package *gp_package_at(size_t index);
bool gp_package_on_card(const cf_applet *isd, const gp_package *p);
/* The card's applet with exactly this AID (deleted instances too), or NULL. */
cf_applet *gp_find_instance(cf_applet *isd, const uint8_t *aid, size_t aid_len);
/* Whether a package is in the registry now (GET STATUS 20 lists it). */
bool gp_package_listed(const cf_applet *isd, const gp_registry *r, size_t index);
/* Removes every record of an application's store namespace (its instance is deleted or made
 * afresh). 0 or -1. */
int gp_wipe_namespace(cf_applet *a);
/* Selection under the card manager: installed as the runtime's select gate (cf_card.h). */
bool gp_select_gate(void *isd, const cf_applet *a);

/* The length-prefixed fields of INSTALL's data (GP 2.3.1 11.5.2.3): exactly n of them, filling
 * the whole data field. */
typedef struct gp_lv {
  const uint8_t *v;
  size_t len;
} gp_lv;
bool gp_parse_lv(const uint8_t *data, size_t len, gp_lv *out, size_t n);

/* gp_content.c: DELETE of applications and load files, INSTALL, STORE DATA */
uint16_t gp_delete(void *request);
uint16_t gp_install_cmd(void *request);
uint16_t gp_store_data(void *request);
/* gp_load.c: INSTALL [for load] and LOAD */
uint16_t gp_install_for_load(cf_applet *isd, const cf_apdu *cmd, cf_rapdu *resp);
uint16_t gp_load(void *request);
void gp_load_abort(gp_ctx *ctx);

/* gp_set_status.c */
uint16_t gp_set_status(void *request);

/* gp_install.c */
int gp_install(cf_applet *app, const char *params);

#endif
