/* Keycard commands sent through the secure channel (and the few plain ones: GET DATA without a
 * channel, FACTORY RESET, DUPLICATE KEY ADD ENTROPY). */
#include <string.h>

#include "cardforge/apdu.h"
#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

int keycard_client_get_status(keycard_client *kc, keycard_client_status *st) {
  uint8_t resp[64];
  size_t n = 0;
  int rc = keycard_client_secure_command(kc, "GET STATUS", KEYCARD_CLIENT_INS_GET_STATUS, 0x00, 0x00, NULL, 0,
                                         false, resp, sizeof resp, &n);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  rc = keycard_client_parse_status(resp, n, st);
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "GET STATUS: malformed status template");
  return KEYCARD_CLIENT_OK;
}

int keycard_client_get_key_path(keycard_client *kc, uint8_t *out, size_t cap, size_t *len) {
  int rc = keycard_client_secure_command(kc, "GET STATUS (key path)", KEYCARD_CLIENT_INS_GET_STATUS, 0x01,
                                         0x00, NULL, 0, false, out, cap, len);
  if (rc == KEYCARD_CLIENT_OK && *len % 4 != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "GET STATUS: key path of %zu bytes", *len);
  return rc;
}

/* 63Cx answers to VERIFY PIN and UNBLOCK PIN: x tries remain. */
static int wrong_secret(keycard_client *kc, const char *what, int *retries) {
  int left = kc->sw & 0x0F;
  if (retries) *retries = left;
  if (left == 0) return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "wrong %s; it is now blocked", what);
  return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "wrong %s, %d tries left", what, left);
}

int keycard_client_verify_pin(keycard_client *kc, const char *pin, int *retries) {
  if (!keycard_client_digits_ok(pin, KEYCARD_CLIENT_PIN_LEN))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the PIN must be %d digits", KEYCARD_CLIENT_PIN_LEN);
  uint8_t resp[16];
  size_t n = 0;
  int rc = keycard_client_secure_exchange(kc, KEYCARD_CLIENT_INS_VERIFY_PIN, 0, 0, (const uint8_t *)pin,
                                          KEYCARD_CLIENT_PIN_LEN, true, resp, sizeof resp, &n);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if ((kc->sw & 0xFFF0) == 0x63C0) return wrong_secret(kc, "PIN", retries);
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "VERIFY PIN: card answered SW %04X", kc->sw);
  return KEYCARD_CLIENT_OK;
}

int keycard_client_change_secret(keycard_client *kc, uint8_t which, const uint8_t *value, size_t len) {
  bool ok;
  char digits[KEYCARD_CLIENT_PUK_LEN + 1] = {0};
  if (which == KEYCARD_CLIENT_CHANGE_PAIRING_SECRET) {
    ok = len == KEYCARD_CLIENT_SECRET_LEN;
  } else {
    size_t want = which == KEYCARD_CLIENT_CHANGE_PIN ? KEYCARD_CLIENT_PIN_LEN : KEYCARD_CLIENT_PUK_LEN;
    ok = which <= KEYCARD_CLIENT_CHANGE_PUK && len == want;
    if (ok) {
      memcpy(digits, value, len);
      ok = keycard_client_digits_ok(digits, want);
      cf_wipe(digits, sizeof digits);
    }
  }
  if (!ok)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "CHANGE PIN: the new value has the wrong format");
  return keycard_client_secure_command(kc, "CHANGE PIN", KEYCARD_CLIENT_INS_CHANGE_PIN, which, 0x00, value,
                                       len, true, NULL, 0, NULL);
}

int keycard_client_unblock_pin(keycard_client *kc, const char *puk, const char *new_pin, int *retries) {
  if (!keycard_client_digits_ok(puk, KEYCARD_CLIENT_PUK_LEN) ||
      !keycard_client_digits_ok(new_pin, KEYCARD_CLIENT_PIN_LEN))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "UNBLOCK PIN needs a %d-digit PUK and a %d-digit PIN",
                               KEYCARD_CLIENT_PUK_LEN, KEYCARD_CLIENT_PIN_LEN);
  uint8_t data[KEYCARD_CLIENT_PUK_LEN + KEYCARD_CLIENT_PIN_LEN], resp[16];
  memcpy(data, puk, KEYCARD_CLIENT_PUK_LEN);
  memcpy(data + KEYCARD_CLIENT_PUK_LEN, new_pin, KEYCARD_CLIENT_PIN_LEN);
  size_t n = 0;
  int rc = keycard_client_secure_exchange(kc, KEYCARD_CLIENT_INS_UNBLOCK_PIN, 0, 0, data, sizeof data, true,
                                          resp, sizeof resp, &n);
  cf_wipe(data, sizeof data);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if ((kc->sw & 0xFFF0) == 0x63C0) return wrong_secret(kc, "PUK", retries);
  if (kc->sw == SW_CONDITIONS_NOT_SATISFIED)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "UNBLOCK PIN: the PIN is not blocked (SW 6985)");
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "UNBLOCK PIN: card answered SW %04X", kc->sw);
  return KEYCARD_CLIENT_OK;
}

