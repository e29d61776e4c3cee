/* cf_keycard (keycard_session.h): the library's Keycard session, a thin opaque handle over the
 * protocol client of host/keycard. The client's result codes are error.h's, so they pass through;
 * what this file adds is argument checks, the pairing-password derivation and the wiping. */
#include "cardforge/keycard_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"

struct cf_keycard {
  keycard_client client;
};

static int fail(cf_keycard *kc, int code, const char *what) {
  snprintf(kc->client.err, sizeof kc->client.err, "%s", what);
  return code;
}

int cf_keycard_open(cf_transport *t, cf_keycard **out) {
  if (!out) return CF_ERR_ARG;
  *out = NULL;
  if (!t) return CF_ERR_ARG;
  cf_keycard *kc = calloc(1, sizeof *kc);
  if (!kc) return CF_ERR_INTERNAL;
  keycard_client_init(&kc->client, t);
  *out = kc;
  return CF_OK;
}

void cf_keycard_close(cf_keycard *kc) {
  if (!kc) return;
  keycard_client_wipe(&kc->client);
  cf_wipe(kc, sizeof *kc);
  free(kc);
}

const char *cf_keycard_error_detail(const cf_keycard *kc) {
  return kc ? kc->client.err : "no session";
}

uint16_t cf_keycard_last_sw(const cf_keycard *kc) {
  return kc ? kc->client.sw : 0;
}

int cf_keycard_select(cf_keycard *kc, cf_keycard_info *info) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  int rc = keycard_client_select(&kc->client, NULL, 0);
  if (rc != KEYCARD_CLIENT_OK || !info) return rc;
  const keycard_client_info *ci = &kc->client.info;
  memset(info, 0, sizeof *info);
  info->initialized = ci->initialized;
  info->version = ci->version;
  memcpy(info->instance_uid, ci->instance_uid, sizeof info->instance_uid);
  info->free_slots = ci->free_slots;
  info->has_key = ci->has_key;
  memcpy(info->key_uid, ci->key_uid, sizeof info->key_uid);
  return CF_OK;
}

/* The 32-byte pairing secret every Keycard host derives from the pairing password. */
static int pairing_secret(cf_keycard *kc, const char *password, uint8_t secret[32]) {
  if (!password || !*password) return fail(kc, CF_ERR_ARG, "no pairing password");
  int rc = keycard_client_pairing_secret(password, secret);
  if (rc != KEYCARD_CLIENT_OK) return fail(kc, rc, "the pairing password cannot be used");
  return CF_OK;
}

int cf_keycard_init(cf_keycard *kc, const char *pin, const char *puk, const char *pairing_password) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  if (!pin || !puk) return fail(kc, CF_ERR_ARG, "INIT needs a PIN and a PUK");
  uint8_t secret[32];
  int rc = pairing_secret(kc, pairing_password, secret);
  if (rc == CF_OK) rc = keycard_client_init_card(&kc->client, pin, puk, secret, 0, 0, NULL);
  cf_wipe(secret, sizeof secret);
  return rc;
}

int cf_keycard_pair(cf_keycard *kc, const char *pairing_password, uint8_t *index, uint8_t key[32]) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  if (!index || !key) return fail(kc, CF_ERR_ARG, "PAIR needs somewhere to put the pairing");
  uint8_t secret[32];
  int rc = pairing_secret(kc, pairing_password, secret);
  if (rc == CF_OK) rc = keycard_client_pair(&kc->client, secret);
  cf_wipe(secret, sizeof secret);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  *index = kc->client.pairing_index;
  memcpy(key, kc->client.pairing_key, 32);
  return CF_OK;
}

int cf_keycard_set_pairing(cf_keycard *kc, uint8_t index, const uint8_t key[32]) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  if (!key) return fail(kc, CF_ERR_ARG, "no pairing key");
  keycard_client_set_pairing(&kc->client, index, key);
  return CF_OK;
}

int cf_keycard_open_channel(cf_keycard *kc) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  return keycard_client_open_channel(&kc->client);
}

int cf_keycard_verify_pin(cf_keycard *kc, const char *pin, int *retries) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  if (!pin) return fail(kc, CF_ERR_ARG, "no PIN");
  return keycard_client_verify_pin(&kc->client, pin, retries);
}

int cf_keycard_generate_key(cf_keycard *kc, uint8_t key_uid[32]) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  return keycard_client_generate_key(&kc->client, key_uid);
}

int cf_keycard_sign(cf_keycard *kc, const uint8_t hash[32], const char *path, cf_keycard_signature *sig) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  if (!hash || !sig) return fail(kc, CF_ERR_ARG, "SIGN needs a hash and somewhere to put the signature");
  keycard_client_path parsed;
  const keycard_client_path *at = NULL;
  if (path && *path) {
    if (keycard_client_parse_path(path, &parsed) != KEYCARD_CLIENT_OK)
      return fail(kc, CF_ERR_ARG, "the key path is not of the form m/44'/60'/0'/0/0");
    at = &parsed;
  }
  keycard_client_signature s;
  int rc = keycard_client_sign(&kc->client, hash, at, false, &s);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  memcpy(sig->rs, s.rs, sizeof sig->rs);
  sig->recid = s.recid;
  memcpy(sig->pub, s.pub, sizeof sig->pub);
  return CF_OK;
}

int cf_keycard_unpair(cf_keycard *kc, uint8_t index) {
  if (!kc) return CF_ERR_ARG;
  kc->client.err[0] = '\0';
  return keycard_client_unpair(&kc->client, index);
}
