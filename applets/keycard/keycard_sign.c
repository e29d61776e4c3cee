/* SIGN, EXPORT KEY and GENERATE MNEMONIC. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

#define KC_HASH_LEN 32
#define KC_SOURCE_MASK 0xC0

/* m/43'/60'/1581' (EIP-1581): private keys are exportable only below it, at 5 levels or more. */
static const uint8_t kc_eip1581_prefix[12] = {0x80, 0x00, 0x00, 0x2B, 0x80, 0x00,
                                              0x00, 0x3C, 0x80, 0x00, 0x06, 0x2D};

/* The inputs of kc_derive for the working path, zero-filled past the path so that equal inputs
 * are equal bytes. */
static void kc_derive_input_of(const kc_req *rq, const kc_key *key, kc_derive_input *in) {
  memset(in, 0, sizeof *in);
  memcpy(in->priv, key->priv, 32);
  memcpy(in->chain, key->chain, 32);
  memcpy(in->alt_chain, key->alt_chain, 32);
  in->extended = key->extended;
  size_t len = 0;
  const uint8_t *sel = kc_peek(rq->app, KC_REC_CHAIN_SELECT, &len);
  if (sel && len == 1) {
    in->select_present = 1;
    in->select = sel[0];
  }
  in->path_len = (uint8_t)rq->ctx->tmp_path_len;
  memcpy(in->path, rq->ctx->tmp_path, rq->ctx->tmp_path_len);
}

/* The key at the working path (kc_derive) and its public key. The master key's public key is in
 * its record, computed from its private key when it was installed. A derived key comes from
 * rq->ctx->derived when every input of its derivation is the same as last time: the result is a
 * function of those inputs alone, so a changed key, chain code, chain selection or path is a miss
 * and nothing needs to invalidate the cache. */
uint16_t kc_key_at_path(kc_req *rq, const kc_key *key, uint8_t priv[32], uint8_t chain[32], uint8_t pub[65]) {
  if (rq->ctx->tmp_path_len == 0) {
    uint16_t sw = kc_derive(rq, key, priv, chain);
    if (sw == SW_OK) memcpy(pub, key->pub, 65);
    return sw;
  }
  kc_derived_cache *cache = &rq->ctx->derived;
  kc_derive_input in;
  kc_derive_input_of(rq, key, &in);
  uint16_t sw = SW_OK;
  if (cache->valid && cf_ct_equal(&cache->in, &in, sizeof in)) {
    memcpy(priv, cache->priv, 32);
    memcpy(chain, cache->chain, 32);
    memcpy(pub, cache->pub, 65);
  } else {
    sw = kc_derive(rq, key, priv, chain);
    if (sw == SW_OK && cf_ec_pub_from_priv(priv, pub) != 0) sw = SW_UNKNOWN;
    if (sw == SW_OK) {
      cache->in = in;
      memcpy(cache->priv, priv, 32);
      memcpy(cache->chain, chain, 32);
      memcpy(cache->pub, pub, 65);
      cache->valid = true;
    }
  }
  cf_wipe(&in, sizeof in);
  return sw;
}

/* Signs the hash at the start of the command data with the key at the working path; the answer
 * is A0 81 L { 80 41 public key, DER signature with low S }. */
uint16_t kc_sign_at_path(kc_req *rq, const kc_key *key) {
  uint8_t priv[32], chain[32], pub[65], sig[64], der[72];
  size_t der_len = 0;
  int recid;
  uint16_t sw = kc_key_at_path(rq, key, priv, chain, pub);
  if (sw == SW_OK) {
    bool ok = cf_ec_sign(priv, rq->data, sig, &recid) == 0 &&
              (der_len = cf_ec_sig_to_der(sig, der, sizeof der)) > 0;
    sw = ok ? SW_OK : SW_UNKNOWN;
  }
  cf_wipe(priv, sizeof priv);
  cf_wipe(chain, sizeof chain);
  if (sw != SW_OK) return sw;
  uint8_t head[5] = {KEYCARD_TLV_SIGNATURE_TEMPLATE, 0x81, (uint8_t)(2 + 65 + der_len), KEYCARD_TLV_PUB_KEY,
                     65};
  kc_out(rq, head, sizeof head);
  kc_out(rq, pub, 65);
  kc_out(rq, der, der_len);
  return SW_OK;
}