/* Commands answering the 32-byte key UID. */
static int key_uid_command(keycard_client *kc, const char *what, uint8_t ins, uint8_t p1, const uint8_t *data,
                           size_t len, uint8_t key_uid[32]) {
  uint8_t resp[64];
  size_t n = 0;
  int rc = keycard_client_secure_command(kc, what, ins, p1, 0x00, data, len, true, resp, sizeof resp, &n);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (n != KEYCARD_CLIENT_KEY_UID_LEN)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "%s: key UID of %zu bytes", what, n);
  if (key_uid) memcpy(key_uid, resp, KEYCARD_CLIENT_KEY_UID_LEN);
  return KEYCARD_CLIENT_OK;
}

int keycard_client_load_seed(keycard_client *kc, const uint8_t seed[64], uint8_t key_uid[32]) {
  return key_uid_command(kc, "LOAD KEY (seed)", KEYCARD_CLIENT_INS_LOAD_KEY, 0x03, seed, 64, key_uid);
}

int keycard_client_load_keypair(keycard_client *kc, const uint8_t priv[32], const uint8_t *pub,
                                const uint8_t *chain, uint8_t key_uid[32]) {
  /* A1 [81 nn] { [80 41 pub] 81 20 priv [82 20 chain] } */
  uint8_t data[3 + 67 + 34 + 34];
  size_t body = (pub ? 67 : 0) + 34 + (chain ? 34 : 0), n = 0;
  data[n++] = 0xA1;
  if (body > 127) data[n++] = 0x81;
  data[n++] = (uint8_t)body;
  if (pub) {
    data[n++] = 0x80;
    data[n++] = 65;
    memcpy(data + n, pub, 65);
    n += 65;
  }
  data[n++] = 0x81;
  data[n++] = 32;
  memcpy(data + n, priv, 32);
  n += 32;
  if (chain) {
    data[n++] = 0x82;
    data[n++] = 32;
    memcpy(data + n, chain, 32);
    n += 32;
  }
  int rc =
      key_uid_command(kc, "LOAD KEY", KEYCARD_CLIENT_INS_LOAD_KEY, chain ? 0x02 : 0x01, data, n, key_uid);
  cf_wipe(data, sizeof data);
  return rc;
}

int keycard_client_generate_key(keycard_client *kc, uint8_t key_uid[32]) {
  return key_uid_command(kc, "GENERATE KEY", KEYCARD_CLIENT_INS_GENERATE_KEY, 0x00, NULL, 0, key_uid);
}

int keycard_client_remove_key(keycard_client *kc) {
  return keycard_client_secure_command(kc, "REMOVE KEY", KEYCARD_CLIENT_INS_REMOVE_KEY, 0x00, 0x00, NULL, 0,
                                       false, NULL, 0, NULL);
}

int keycard_client_derive_key(keycard_client *kc, const keycard_client_path *path) {
  return keycard_client_secure_command(kc, "DERIVE KEY", KEYCARD_CLIENT_INS_DERIVE_KEY, path->source, 0x00,
                                       path->data, path->len, false, NULL, 0, NULL);
}

int keycard_client_sign(keycard_client *kc, const uint8_t hash[32], const keycard_client_path *path,
                        bool make_current, keycard_client_signature *sig) {
  uint8_t data[32 + 4 * KEYCARD_CLIENT_MAX_PATH_DEPTH], resp[256];
  size_t n = 32, rlen = 0;
  uint8_t p1 = KEYCARD_CLIENT_SIGN_CURRENT;
  memcpy(data, hash, 32);
  if (path) {
    memcpy(data + 32, path->data, path->len);
    n += path->len;
    p1 = (uint8_t)(path->source |
                   (make_current ? KEYCARD_CLIENT_SIGN_DERIVE_AND_MAKE_CURRENT : KEYCARD_CLIENT_SIGN_DERIVE));
  }
  int rc = keycard_client_secure_command(kc, "SIGN", KEYCARD_CLIENT_INS_SIGN, p1, 0x00, data, n, false, resp,
                                         sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  rc = keycard_client_parse_signature(hash, resp, rlen, sig);
  if (rc == KEYCARD_CLIENT_EVERIFY)
    return keycard_client_fail(kc, rc,
                               "SIGN: the signature does not recover to the public key the card returned");
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "SIGN: malformed signature template");
  return KEYCARD_CLIENT_OK;
}

