/* Keycard pairing keys in a PKCS#11 token (keycard_pairing_token.h). The token is the key store's
 * (host/keystore/): SoftHSM2 in the state directory, or the module and token a PKCS#11 URI names;
 * its PIN from the URI, $CARDFORGE_HSM_PIN or a prompt, as for `cmcc --hsm pkcs11`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "keycard_pairing_token.h"

void keycard_pairing_token_label(const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t slot,
                                 char out[KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1]) {
  char hex[2 * KEYCARD_CLIENT_UID_LEN + 1];
  cf_hex_encode(uid, KEYCARD_CLIENT_UID_LEN, hex);
  snprintf(out, KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1, "%s%s/%u", KEYCARD_PAIRING_TOKEN_PREFIX, hex, slot);
}

int keycard_pairing_token_digest(void *ctx, const uint8_t secret[32], const uint8_t salt[32],
                                 uint8_t out[64]) {
  keycard_pairing_token_key *k = ctx;
  return cf_ks_sha512_with_secret(k->ks, k->obj, secret, 32, salt, 32, out, k->err, sizeof k->err);
}

static const char *option_spec(const keycard_cli *c) {
  const char *v = keycard_cli_opt_value(c, "--pairing-store");
  if (!v && c->session) v = keycard_cli_opt_value(c->session->shell, "--pairing-store");
  if (!v) v = getenv(KEYCARD_PAIRING_STORE_ENV);
  return v;
}

int keycard_cli_pairing_store_kind(const keycard_cli *c, bool *token, const char **uri) {
  const char *v = option_spec(c);
  *token = false;
  *uri = NULL;
  if (v == NULL || strcmp(v, "file") == 0) return CF_EXIT_OK;
  if (strcmp(v, "pkcs11") == 0) {
    *token = true;
    return CF_EXIT_OK;
  }
  if (strncmp(v, "pkcs11:", 7) == 0) {
    *token = true;
    *uri = v;
    return CF_EXIT_OK;
  }
  return keycard_cli_error(c, CF_EXIT_USAGE, "--pairing-store: file, pkcs11 or pkcs11:URI, not \"%s\"", v);
}

/* Opens the token the store kind names (the default one when it names none). */
static int open_token(const keycard_cli *c, cf_keystore **ks, char *err, size_t errlen) {
  bool token;
  const char *uri;
  cf_ks_config cfg;
  memset(&cfg, 0, sizeof cfg);
  /* a bad --pairing-store was reported already: the default token then */
  if (keycard_cli_pairing_store_kind(c, &token, &uri) == CF_EXIT_OK) cfg.uri = uri;
  cfg.state_dir = c->g->state_dir;
  char why[400];
  int rc = cf_ks_open(&cfg, ks, why, sizeof why);
  if (rc == 0) return 0;
  snprintf(err, errlen, "the pairing token: %s%s", why,
           rc == -2   ? " (run `cardforge hsm init`)"
           : rc == -3 ? " (wrong token PIN)"
                      : "");
  return rc;
}

int keycard_cli_pairing_store_ready(const keycard_cli *c, const char **kind, char *err, size_t errlen) {
  bool token;
  const char *uri;
  *kind = "file";
  if (keycard_cli_pairing_store_kind(c, &token, &uri) != CF_EXIT_OK) {
    snprintf(err, errlen, "--pairing-store: file, pkcs11 or pkcs11:URI");
    return -1;
  }
  if (!token) return 0;
  *kind = "pkcs11";
  cf_keystore *ks;
  if (open_token(c, &ks, err, errlen) != 0) return -1;
  cf_ks_close(ks);
  return 0;
}

int keycard_cli_pairing_save(keycard_cli *c, keycard_client *kc, char *err, size_t errlen) {
  bool token;
  const char *uri;
  if (keycard_cli_pairing_store_kind(c, &token, &uri) != CF_EXIT_OK) {
    snprintf(err, errlen, "no pairing store");
    return -1;
  }
  const uint8_t *uid = kc->info.instance_uid;
  if (!token)
    return keycard_client_pairing_put(c->store, uid, kc->pairing_index, kc->pairing_key, err, errlen);
  if (kc->pairing_index == KEYCARD_CLIENT_EPHEMERAL_SLOT) {
    snprintf(err, errlen, "an ephemeral pairing (slot FF) is never saved");
    return -1;
  }
  cf_keystore *ks;
  if (open_token(c, &ks, err, errlen) != 0) return -1;
  char label[KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1];
  keycard_pairing_token_label(uid, kc->pairing_index, label);
  /* the card reuses freed slots: an object of the same label is an old pairing's, replaced */
  int rc = cf_ks_secret_import(ks, label, kc->pairing_key, 32, true, NULL, err, errlen);
  if (rc == 0 &&
      keycard_client_pairing_put_token(c->store, uid, kc->pairing_index, label, err, errlen) != 0) {
    char ignored[256];
    cf_ks_secret_delete(ks, label, ignored, sizeof ignored);
    rc = -1;
  }
  cf_ks_close(ks);
  if (rc != 0) return -1;
  /* from here the key exists only in the token; the next channel opens through it */
  cf_wipe(kc->pairing_key, sizeof kc->pairing_key);
  kc->paired = false;
  return 0;
}