/* SIGN: data = hash (32) || path levels. P1 low bits: 00 current key (source forced to current),
 * 01 derive, 02 derive and make current, 03 PIN-less; P1 & C0 = derivation source. P1 is checked
 * before the command is unwrapped, as the applet does (6B00). PIN-less signing works without a
 * secure channel; then the answer is plain. Answer: A0 81 L { 80 41 public key, DER signature
 * with low S }. */
uint16_t kc_sign(void *request) {
  kc_req *rq = request;
  uint8_t p1 = rq->cmd->p1;
  uint8_t source = p1 & KC_SOURCE_MASK;
  bool pinless = false, make_current = false;
  switch (p1 & (uint8_t)~KC_SOURCE_MASK) {
  case KEYCARD_SIGN_P1_CURRENT:
    source = KEYCARD_DERIVE_P1_SOURCE_CURRENT;
    break;
  case KEYCARD_SIGN_P1_DERIVE:
    break;
  case KEYCARD_SIGN_P1_DERIVE_AND_MAKE_CURRENT:
    make_current = true;
    break;
  case KEYCARD_SIGN_P1_PINLESS:
    pinless = true;
    source = KEYCARD_DERIVE_P1_SOURCE_PINLESS;
    break;
  default:
    return SW_WRONG_P1P2;
  }
  bool sc = kc_sc_open(rq->ctx);
  if (!(pinless && !sc)) {
    uint16_t sw = kc_sc_unwrap(rq);
    if (sw != SW_OK) return sw;
  }
  size_t pinless_len = 0;
  if (pinless && (!kc_peek(rq->app, KC_REC_PINLESS_PATH, &pinless_len) || pinless_len == 0))
    return KEYCARD_SW_REFERENCED_DATA_NOT_FOUND;
  if (rq->len < KC_HASH_LEN) return SW_WRONG_DATA;
  uint16_t sw = kc_update_path(rq, rq->data + KC_HASH_LEN, rq->len - KC_HASH_LEN, source);
  if (sw != SW_OK) return sw;
  kc_key key;
  bool has_key = kc_key_get(rq->app, &key);
  if (!((rq->ctx->pin_validated || pinless || kc_path_is_pinless(rq)) && has_key)) {
    cf_wipe(&key, sizeof key);
    return SW_CONDITIONS_NOT_SATISFIED;
  }
  sw = kc_sign_at_path(rq, &key);
  cf_wipe(&key, sizeof key);
  if (sw != SW_OK) return sw;
  if (make_current && !kc_commit_path(rq)) return SW_MEMORY_FAILURE;
  return SW_OK;
}

bool kc_path_is_eip1581(const uint8_t *path, size_t len) {
  return len >= sizeof kc_eip1581_prefix + 8 &&
         memcmp(path, kc_eip1581_prefix, sizeof kc_eip1581_prefix) == 0;
}

/* EXPORT KEY: P2 00 private key (A1 { 81 }, only under EIP-1581 with >= 5 levels), 01 public key
 * (A1 { 80 }), 02 extended public key (A1 { 80 82 }, refused under EIP-1581). P1 as for SIGN
 * without the PIN-less case; data = path levels. */