int keycard_client_sign_pinless(keycard_client *kc, const uint8_t hash[32], keycard_client_signature *sig) {
  uint8_t resp[256];
  size_t rlen = 0;
  int rc;
  if (kc->sc.open) {
    rc = keycard_client_secure_command(kc, "SIGN (PIN-less)", KEYCARD_CLIENT_INS_SIGN,
                                       KEYCARD_CLIENT_SIGN_PINLESS, 0x00, hash, 32, false, resp, sizeof resp,
                                       &rlen);
    if (rc != KEYCARD_CLIENT_OK) return rc;
  } else {
    if (!kc->selected) return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "select the card first");
    rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_SIGN,
                                       KEYCARD_CLIENT_SIGN_PINLESS, 0x00, hash, 32, 0, resp, sizeof resp,
                                       &rlen);
    if (rc != KEYCARD_CLIENT_OK) return rc;
    if (kc->sw == SW_REFERENCED_DATA_NOT_FOUND)
      return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                                 "SIGN (PIN-less): the card has no PIN-less path (SW 6A88)");
    if (kc->sw != SW_OK)
      return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "SIGN (PIN-less): card answered SW %04X", kc->sw);
  }
  rc = keycard_client_parse_signature(hash, resp, rlen, sig);
  if (rc == KEYCARD_CLIENT_EVERIFY)
    return keycard_client_fail(kc, rc,
                               "SIGN: the signature does not recover to the public key the card returned");
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "SIGN: malformed signature template");
  return KEYCARD_CLIENT_OK;
}

int keycard_client_set_pinless_path(keycard_client *kc, const keycard_client_path *path) {
  if (path && path->len && path->source != KEYCARD_CLIENT_SOURCE_MASTER)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG,
                               "the PIN-less path must start at the master key (m/...)");
  return keycard_client_secure_command(kc, "SET PINLESS PATH", KEYCARD_CLIENT_INS_SET_PINLESS_PATH, 0x00,
                                       0x00, path ? path->data : NULL, path ? path->len : 0, false, NULL, 0,
                                       NULL);
}

int keycard_client_generate_mnemonic(keycard_client *kc, size_t words, uint16_t *indexes) {
  if (!keycard_client_bip39_count_ok(words))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "a mnemonic has 12, 15, 18, 21 or 24 words, not %zu",
                               words);
  uint8_t resp[2 * KEYCARD_CLIENT_BIP39_MAX_WORDS + 16];
  size_t n = 0;
  /* P1 is the checksum length in bits: one bit per three words */
  int rc = keycard_client_secure_command(kc, "GENERATE MNEMONIC", KEYCARD_CLIENT_INS_GENERATE_MNEMONIC,
                                         (uint8_t)(words / 3), 0x00, NULL, 0, false, resp, sizeof resp, &n);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (n != 2 * words) {
    cf_wipe(resp, sizeof resp);
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "GENERATE MNEMONIC: %zu bytes for %zu words", n,
                               words);
  }
  for (size_t i = 0; i < words; i++)
    indexes[i] = cf_be16(resp + 2 * i);
  cf_wipe(resp, sizeof resp);
  if (!keycard_client_bip39_checksum_ok(indexes, words)) {
    cf_wipe(indexes, words * sizeof *indexes);
    return keycard_client_fail(kc, KEYCARD_CLIENT_EVERIFY,
                               "GENERATE MNEMONIC: the card's words fail their BIP39 checksum");
  }
  return KEYCARD_CLIENT_OK;
}

int keycard_client_export_key(keycard_client *kc, uint8_t what, const keycard_client_path *path,
                              bool make_current, keycard_client_exported *key) {
  if (what > KEYCARD_CLIENT_EXPORT_EXTENDED_PUBLIC)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "bad export kind");
  uint8_t resp[256];
  size_t rlen = 0;
  uint8_t p1 = 0x00; /* current key */
  if (path) p1 = (uint8_t)(path->source | (make_current ? 0x02 : 0x01));
  int rc = keycard_client_secure_command(kc, "EXPORT KEY", KEYCARD_CLIENT_INS_EXPORT_KEY, p1, what,
                                         path ? path->data : NULL, path ? path->len : 0,
                                         what == KEYCARD_CLIENT_EXPORT_PRIVATE, resp, sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  rc = keycard_client_parse_key_template(resp, rlen, key);
  cf_wipe(resp, sizeof resp);
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "EXPORT KEY: malformed key template");
  if (what == KEYCARD_CLIENT_EXPORT_PRIVATE && !key->has_priv)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "EXPORT KEY: no private key in the answer");
  if (what != KEYCARD_CLIENT_EXPORT_PRIVATE && !key->has_pub)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "EXPORT KEY: no public key in the answer");
  if (what == KEYCARD_CLIENT_EXPORT_EXTENDED_PUBLIC && !key->has_chain)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "EXPORT KEY: no chain code in the answer");
  /* Applet 3.x returns the private key alone: complete it so callers always see the public key. */
  if (key->has_priv && !key->has_pub) {
    if (cf_ec_pub_from_priv(key->priv, key->pub) != 0)
      return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO,
                                 "EXPORT KEY: the exported private key is invalid");
    key->has_pub = true;
  }
  return KEYCARD_CLIENT_OK;
}

