/* The host's key store in a PKCS#11 token (library cf_keystore, folder host/keystore/): keys the
 * host needs (the China Mobile operator HSM's keys, GlobalPlatform key sets) are created in the
 * token as sensitive objects and used there: the host sees check values, cryptograms and MACs,
 * not key values.
 *
 * The token is SoftHSM2 in the state directory unless a module is named (docs/hsm.md):
 *   <state dir>/pkcs11/softhsm2.conf   its own configuration (SOFTHSM2_CONF for the module)
 *   <state dir>/pkcs11/tokens/         the token files, mode 0700
 * or any PKCS#11 module by path and token label, or a PKCS#11 URI (RFC 7512). The module is
 * loaded with dlopen and driven through the standard PKCS#11 API (p11-kit's header).
 *
 * Functions return 0 on success and -1 with err filled unless stated. */
#ifndef CARDFORGE_KEYSTORE_H
#define CARDFORGE_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_KS_LABEL_MAX 64            /* longest object label */
#define CF_KS_TOKEN_LABEL "cardforge" /* the default token's label */
#define CF_KS_PIN_ENV "CARDFORGE_HSM_PIN"
#define CF_KS_SO_PIN_ENV "CARDFORGE_HSM_SO_PIN"
#define CF_KS_MODULE_ENV "CARDFORGE_PKCS11_MODULE" /* the default module's path (SoftHSM2's otherwise) */
/* The label suffix of the companion of a two-key 3DES key KL || KR: a 3DES key KL || KL, which is
 * single DES under KL. The ISO 9797-1 algorithm 3 MAC chains single DES under KL, which no standard
 * mechanism does with the 3DES object itself, and SoftHSM2 on OpenSSL 3 has no single-DES cipher.
 * Created and deleted with its key, never listed on its own. */
#define CF_KS_KL_SUFFIX "#kl"

typedef struct cf_keystore cf_keystore;

/* Where the token is. Every field may be NULL. */
typedef struct cf_ks_config {
  const char *uri;       /* "pkcs11:token=...;module-path=..." (RFC 7512): module and token */
  const char *module;    /* path of the PKCS#11 module; NULL: SoftHSM2 with the default token */
  const char *token;     /* token label; NULL: CF_KS_TOKEN_LABEL */
  const char *state_dir; /* for the default token; NULL: cf_cli_default_state_dir */
  const char *pin;       /* the PIN option as given (@FILE, -, literal); else $CARDFORGE_HSM_PIN, prompt */
  bool quiet;
} cf_ks_config;

typedef enum cf_ks_type {
  CF_KS_DES = 1,  /* single DES, 8 bytes */
  CF_KS_DES2 = 2, /* two-key 3DES, 16 bytes (with its KL companion) */
  CF_KS_DES3 = 3, /* three-key 3DES, 24 bytes */
  CF_KS_AES = 4,  /* AES-128/192/256 */
} cf_ks_type;

typedef unsigned long cf_ks_handle;

typedef struct cf_ks_key {
  char label[CF_KS_LABEL_MAX + 1];
  cf_ks_type type;
  size_t len;       /* key length in bytes */
  uint8_t kcv[3];   /* check value: DES/3DES of 8 x 00, AES of 16 x 01 (GlobalPlatform's) */
  bool sensitive;   /* CKA_SENSITIVE */
  bool extractable; /* CKA_EXTRACTABLE */
  cf_ks_handle obj; /* the key object */
  cf_ks_handle kl;  /* its companion KL || KL (CF_KS_DES2), 0 when there is none */
} cf_ks_key;

/* Opens the token and logs in as its user with the PIN (cfg->pin, else $CARDFORGE_HSM_PIN, else a
 * prompt on a terminal). Returns 0; -1 with err for a usage or token problem; -2 with err when the
 * default token has not been created (`cardforge hsm init`); -3 for a wrong PIN. */
int cf_ks_open(const cf_ks_config *cfg, cf_keystore **out, char *err, size_t errlen);
void cf_ks_close(cf_keystore *ks);
/* Module path and token label in use, for messages. */
const char *cf_ks_module_path(const cf_keystore *ks);
const char *cf_ks_token_label(const cf_keystore *ks);

/* Creates the token: for the default one, the configuration file and token directory (0700) in the
 * state directory, then C_InitToken on the module's first uninitialised slot with the security
 * officer's PIN and the user's PIN set; for another module, the same on its first uninitialised
 * slot. Refuses when a token with the label exists already. */
int cf_ks_init_token(const cf_ks_config *cfg, const char *so_pin, const char *user_pin, char *err,
                     size_t errlen);
/* The default token's SOFTHSM2_CONF path for state_dir (NULL: the default state directory). */
int cf_ks_default_conf_path(const char *state_dir, char *out, size_t cap);

/* Keys. The label is the key's name (1..CF_KS_LABEL_MAX printable characters, not ending in
 * CF_KS_KL_SUFFIX). New keys are token objects, CKA_SENSITIVE true, CKA_EXTRACTABLE false unless
 * exportable (then still sensitive: only C_WrapKey can take the value out, see
 * cf_ks_export_value). find returns 1 with *key, 0 when there is no such key, -1 on error. */
