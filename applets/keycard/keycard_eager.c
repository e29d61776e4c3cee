/* DERIVE KEY, SET PINLESS PATH, SIGN and EXPORT KEY as applets 2.2.1 and 3.0 do them
 * (KeycardApplet.java at those tags: doDerive, sign, exportKey, setPinlessPath). Those versions
 * derive when the path is set and keep the current key, its parent and the PIN-less key as key
 * objects; 3.1 keeps paths only and derives when a key is used (keycard_keys.c, keycard_sign.c).
 * The keys are the same BIP32 keys either way, so this card keeps the 3.1 records (paths) and
 * derives from the master key; what differs, and what this file reproduces, is which requests are
 * refused, with which status word, in which order, and what an answer contains. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

#define KC_HASH_LEN 32
#define KC_SOURCE_MASK 0xC0

static bool kc_key_extended(const cf_applet *app) {
  size_t len = 0;
  const uint8_t *key = kc_peek(app, KC_REC_KEY, &len);
  return key && len == KC_KEY_LEN && (key[KC_KEY_FLAGS] & KC_KEY_EXTENDED);
}

/* The working path is the current one (no derivation asked). */
static void kc_path_current(kc_req *rq) {
  size_t len = 0;
  const uint8_t *cur = kc_path_record(rq->app, KC_REC_KEY_PATH, &len);
  if (len) memcpy(rq->ctx->tmp_path, cur, len);
  rq->ctx->tmp_path_len = len;
}

/* doDerive's checks, in its order: a key with a chain code (6985); the source, P1 & C0 or the
 * whole P1 for DERIVE KEY: 00 master (no levels: back to the master key, *to_master), 40 parent
 * (the current key's parent must exist, 6B00; levels needed, 6A80), 80 current (levels needed,
 * 6A80), anything else 6A86; whole levels and at most 10 in all (6A80). On success the working
 * path is the new one. */
static uint16_t kc_eager_path(kc_req *rq, const uint8_t *data, size_t len, uint8_t source, bool *to_master) {
  *to_master = false;
  if (!kc_key_extended(rq->app)) return SW_CONDITIONS_NOT_SATISFIED;
  size_t cur_len = 0, keep;
  const uint8_t *cur = kc_path_record(rq->app, KC_REC_KEY_PATH, &cur_len);
  switch (source) {
  case KEYCARD_DERIVE_P1_SOURCE_MASTER:
    if (len == 0) {
      rq->ctx->tmp_path_len = 0;
      *to_master = true;
      return SW_OK;
    }
    keep = 0;
    break;
  case KEYCARD_DERIVE_P1_SOURCE_PARENT:
    if (cur_len < 4) return SW_WRONG_P1P2; /* parentPrivateKey not initialized */
    if (len == 0) return SW_WRONG_DATA;
    keep = cur_len - 4;
    break;
  case KEYCARD_DERIVE_P1_SOURCE_CURRENT:
    if (len == 0) return SW_WRONG_DATA;
    keep = cur_len;
    break;
  default:
    return SW_INCORRECT_P1P2;
  }
  if (len % 4 != 0 || keep + len > KC_PATH_MAX) return SW_WRONG_DATA;
  if (keep) memcpy(rq->ctx->tmp_path, cur, keep);
  memcpy(rq->ctx->tmp_path + keep, data, len);
  rq->ctx->tmp_path_len = keep + len;
  return SW_OK;
}

/* The derivation doDerive runs at once: an invalid child key is 6984 there and then. */
static uint16_t kc_eager_check_derivation(kc_req *rq) {
  kc_key key;
  uint8_t priv[32], chain[32], pub[65];
  uint16_t sw =
      kc_key_get(rq->app, &key) ? kc_key_at_path(rq, &key, priv, chain, pub) : SW_CONDITIONS_NOT_SATISFIED;
  cf_wipe(priv, sizeof priv);
  cf_wipe(chain, sizeof chain);
  cf_wipe(&key, sizeof key);
  return sw;
}

/* DERIVE KEY: P1 is the source (00, 40, 80; C0 is 6A86 here); the derived key becomes current.
 * Unlike 3.1, a key without a chain code is 6985 even for no levels, and 40 / 80 need levels. */