int keycard_cli_pairing_open_channel(keycard_cli *c, keycard_client *kc) {
  keycard_client_pairing p;
  char err[512] = "";
  int found = keycard_client_pairing_find(c->store, kc->info.instance_uid, -1, &p, err, sizeof err);
  if (found < 0) return keycard_cli_error(c, CF_EXIT_FILE, "%s", err);
  if (found == 0) {
    char uid[2 * KEYCARD_CLIENT_UID_LEN + 1];
    cf_hex_encode(kc->info.instance_uid, KEYCARD_CLIENT_UID_LEN, uid);
    return keycard_cli_error(c, CF_EXIT_CARD, "no pairing stored for card %s (run `cardforge keycard pair`)",
                             uid);
  }
  if (!p.in_token) {
    keycard_client_set_pairing(kc, p.index, p.key);
    cf_wipe(&p, sizeof p);
    int rc = keycard_client_open_channel(kc);
    return rc == KEYCARD_CLIENT_OK ? CF_EXIT_OK : keycard_cli_fail(c, kc, rc);
  }
  keycard_pairing_token_key key = {.ks = NULL};
  int r = open_token(c, &key.ks, err, sizeof err);
  if (r != 0) return keycard_cli_error(c, r == -3 ? CF_EXIT_VERIFY : CF_EXIT_FILE, "%s", err);
  int code = CF_EXIT_OK;
  r = cf_ks_secret_find(key.ks, p.token_label, &key.obj, err, sizeof err);
  if (r == 0)
    code =
        keycard_cli_error(c, CF_EXIT_FILE, "the pairing store names \"%s\" but token \"%s\" has no such key",
                          p.token_label, cf_ks_token_label(key.ks));
  else if (r < 0)
    code = keycard_cli_error(c, CF_EXIT_FILE, "the pairing token: %s", err);
  if (code == CF_EXIT_OK) {
    /* the token takes part only in this derivation: the hook is gone before the token closes, and
     * the next channel looks the pairing up again */
    keycard_client_set_pairing_digest(kc, p.index, keycard_pairing_token_digest, &key);
    int rc = keycard_client_open_channel(kc);
    kc->pairing_digest = NULL;
    kc->pairing_digest_ctx = NULL;
    kc->paired = false;
    if (rc != KEYCARD_CLIENT_OK && key.err[0])
      code = keycard_cli_error(c, CF_EXIT_FILE, "the pairing token: %s", key.err);
    else if (rc != KEYCARD_CLIENT_OK)
      code = keycard_cli_fail(c, kc, rc);
  }
  cf_ks_close(key.ks);
  cf_wipe(&p, sizeof p);
  return code;
}

const char *keycard_cli_pairing_kind(const keycard_cli *c, const uint8_t uid[KEYCARD_CLIENT_UID_LEN],
                                     int index) {
  keycard_client_pairing p;
  char err[512];
  int found = keycard_client_pairing_find(c->store, uid, index, &p, err, sizeof err);
  bool in_token = found > 0 && p.in_token;
  cf_wipe(&p, sizeof p);
  return in_token ? "pkcs11" : "file";
}

int keycard_cli_pairing_forget(keycard_cli *c, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], int index,
                               char *err, size_t errlen) {
  enum { MAX_PAIRINGS = 256 };
  keycard_client_pairing list[MAX_PAIRINGS];
  int n = keycard_client_pairing_list(c->store, uid, list, MAX_PAIRINGS, err, errlen);
  if (n < 0) return -1;
  if (keycard_client_pairing_forget(c->store, uid, index, err, errlen) != 0) {
    cf_wipe(list, sizeof list);
    return -1;
  }
  /* the lines go first: a token object left behind is an unused key, a line without its object
   * would name a key that is gone */
  cf_keystore *ks = NULL;
  int rc = 0;
  for (int i = 0; i < n && i < MAX_PAIRINGS && rc == 0; i++) {
    if (!list[i].in_token || (index >= 0 && list[i].index != index)) continue;
    if (ks == NULL && open_token(c, &ks, err, errlen) != 0) {
      ks = NULL;
      rc = -1;
      break;
    }
    if (cf_ks_secret_delete(ks, list[i].token_label, err, errlen) < 0) rc = -1;
  }
  if (ks) cf_ks_close(ks);
  cf_wipe(list, sizeof list);
  return rc;
}