int cf_ks_find(cf_keystore *ks, const char *label, cf_ks_key *key, char *err, size_t errlen);
/* Whether label may name a new key. */
bool cf_ks_label_valid(const char *label);
/* Every key of the token (companions excluded), in the token's order; *count set. */
int cf_ks_list(cf_keystore *ks, cf_ks_key *keys, size_t cap, size_t *count, char *err, size_t errlen);
int cf_ks_import(cf_keystore *ks, const char *label, cf_ks_type type, const uint8_t *value, size_t len,
                 bool exportable, cf_ks_key *key, char *err, size_t errlen);
/* A random key made inside the token; the value never leaves it. */
int cf_ks_generate(cf_keystore *ks, const char *label, cf_ks_type type, size_t len, cf_ks_key *key, char *err,
                   size_t errlen);
/* Deletes the key and its companion. Returns 1, 0 when there is no such key, -1 on error. */
int cf_ks_delete(cf_keystore *ks, const char *label, char *err, size_t errlen);

/* Operations inside the token. ECB/CBC without padding: len a multiple of the block size; iv
 * NULL for ECB. */
int cf_ks_encrypt(cf_keystore *ks, const cf_ks_key *key, const uint8_t *iv, const uint8_t *in, size_t len,
                  uint8_t *out, char *err, size_t errlen);
/* ISO/IEC 9797-1 MAC algorithm 3 (ANSI X9.19 retail MAC) with padding method 2 under a CF_KS_DES2
 * key: single-DES CBC under KL (the companion), the last block through 3DES. iv 8 bytes or NULL
 * (zeros). mac receives the whole last block (8 bytes). */
int cf_ks_mac_retail(cf_keystore *ks, const cf_ks_key *key, const uint8_t *iv, const uint8_t *data,
                     size_t len, uint8_t mac[8], char *err, size_t errlen);
/* AES-CMAC (CKM_AES_CMAC) of data under an AES key: 16 bytes. */
int cf_ks_cmac_aes(cf_keystore *ks, const cf_ks_key *key, const uint8_t *data, size_t len, uint8_t mac[16],
                   char *err, size_t errlen);
/* A key derived inside the token by C_DeriveKey with CKM_DES3_ECB_ENCRYPT_DATA (a 3DES base) or
 * CKM_AES_ECB_ENCRYPT_DATA (an AES base): value = ECB encryption of data under the base, of type
 * type (data's length being the new key's). label NULL: a session object, gone at cf_ks_close or
 * cf_ks_destroy. A CF_KS_DES2 result gets its companion the same way (ECB of data's first 8 bytes
 * twice). This is PBOC / GlobalPlatform key diversification when data is the diversification data. */
int cf_ks_derive_ecb(cf_keystore *ks, const cf_ks_key *base, const uint8_t *data, size_t len, cf_ks_type type,
                     const char *label, cf_ks_key *out, char *err, size_t errlen);
/* Destroys a session key made by cf_ks_derive_ecb with no label. */
void cf_ks_destroy(cf_keystore *ks, cf_ks_key *key);
/* Copies an exportable key's value into host memory: C_WrapKey under a session AES key made for
 * this call and destroyed after it, unwrapped by the host. For the protocol records no token
 * mechanism can build (docs/security.md, "Key custody"): the caller wipes value after use. 16-
 * and 32-byte keys only (SoftHSM2 wraps secret keys with AES-CBC). */
int cf_ks_export_value(cf_keystore *ks, const cf_ks_key *key, uint8_t *value, size_t cap, char *err,
                       size_t errlen);

/* Generic secrets (CKK_GENERIC_SECRET, host/keystore/pkcs11_secret.c): token objects, sensitive,
 * never extractable, usable only by C_DigestKey (no cipher, signature, wrap or derive use). Not in
 * cf_ks_list / cf_ks_find, which are for cipher keys. find returns 1 with *obj, 0 when there is none,
 * -1 on error; delete returns 1, 0 when there is none, -1. import with replace swaps an existing
 * secret of that label for the new one (the new one made first). */
int cf_ks_secret_find(cf_keystore *ks, const char *label, cf_ks_handle *obj, char *err, size_t errlen);
int cf_ks_secret_import(cf_keystore *ks, const char *label, const uint8_t *value, size_t len, bool replace,
                        cf_ks_handle *obj, char *err, size_t errlen);
int cf_ks_secret_delete(cf_keystore *ks, const char *label, char *err, size_t errlen);
/* SHA-512(before || secret's value || after), computed inside the token (C_DigestInit CKM_SHA512,
 * C_DigestUpdate, C_DigestKey, C_DigestUpdate, C_DigestFinal). out is wiped on failure. */
int cf_ks_sha512_with_secret(cf_keystore *ks, cf_ks_handle secret, const uint8_t *before, size_t before_len,
                             const uint8_t *after, size_t after_len, uint8_t out[64], char *err,
                             size_t errlen);

/* A PKCS#11 URI (RFC 7512), the parts the key store uses: token and object (path), module-path,
 * pin-value and pin-source (query). Percent-escapes decoded; "" for an attribute not given. */
typedef struct cf_ks_uri {
  char token[33];
  char object[CF_KS_LABEL_MAX + 1];
  char module[1024];
  char pin_value[256];
  char pin_source[1024];
} cf_ks_uri;
int cf_ks_uri_parse(const char *text, cf_ks_uri *uri, char *err, size_t errlen);

/* "des2", "des3", "aes" and back ("des" is named, not parsed: no single DES in SoftHSM2). */
const char *cf_ks_type_name(cf_ks_type type);
int cf_ks_type_parse(const char *name, cf_ks_type *type);
/* Whether len bytes suits type. */
bool cf_ks_type_len_ok(cf_ks_type type, size_t len);

#endif
