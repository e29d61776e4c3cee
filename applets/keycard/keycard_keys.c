/* The wallet key: LOAD KEY, GENERATE KEY, REMOVE KEY, the derivation path (DERIVE KEY, SET PINLESS
 * PATH) and the lazy derivation used by SIGN and EXPORT KEY. Derivation is done when a key is
 * used, as in the applet; DERIVE KEY only moves the current path. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "keycard_internal.h"

#define KC_SEED_LEN 64

/* an empty record still needs a non-NULL source */
static const uint8_t kc_empty[1];

bool kc_key_get(const cf_applet *app, kc_key *key) {
  memset(key, 0, sizeof *key);
  size_t len = 0;
  const uint8_t *p = kc_peek(app, KC_REC_KEY, &len);
  if (!p || len != KC_KEY_LEN) return false;
  key->present = true;
  key->extended = (p[KC_KEY_FLAGS] & KC_KEY_EXTENDED) != 0;
  memcpy(key->priv, p + KC_KEY_PRIV, 32);
  memcpy(key->pub, p + KC_KEY_PUB, 65);
  memcpy(key->chain, p + KC_KEY_CHAIN, 32);
  memcpy(key->alt_chain, p + KC_KEY_ALT_CHAIN, 32);
  memcpy(key->uid, p + KC_KEY_UID, 32);
  return true;
}

/* Stores a new master key: key UID = SHA-256(65-byte public key), alternate chain code =
 * SHA-256(chain code) for extended keys. The current and PIN-less paths start over. */