uint16_t kc_eager_derive_key(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  bool to_master;
  sw = kc_eager_path(rq, rq->data, rq->len, rq->cmd->p1, &to_master);
  if (sw == SW_OK && !to_master) sw = kc_eager_check_derivation(rq);
  if (sw != SW_OK) return sw;
  return kc_commit_path(rq) ? SW_OK : SW_MEMORY_FAILURE;
}

/* SET PINLESS PATH: whole levels, at most 10 (6A80); a path is derived from the master key at
 * once, so it needs a key with a chain code (6985). Empty data removes it. */
uint16_t kc_eager_set_pinless_path(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  if (rq->len % 4 != 0 || rq->len > KC_PATH_MAX) return SW_WRONG_DATA;
  if (rq->len == 0) return kc_delete(rq->app, KC_REC_PINLESS_PATH) ? SW_OK : SW_MEMORY_FAILURE;
  bool to_master;
  sw = kc_eager_path(rq, rq->data, rq->len, KEYCARD_DERIVE_P1_SOURCE_MASTER, &to_master);
  if (sw == SW_OK) sw = kc_eager_check_derivation(rq);
  if (sw != SW_OK) return sw;
  return kc_put(rq->app, KC_REC_PINLESS_PATH, rq->data, rq->len) ? SW_OK : SW_MEMORY_FAILURE;
}

/* SIGN: P1 & 3F 00 current key, 01 derive, 02 derive and make current, 03 PIN-less key (6B00
 * otherwise, before unwrapping). The order differs from 3.1: the PIN (or PIN-less) and key check
 * comes first, and it compares the PIN-less path with the current path; then 00 and 03 take
 * exactly a hash (6A80), 01 and 02 a hash and at least one byte of path (6A80) with P1 & C0 the
 * source. The answer is as in 3.1.
 * Choice: doDerive tests "hardened" on the first data byte, which for SIGN is the hash, not the
 * first level; a non-hardened first level under a hash starting 80..FF then derives from stale
 * buffer bytes. This card derives the level as BIP32 says. */
uint16_t kc_eager_sign(void *request) {
  kc_req *rq = request;
  uint8_t p1 = rq->cmd->p1;
  uint8_t mode = p1 & (uint8_t)~KC_SOURCE_MASK;
  if (mode > KEYCARD_SIGN_P1_PINLESS) return SW_WRONG_P1P2;
  bool pinless = mode == KEYCARD_SIGN_P1_PINLESS;
  bool derive = mode == KEYCARD_SIGN_P1_DERIVE || mode == KEYCARD_SIGN_P1_DERIVE_AND_MAKE_CURRENT;
  if (!(pinless && !kc_sc_open(rq->ctx))) {
    uint16_t sw = kc_sc_unwrap(rq);
    if (sw != SW_OK) return sw;
  }
  size_t pinless_len = 0;
  const uint8_t *pinless_path = kc_path_record(rq->app, KC_REC_PINLESS_PATH, &pinless_len);
  if (pinless && pinless_len == 0) return KEYCARD_SW_REFERENCED_DATA_NOT_FOUND;
  kc_path_current(rq);
  kc_key key;
  bool has_key = kc_key_get(rq->app, &key);
  uint16_t sw = SW_OK;
  if (!((rq->ctx->pin_validated || pinless || kc_path_is_pinless(rq)) && has_key))
    sw = SW_CONDITIONS_NOT_SATISFIED;
  if (sw == SW_OK && derive) {
    bool to_master;
    sw = rq->len <= KC_HASH_LEN ? SW_WRONG_DATA
                                : kc_eager_path(rq, rq->data + KC_HASH_LEN, rq->len - KC_HASH_LEN,
                                                p1 & KC_SOURCE_MASK, &to_master);
  } else if (sw == SW_OK) {
    if (rq->len != KC_HASH_LEN) sw = SW_WRONG_DATA;
    if (pinless) {
      memcpy(rq->ctx->tmp_path, pinless_path, pinless_len);
      rq->ctx->tmp_path_len = pinless_len;
    }
  }
  if (sw == SW_OK) sw = kc_sign_at_path(rq, &key);
  cf_wipe(&key, sizeof key);
  if (sw == SW_OK && mode == KEYCARD_SIGN_P1_DERIVE_AND_MAKE_CURRENT && !kc_commit_path(rq))
    sw = SW_MEMORY_FAILURE;
  return sw;
}