uint16_t kc_export_key(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  kc_key key;
  bool has_key = kc_key_get(rq->app, &key);
  cf_wipe(&key, sizeof key);
  if (!has_key) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t p2 = rq->cmd->p2;
  uint8_t last_p2 =
      rq->ver->export_extended_public ? KEYCARD_EXPORT_P2_EXTENDED_PUBLIC : KEYCARD_EXPORT_P2_PUBLIC;
  if (p2 > last_p2) return SW_INCORRECT_P1P2;
  bool public_only = p2 != KEYCARD_EXPORT_P2_PRIVATE, extended = p2 == KEYCARD_EXPORT_P2_EXTENDED_PUBLIC;
  uint8_t source = rq->cmd->p1 & KC_SOURCE_MASK;
  bool make_current = false;
  switch (rq->cmd->p1 & (uint8_t)~KC_SOURCE_MASK) {
  case KEYCARD_EXPORT_P1_CURRENT:
    source = KEYCARD_DERIVE_P1_SOURCE_CURRENT;
    break;
  case KEYCARD_EXPORT_P1_DERIVE:
    break;
  case KEYCARD_EXPORT_P1_DERIVE_AND_MAKE_CURRENT:
    make_current = true;
    break;
  default:
    return SW_INCORRECT_P1P2;
  }
  sw = kc_update_path(rq, rq->data, rq->len, source);
  if (sw != SW_OK) return sw;
  bool eip1581 = kc_path_is_eip1581(rq->ctx->tmp_path, rq->ctx->tmp_path_len);
  if (!(public_only || eip1581) || (extended && eip1581)) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t priv[32], chain[32], pub[65];
  kc_key_get(rq->app, &key);
  bool key_extended = key.extended;
  /* a private key goes out as derived: no public key to compute */
  sw = public_only ? kc_key_at_path(rq, &key, priv, chain, pub) : kc_derive(rq, &key, priv, chain);
  cf_wipe(&key, sizeof key);
  if (sw == SW_OK) {
    if (public_only) {
      if (!key_extended) memset(chain, 0, sizeof chain); /* no chain code to give */
      uint8_t head[4] = {KEYCARD_TLV_KEY_TEMPLATE, (uint8_t)(67 + (extended ? 34 : 0)), KEYCARD_TLV_PUB_KEY,
                         65};
      kc_out(rq, head, sizeof head);
      kc_out(rq, pub, 65);
      if (extended) {
        uint8_t tag[2] = {KEYCARD_TLV_CHAIN_CODE, 32};
        kc_out(rq, tag, 2);
        kc_out(rq, chain, 32);
      }
    } else {
      uint8_t head[4] = {KEYCARD_TLV_KEY_TEMPLATE, 34, KEYCARD_TLV_PRIV_KEY, 32};
      kc_out(rq, head, sizeof head);
      kc_out(rq, priv, 32);
    }
  }
  cf_wipe(priv, sizeof priv);
  cf_wipe(chain, sizeof chain);
  if (sw != SW_OK) return sw;
  if (make_current && !kc_commit_path(rq)) return SW_MEMORY_FAILURE;
  return SW_OK;
}

/* GENERATE MNEMONIC: P1 = checksum length in bits (4..8); entropy = 32 * P1 bits. Answers the
 * 11-bit word indexes of entropy || checksum as 16-bit big-endian numbers (3 * P1 words). Needs
 * the secure channel only. */
uint16_t kc_generate_mnemonic(void *request) {
  kc_req *rq = request;
  unsigned cs = rq->cmd->p1;
  if (cs < 4 || cs > 8) return SW_INCORRECT_P1P2;
  size_t ent_len = cs * 4;
  uint8_t bits[33];
  if (cf_rand(bits, ent_len) != 0) return SW_UNKNOWN;
  uint8_t hash[32];
  if (cf_sha256(bits, ent_len, hash) != 0) {
    cf_wipe(bits, sizeof bits);
    return SW_UNKNOWN;
  }
  bits[ent_len] = hash[0];
  size_t words = (ent_len * 8 + cs) / 11;
  for (size_t w = 0; w < words; w++) {
    unsigned v = 0;
    for (size_t b = 0; b < 11; b++) {
      size_t bit = w * 11 + b;
      v = (v << 1) | ((bits[bit / 8] >> (7 - bit % 8)) & 1u);
    }
    uint8_t be[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    kc_out(rq, be, 2);
  }
  cf_wipe(bits, sizeof bits);
  cf_wipe(hash, sizeof hash);
  return SW_OK;
}