int keycard_client_get_data(keycard_client *kc, uint8_t type, uint8_t *out, size_t cap, size_t *len) {
  if (kc->sc.open)
    return keycard_client_secure_command(kc, "GET DATA", KEYCARD_CLIENT_INS_GET_DATA, type, 0x00, NULL, 0,
                                         false, out, cap, len);
  uint8_t resp[512];
  size_t n = 0;
  int rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_GET_DATA, type, 0x00,
                                         NULL, 0, 0, resp, sizeof resp, &n);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "GET DATA: card answered SW %04X", kc->sw);
  if (n > cap) return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "GET DATA: %zu bytes do not fit", n);
  if (n) memcpy(out, resp, n);
  *len = n;
  return KEYCARD_CLIENT_OK;
}

int keycard_client_store_data(keycard_client *kc, uint8_t type, const uint8_t *data, size_t len) {
  return keycard_client_secure_command(kc, "STORE DATA", KEYCARD_CLIENT_INS_STORE_DATA, type, 0x00, data, len,
                                       false, NULL, 0, NULL);
}

int keycard_client_factory_reset(keycard_client *kc) {
  int rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_FACTORY_RESET, 0xAA, 0x55,
                                         NULL, 0, 0, NULL, 0, NULL);
  keycard_client_sc_close(&kc->sc);
  kc->selected = false;
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "FACTORY RESET: card answered SW %04X", kc->sw);
  return KEYCARD_CLIENT_OK;
}

int keycard_client_duplicate_start(keycard_client *kc, uint8_t count, const uint8_t entropy[32]) {
  if (count < 1)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "DUPLICATE KEY needs at least one entropy piece");
  return keycard_client_secure_command(kc, "DUPLICATE KEY (start)", KEYCARD_CLIENT_INS_DUPLICATE_KEY, 0x00,
                                       count, entropy, 32, true, NULL, 0, NULL);
}

int keycard_client_duplicate_add_entropy(keycard_client *kc, const uint8_t entropy[32]) {
  if (!kc->selected) return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "select the card first");
  uint8_t priv[32], pub[65], data[255];
  size_t n = 0;
  int rc = KEYCARD_CLIENT_EINTERNAL;
  if (cf_ec_keygen(priv, pub) != 0) return keycard_client_fail(kc, rc, "cannot make an ephemeral key");
  rc = keycard_client_one_shot_encrypt(kc->info.sc_pub, priv, pub, NULL, entropy, 32, data, sizeof data, &n);
  cf_wipe(priv, sizeof priv);
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "cannot encrypt the entropy");
  /* The card decrypts with its channel key pair, overwriting its session keys: ours are void. */
  keycard_client_sc_close(&kc->sc);
  rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_DUPLICATE_KEY, 0x01, 0x00,
                                     data, n, CF_TX_SECRET_CMD, NULL, 0, NULL);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw == SW_CONDITIONS_NOT_SATISFIED)
    return keycard_client_fail(
        kc, KEYCARD_CLIENT_ECARD,
        "DUPLICATE KEY (add entropy): no duplication session expects entropy (SW 6985)");
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "DUPLICATE KEY (add entropy): card answered SW %04X",
                               kc->sw);
  return KEYCARD_CLIENT_OK;
}

int keycard_client_duplicate_export(keycard_client *kc, uint8_t *blob, size_t cap, size_t *len) {
  int rc = keycard_client_secure_command(kc, "DUPLICATE KEY (export)", KEYCARD_CLIENT_INS_DUPLICATE_KEY, 0x02,
                                         0x00, NULL, 0, true, blob, cap, len);
  if (rc == KEYCARD_CLIENT_OK && (*len < 32 || *len > KEYCARD_CLIENT_MAX_PLAIN || *len % 16 != 0))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "DUPLICATE KEY (export): blob of %zu bytes", *len);
  return rc;
}

int keycard_client_duplicate_import(keycard_client *kc, const uint8_t *blob, size_t len,
                                    uint8_t key_uid[32]) {
  return key_uid_command(kc, "DUPLICATE KEY (import)", KEYCARD_CLIENT_INS_DUPLICATE_KEY, 0x03, blob, len,
                         key_uid);
}