static void kc_out_key(kc_req *rq, uint8_t tag, const uint8_t *value, size_t len) {
  uint8_t head[2] = {tag, (uint8_t)len};
  kc_out(rq, head, 2);
  kc_out(rq, value, len);
}

/* EXPORT KEY: P2 00 private and public key, 01 public key (02 does not exist: 6A86); P1 & 3F 00
 * current key (the data is not looked at), 01 derive, 02 derive and make current (else 6A86).
 * A private key needs an EIP-1581 path of 5 levels or more, and the path checked is the data for
 * a derivation from the master key but the current path for every other case, before deriving.
 * 01 / 02 derive as DERIVE KEY does; 01 from the master key with no levels goes back to the
 * master key, making it current, as resetToMaster does. Answers: the current key (P1 00, 02)
 * A1 { 80 41 public [81 20 private] }; a derived key (P1 01) A1 { 80 41 public } or A1 { 81 20
 * private } alone.
 * Choice: after going back to the master key with P1 01 P2 01 the applet derives the public key
 * from stale derivation output; this card gives the master public key. */
uint16_t kc_eager_export_key(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  kc_key key;
  bool has_key = kc_key_get(rq->app, &key);
  if (!has_key) {
    cf_wipe(&key, sizeof key);
    return SW_CONDITIONS_NOT_SATISFIED;
  }
  uint8_t p2 = rq->cmd->p2, mode = rq->cmd->p1 & (uint8_t)~KC_SOURCE_MASK,
          source = rq->cmd->p1 & KC_SOURCE_MASK;
  bool public_only = p2 == KEYCARD_EXPORT_P2_PUBLIC;
  bool derive = mode == KEYCARD_EXPORT_P1_DERIVE || mode == KEYCARD_EXPORT_P1_DERIVE_AND_MAKE_CURRENT;
  bool make_current = mode == KEYCARD_EXPORT_P1_DERIVE_AND_MAKE_CURRENT;
  if (p2 > KEYCARD_EXPORT_P2_PUBLIC || mode > KEYCARD_EXPORT_P1_DERIVE_AND_MAKE_CURRENT)
    sw = SW_INCORRECT_P1P2;
  kc_path_current(rq);
  if (sw == SW_OK && !public_only) {
    bool from_data = derive && source == KEYCARD_DERIVE_P1_SOURCE_MASTER;
    if (!kc_path_is_eip1581(from_data ? rq->data : rq->ctx->tmp_path,
                            from_data ? rq->len : rq->ctx->tmp_path_len))
      sw = SW_CONDITIONS_NOT_SATISFIED;
  }
  bool to_master = false;
  if (sw == SW_OK && derive) sw = kc_eager_path(rq, rq->data, rq->len, source, &to_master);
  uint8_t priv[32], chain[32], pub[65];
  if (sw == SW_OK) sw = kc_key_at_path(rq, &key, priv, chain, pub);
  if (sw == SW_OK) {
    bool both = !derive || make_current;
    size_t body = (both || public_only ? 67 : 0) + (public_only ? 0 : 34);
    uint8_t head[2] = {KEYCARD_TLV_KEY_TEMPLATE, (uint8_t)body};
    kc_out(rq, head, 2);
    if (both || public_only) kc_out_key(rq, KEYCARD_TLV_PUB_KEY, pub, 65);
    if (!public_only) kc_out_key(rq, KEYCARD_TLV_PRIV_KEY, priv, 32);
    if ((make_current || to_master) && !kc_commit_path(rq)) sw = SW_MEMORY_FAILURE;
  }
  cf_wipe(priv, sizeof priv);
  cf_wipe(chain, sizeof chain);
  cf_wipe(&key, sizeof key);
  return sw;
}
