/* Inside the key store: the open token and the helpers its files share. */
#ifndef CARDFORGE_KEYSTORE_INTERNAL_H
#define CARDFORGE_KEYSTORE_INTERNAL_H

#include <p11-kit-1/p11-kit/pkcs11.h>

#include "cardforge/keystore.h"

struct cf_keystore {
  void *lib;                 /* dlopen handle */
  CK_FUNCTION_LIST_PTR p11;  /* the module's functions */
  CK_SESSION_HANDLE session; /* read-write, logged in as the user */
  bool finalize;             /* counted among the open keystores (ks_module_load succeeded) */
  char module[1024];
  char token[33];
};

/* "C_Encrypt: CKR_KEY_TYPE_INCONSISTENT (0x63)" into err. */
void ks_fail(char *err, size_t errlen, const char *what, CK_RV rv);
const char *ks_rv_name(CK_RV rv);

/* Loads the module and initialises it (SOFTHSM2_CONF set first for the default token). */
int ks_module_load(cf_keystore *ks, const char *path, char *err, size_t errlen);
void ks_module_unload(cf_keystore *ks);
/* The module and token a configuration names (URI, options, defaults); pin_from_uri set when the
 * URI carries pin-value / pin-source. default_token true for SoftHSM2 in the state directory. */
typedef struct ks_target {
  char module[1024];
  char token[33];
  char conf[1100]; /* the default token's SOFTHSM2_CONF, "" otherwise */
  char pin_uri[1100];
  bool default_token;
} ks_target;
int ks_resolve(const cf_ks_config *cfg, ks_target *t, char *err, size_t errlen);

/* The check value of a key object (3 bytes). */
int ks_kcv(cf_keystore *ks, CK_OBJECT_HANDLE obj, cf_ks_type type, uint8_t kcv[3], char *err, size_t errlen);

#endif