uint16_t kc_key_install(cf_applet *app, const uint8_t priv[32], const uint8_t *pub, const uint8_t *chain,
                        uint8_t uid[32]) {
  if (!cf_ec_priv_valid(priv)) return SW_WRONG_DATA;
  uint8_t rec[KC_KEY_LEN] = {0};
  if (cf_ec_pub_from_priv(priv, rec + KC_KEY_PUB) != 0) return SW_WRONG_DATA;
  /* a given public key must be the private key's: a mismatch would give a key UID no signature
   * ever matches */
  if (pub && memcmp(pub, rec + KC_KEY_PUB, 65) != 0) return SW_WRONG_DATA;
  memcpy(rec + KC_KEY_PRIV, priv, 32);
  if (chain) {
    rec[KC_KEY_FLAGS] = KC_KEY_EXTENDED;
    memcpy(rec + KC_KEY_CHAIN, chain, 32);
  }
  if ((chain && cf_sha256(chain, 32, rec + KC_KEY_ALT_CHAIN) != 0) ||
      cf_sha256(rec + KC_KEY_PUB, 65, rec + KC_KEY_UID) != 0) {
    cf_wipe(rec, sizeof rec);
    return SW_UNKNOWN;
  }
  memcpy(uid, rec + KC_KEY_UID, 32);
  bool ok = kc_put(app, KC_REC_KEY, rec, sizeof rec) && kc_put(app, KC_REC_KEY_PATH, kc_empty, 0) &&
            kc_delete(app, KC_REC_PINLESS_PATH);
  cf_wipe(rec, sizeof rec);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

uint16_t kc_key_from_seed(cf_applet *app, const uint8_t *seed, size_t len, uint8_t uid[32]) {
  uint8_t priv[32], chain[32];
  uint16_t sw = kc_bip32_master(seed, len, priv, chain) == 0 ? kc_key_install(app, priv, NULL, chain, uid)
                                                             : SW_WRONG_DATA;
  cf_wipe(priv, sizeof priv);
  cf_wipe(chain, sizeof chain);
  return sw;
}

/* Key template A1 L { [80 public key] 81 private key [82 chain code] }, read the way the applet's
 * loadKeyPair reads it (KeycardApplet.java, tags 2.2.1 to 3.1.0): by walking offsets from the
 * start, each element's own length byte deciding where the next one starts. So the template's
 * length is not checked (only its 81 form is skipped), bytes after the elements are ignored, and
 * the private key takes the length its TLV gives: ECPrivateKey.setS takes S right-aligned, so
 * 1..32 bytes are a key with leading zero bytes left out (SDKs strip them: about one key in 256
 * arrives as 81 1F). Where the applet would read past the command data (stale buffer bytes), a
 * missing element is absent and a truncated one is refused (6A80). */
uint16_t kc_parse_key_template(const uint8_t *p, size_t len, uint8_t priv[32], uint8_t pub[65], bool *has_pub,
                               uint8_t chain[32], bool *has_chain) {
  *has_pub = *has_chain = false;
  if (len < 2 || p[0] != KEYCARD_TLV_KEY_TEMPLATE) return SW_WRONG_DATA;
  size_t at = p[1] == 0x81 ? 3 : 2;
  size_t pub_at = 0, pub_len = 0;
  if (at + 1 < len && p[at] == KEYCARD_TLV_PUB_KEY) {
    pub_at = at + 2;
    pub_len = p[at + 1];
    at = pub_at + pub_len;
    *has_pub = true;
  }
  /* lengths are Java bytes: 80..FF are negative offsets there, and never a valid element here */
  if (at + 1 >= len || p[at] != KEYCARD_TLV_PRIV_KEY || p[at + 1] == 0 || p[at + 1] > 32)
    return SW_WRONG_DATA;
  size_t s_len = p[at + 1];
  if (at + 2 + s_len > len) return SW_WRONG_DATA;
  memset(priv, 0, 32);
  memcpy(priv + 32 - s_len, p + at + 2, s_len);
  at += 2 + s_len;
  if (at < len && p[at] == KEYCARD_TLV_CHAIN_CODE) {
    if (at + 1 >= len || p[at + 1] != 32 || at + 2 + 32 > len) return SW_WRONG_DATA;
    memcpy(chain, p + at + 2, 32);
    *has_chain = true;
  }
  if (*has_pub) {
    /* ECPublicKey.setW takes an X9.62 point: uncompressed (65) or compressed (33) */
    if ((pub_len != 65 && pub_len != 33) || pub_at + pub_len > len ||
        cf_ec_pub_normalize(p + pub_at, pub_len, pub, NULL) != 0)
      return SW_WRONG_DATA;
  }
  return SW_OK;
}

static uint16_t kc_load_key_template(kc_req *rq, uint8_t uid[32]) {
  uint8_t priv[32], pub[65], chain[32];
  bool has_pub, has_chain;
  uint16_t sw = kc_parse_key_template(rq->data, rq->len, priv, pub, &has_pub, chain, &has_chain);
  if (sw == SW_OK) sw = kc_key_install(rq->app, priv, has_pub ? pub : NULL, has_chain ? chain : NULL, uid);
  cf_wipe(priv, sizeof priv);
  cf_wipe(chain, sizeof chain);
  return sw;
}

/* LOAD KEY: P1 01/02 key template (a chain code makes the key extended), 03 a seed: 64 bytes
 * (BIP39) up to 3.1.0, 16 to 64 bytes from 3.2 (BIP32_MIN_SEED_SIZE, for SLIP39 seeds), any other
 * length 6A80. Answers the key UID. 3.2 computes the UID inside the key's transaction (3.1.0
 * after it): both are one store transaction here, so no tear leaves a stale UID in either. */
uint16_t kc_load_key(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  uint8_t uid[32];
  switch (rq->cmd->p1) {
  case KEYCARD_LOAD_KEY_P1_EC:
  case KEYCARD_LOAD_KEY_P1_EXT_EC:
    sw = kc_load_key_template(rq, uid);
    break;
  case KEYCARD_LOAD_KEY_P1_SEED:
    sw = rq->len >= rq->ver->seed_min && rq->len <= KC_SEED_LEN
             ? kc_key_from_seed(rq->app, rq->data, rq->len, uid)
             : SW_WRONG_DATA;
    break;
  default:
    return SW_INCORRECT_P1P2;
  }
  if (sw == SW_OK) kc_out(rq, uid, sizeof uid);
  return sw;
}

/* GENERATE KEY: a random 64-byte seed through the BIP32 master key function. */
uint16_t kc_generate_key(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  uint8_t seed[KC_SEED_LEN], uid[32];
  sw = cf_rand(seed, sizeof seed) == 0 ? kc_key_from_seed(rq->app, seed, sizeof seed, uid) : SW_UNKNOWN;
  cf_wipe(seed, sizeof seed);
  if (sw == SW_OK) kc_out(rq, uid, sizeof uid);
  return sw;
}

/* REMOVE KEY: the key, its paths and the PIN-less path go. */
uint16_t kc_remove_key(void *request) {
  kc_req *rq = request;
  bool ok = kc_delete(rq->app, KC_REC_KEY) && kc_delete(rq->app, KC_REC_KEY_PATH) &&
            kc_delete(rq->app, KC_REC_PINLESS_PATH);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

const uint8_t *kc_path_record(const cf_applet *app, unsigned rec, size_t *len) {
  const uint8_t *p = kc_peek(app, rec, len);
  if (!p || *len > KC_PATH_MAX || *len % 4 != 0) {
    *len = 0;
    return NULL;
  }
  return p;
}

/* Builds the working path from a source (P1 & C0: 00 master, 40 parent, 80 current, C0 PIN-less)
 * and the levels in data. Without an extended key only an empty path is accepted (6985). */
uint16_t kc_update_path(kc_req *rq, const uint8_t *data, size_t len, uint8_t source) {
  kc_ctx *ctx = rq->ctx;
  size_t len_key = 0;
  const uint8_t *key = kc_peek(rq->app, KC_REC_KEY, &len_key);
  bool extended = key && len_key == KC_KEY_LEN && (key[KC_KEY_FLAGS] & KC_KEY_EXTENDED);
  if (!extended) {
    if (len != 0) return SW_CONDITIONS_NOT_SATISFIED;
    ctx->tmp_path_len = 0;
    return SW_OK;
  }
  size_t cur_len = 0, pinless_len = 0;
  const uint8_t *cur = kc_path_record(rq->app, KC_REC_KEY_PATH, &cur_len);
  const uint8_t *src = cur;
  size_t keep, total;
  switch (source) {
  case KEYCARD_DERIVE_P1_SOURCE_MASTER:
    keep = 0;
    total = len;
    break;
  case KEYCARD_DERIVE_P1_SOURCE_PARENT:
    if (cur_len < 4) return SW_WRONG_P1P2;
    keep = cur_len - 4;
    total = keep + len;
    break;
  case KEYCARD_DERIVE_P1_SOURCE_CURRENT:
    keep = cur_len;
    total = keep + len;
    break;
  case KEYCARD_DERIVE_P1_SOURCE_PINLESS:
    if (len != 0) return SW_WRONG_DATA;
    src = kc_path_record(rq->app, KC_REC_PINLESS_PATH, &pinless_len);
    keep = total = pinless_len;
    break;
  default:
    return SW_INCORRECT_P1P2;
  }
  if (len % 4 != 0 || total > KC_PATH_MAX) return SW_WRONG_DATA;
  if (keep) memcpy(ctx->tmp_path, src, keep);
  if (len) memcpy(ctx->tmp_path + keep, data, len);
  ctx->tmp_path_len = total;
  return SW_OK;
}

bool kc_commit_path(kc_req *rq) {
  return kc_put(rq->app, KC_REC_KEY_PATH, rq->ctx->tmp_path_len ? rq->ctx->tmp_path : kc_empty,
                rq->ctx->tmp_path_len);
}

bool kc_path_is_pinless(const kc_req *rq) {
  size_t len = 0;
  const uint8_t *p = kc_path_record(rq->app, KC_REC_PINLESS_PATH, &len);
  return len > 0 && len == rq->ctx->tmp_path_len && memcmp(p, rq->ctx->tmp_path, len) == 0;
}

/* The key at the working path. An empty path is the master key with the chain code in use (the
 * applet leaves stale bytes there; see docs/keycard.md). The alternate PIN selects the alternate
 * chain code, and with it a different tree under the same master key. */
uint16_t kc_derive(kc_req *rq, const kc_key *key, uint8_t priv[32], uint8_t chain[32]) {
  size_t len = 0;
  const uint8_t *sel = kc_peek(rq->app, KC_REC_CHAIN_SELECT, &len);
  const uint8_t *c = sel && len == 1 && sel[0] == 1 && key->extended ? key->alt_chain : key->chain;
  if (rq->ctx->tmp_path_len == 0) {
    memcpy(priv, key->priv, 32);
    memcpy(chain, c, 32);
    return SW_OK;
  }
  if (kc_bip32_derive(key->priv, c, rq->ctx->tmp_path, rq->ctx->tmp_path_len, priv, chain) != 0)
    return SW_DATA_INVALID;
  return SW_OK;
}

/* DERIVE KEY: P1 is the source as a whole byte (00, 40, 80, C0); the path becomes current. */
uint16_t kc_derive_key(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  sw = kc_update_path(rq, rq->data, rq->len, rq->cmd->p1);
  if (sw != SW_OK) return sw;
  return kc_commit_path(rq) ? SW_OK : SW_MEMORY_FAILURE;
}

/* SET PINLESS PATH: up to 10 levels; empty data removes it. */
uint16_t kc_set_pinless_path(void *request) {
  kc_req *rq = request;
  if (rq->len % 4 != 0 || rq->len > KC_PATH_MAX) return SW_WRONG_DATA;
  bool ok = rq->len ? kc_put(rq->app, KC_REC_PINLESS_PATH, rq->data, rq->len)
                    : kc_delete(rq->app, KC_REC_PINLESS_PATH);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}
