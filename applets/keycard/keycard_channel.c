/* Keycard secure channel, card side: the channel key pair, PAIR / UNPAIR, OPEN SECURE CHANNEL,
 * MUTUALLY AUTHENTICATE, the wrapping of commands and responses, and the one-shot ECDH
 * encryption used by INIT and DUPLICATE KEY (ADD ENTROPY). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

#define KC_BLOCK 16

bool kc_sc_open(const kc_ctx *ctx) {
  return ctx->sc_keys && ctx->sc_auth;
}

void kc_sc_reset(kc_ctx *ctx) {
  ctx->sc_keys = false;
  ctx->sc_auth = false;
  cf_wipe(ctx->sc_enc, sizeof ctx->sc_enc);
  cf_wipe(ctx->sc_mac, sizeof ctx->sc_mac);
  cf_wipe(ctx->sc_iv, sizeof ctx->sc_iv);
}

/* The stored channel private key, and its public key computed once per key (the cache is keyed
 * by the private key itself, so INIT or FACTORY RESET replacing it cannot leave a stale value). */
static const uint8_t *kc_channel_priv(cf_applet *app) {
  size_t len = 0;
  const uint8_t *priv = kc_peek(app, KC_REC_CHANNEL_KEY, &len);
  return priv && len == 32 ? priv : NULL;
}

const uint8_t *kc_channel_pub(cf_applet *app, kc_ctx *ctx) {
  const uint8_t *priv = kc_channel_priv(app);
  if (!priv) return NULL;
  if (!ctx->chan_cached || !cf_ct_equal(ctx->chan_priv, priv, 32)) {
    ctx->chan_cached = false;
    if (cf_ec_pub_from_priv(priv, ctx->chan_pub) != 0) return NULL;
    memcpy(ctx->chan_priv, priv, 32);
    ctx->chan_cached = true;
  }
  return ctx->chan_pub;
}

bool kc_channel_regenerate(cf_applet *app, kc_ctx *ctx) {
  uint8_t priv[32], pub[65];
  bool ok = cf_ec_keygen(priv, pub) == 0 && kc_put(app, KC_REC_CHANNEL_KEY, priv, 32);
  if (ok) {
    memcpy(ctx->chan_priv, priv, 32);
    memcpy(ctx->chan_pub, pub, 65);
    ctx->chan_cached = true;
  }
  cf_wipe(priv, sizeof priv);
  return ok;
}

static const uint8_t *kc_pairings(const cf_applet *app) {
  size_t len = 0;
  const uint8_t *p = kc_peek(app, KC_REC_PAIRINGS, &len);
  return p && len == KC_PAIRINGS_LEN ? p : NULL;
}

uint8_t kc_free_slots(const cf_applet *app) {
  const uint8_t *p = kc_pairings(app);
  uint8_t n = 0;
  for (int i = 0; p && i < KEYCARD_PAIRING_SLOTS; i++)
    if (p[i * KC_SLOT_LEN] != 1) n++;
  return n;
}

/* CBC-MAC over a 16-byte header block followed by the ciphertext. */
static bool kc_mac(const uint8_t key[32], const uint8_t head[16], const uint8_t *ct, size_t ct_len,
                   uint8_t mac[16]) {
  uint8_t buf[KC_BLOCK + 256];
  if (ct_len > sizeof buf - KC_BLOCK) return false;
  memcpy(buf, head, KC_BLOCK);
  memcpy(buf + KC_BLOCK, ct, ct_len);
  return cf_aes_cbc_mac(key, 32, NULL, buf, KC_BLOCK + ct_len, mac) == 0;
}

/* Command: data = MAC (16) || AES-CBC(enc, IV, M2-padded plaintext). The MAC covers the block
 * CLA INS P1 P2 Lc || 11 zero bytes, then the ciphertext; it becomes the IV of the response.
 * Anything that cannot be a valid cryptogram is treated like a wrong MAC: plain 6982, and the
 * channel is closed. */
uint16_t kc_sc_unwrap(kc_req *rq) {
  kc_ctx *ctx = rq->ctx;
  if (!kc_sc_open(ctx)) return SW_CONDITIONS_NOT_SATISFIED;
  const cf_apdu *cmd = rq->cmd;
  size_t lc = cmd->lc;
  if (lc < 2 * KC_BLOCK || lc > 255 || lc % KC_BLOCK != 0) {
    kc_sc_reset(ctx);
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  }
  uint8_t head[KC_BLOCK] = {cmd->cla, cmd->ins, cmd->p1, cmd->p2, (uint8_t)lc};
  uint8_t mac[KC_BLOCK];
  const uint8_t *ct = cmd->data + KC_BLOCK;
  size_t ct_len = lc - KC_BLOCK;
  if (!kc_mac(ctx->sc_mac, head, ct, ct_len, mac) || !cf_ct_equal(mac, cmd->data, KC_BLOCK)) {
    kc_sc_reset(ctx);
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  }
  uint8_t iv[KC_BLOCK];
  memcpy(iv, ctx->sc_iv, KC_BLOCK);
  memcpy(ctx->sc_iv, cmd->data, KC_BLOCK);
  long n = -1;
  if (cf_aes_cbc_decrypt(ctx->sc_enc, 32, iv, ct, rq->plain, ct_len) == 0)
    n = cf_unpad_iso9797_m2(rq->plain, ct_len);
  if (n < 0) {
    kc_sc_reset(ctx);
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  }
  rq->data = rq->plain;
  rq->len = (size_t)n;
  return SW_OK;
}

/* Response: MAC (16) || AES-CBC(enc, IV, M2-padded data || SW). The MAC covers the block
 * (ciphertext length + 16) || 15 zero bytes, then the ciphertext; it becomes the next IV. */
bool kc_sc_wrap(kc_ctx *ctx, const uint8_t *data, size_t len, uint16_t sw, cf_rapdu *resp) {
  /* a short response carries at most 256 bytes: MAC + 240 bytes of ciphertext */
  uint8_t buf[240];
  if (len + 2 >= sizeof buf) return false;
  memcpy(buf, data, len);
  cf_put_be16(buf + len, sw);
  size_t ct_len = cf_pad_iso9797_m2(buf, len + 2, KC_BLOCK, sizeof buf);
  if (ct_len == 0 || cf_aes_cbc_encrypt(ctx->sc_enc, 32, ctx->sc_iv, buf, buf, ct_len) != 0) return false;
  uint8_t head[KC_BLOCK] = {(uint8_t)(ct_len + KC_BLOCK)};
  uint8_t mac[KC_BLOCK];
  bool ok = kc_mac(ctx->sc_mac, head, buf, ct_len, mac) && cf_rapdu_put(resp, mac, KC_BLOCK) &&
            cf_rapdu_put(resp, buf, ct_len);
  if (ok) memcpy(ctx->sc_iv, mac, KC_BLOCK);
  cf_wipe(buf, sizeof buf);
  return ok;
}

/* One-shot encryption: data = L || host public key (L bytes) || IV (16) || AES-CBC(K, IV,
 * M2-padded plaintext), K = X coordinate of ECDH(card channel key, host key). The plaintext
 * replaces the command data. Any malformed cryptogram answers 6A80. */
uint16_t kc_one_shot_decrypt(kc_req *rq) {
  const uint8_t *d = rq->cmd->data;
  size_t lc = rq->cmd->lc;
  if (lc < 1) return SW_WRONG_DATA;
  size_t key_len = d[0];
  if (1 + key_len + KC_BLOCK > lc) return SW_WRONG_DATA;
  size_t ct_len = lc - 1 - key_len - KC_BLOCK;
  if (ct_len == 0 || ct_len % KC_BLOCK != 0 || ct_len > sizeof rq->plain) return SW_WRONG_DATA;
  const uint8_t *priv = kc_channel_priv(rq->app);
  if (!priv) return SW_MEMORY_FAILURE;
  uint8_t secret[32];
  if (cf_ec_ecdh_x(priv, d + 1, key_len, secret) != 0) {
    cf_wipe(secret, sizeof secret);
    return SW_WRONG_DATA;
  }
  long n = -1;
  if (cf_aes_cbc_decrypt(secret, 32, d + 1 + key_len, d + 1 + key_len + KC_BLOCK, rq->plain, ct_len) == 0)
    n = cf_unpad_iso9797_m2(rq->plain, ct_len);
  cf_wipe(secret, sizeof secret);
  if (n < 0) return SW_WRONG_DATA;
  rq->data = rq->plain;
  rq->len = (size_t)n;
  return SW_OK;
}

/* OPEN SECURE CHANNEL: P1 = pairing index, data = host ephemeral public key (65 bytes). Answers
 * salt (32) || IV (16) in the clear; session keys = SHA-512(ECDH X || pairing key || salt). */
uint16_t kc_open_secure_channel(void *request) {
  kc_req *rq = request;
  kc_ctx *ctx = rq->ctx;
  /* the applet drops a pending pairing and the authenticated state before any check */
  ctx->pair_slot = 0;
  ctx->sc_auth = false;
  const uint8_t *pairings = kc_pairings(rq->app);
  if (!pairings) return SW_MEMORY_FAILURE;
  uint8_t idx = rq->cmd->p1;
  if (idx >= KEYCARD_PAIRING_SLOTS || pairings[idx * KC_SLOT_LEN] != 1) return SW_INCORRECT_P1P2;
  const uint8_t *priv = kc_channel_priv(rq->app);
  if (!priv) return SW_MEMORY_FAILURE;
  uint8_t secret[32];
  if (rq->cmd->lc != 65 || cf_ec_ecdh_x(priv, rq->cmd->data, rq->cmd->lc, secret) != 0) {
    cf_wipe(secret, sizeof secret);
    return SW_WRONG_DATA;
  }
  uint8_t salt_iv[32 + KC_BLOCK];
  if (cf_rand(salt_iv, sizeof salt_iv) != 0) {
    cf_wipe(secret, sizeof secret);
    return SW_UNKNOWN;
  }
  cf_iov parts[3] = {{secret, 32}, {pairings + idx * KC_SLOT_LEN + 1, 32}, {salt_iv, 32}};
  uint8_t keys[64];
  int rc = cf_sha512_v(parts, 3, keys);
  cf_wipe(secret, sizeof secret);
  if (rc != 0) return SW_UNKNOWN;
  memcpy(ctx->sc_enc, keys, 32);
  memcpy(ctx->sc_mac, keys + 32, 32);
  memcpy(ctx->sc_iv, salt_iv + 32, KC_BLOCK);
  ctx->sc_keys = true;
  cf_wipe(keys, sizeof keys);
  kc_out(rq, salt_iv, sizeof salt_iv);
  rq->final = true;
  return SW_OK;
}

/* MUTUALLY AUTHENTICATE: wrapped 32 random bytes each way; the channel counts as open while the
 * command is unwrapped, as in the applet. */
uint16_t kc_mutually_authenticate(void *request) {
  kc_req *rq = request;
  kc_ctx *ctx = rq->ctx;
  if (!ctx->sc_keys) return SW_CONDITIONS_NOT_SATISFIED;
  bool was_open = ctx->sc_auth;
  ctx->sc_auth = true;
  uint16_t sw = kc_sc_unwrap(rq);
  if (sw != SW_OK) return sw;
  if (was_open) return SW_CONDITIONS_NOT_SATISFIED;
  if (rq->len != KEYCARD_SECRET_LEN) {
    kc_sc_reset(ctx);
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  }
  uint8_t challenge[KEYCARD_SECRET_LEN];
  if (cf_rand(challenge, sizeof challenge) != 0) return SW_UNKNOWN;
  kc_out(rq, challenge, sizeof challenge);
  return SW_OK;
}

static uint16_t kc_pair_step1(kc_req *rq, const uint8_t *secret, const uint8_t *pairings) {
  kc_ctx *ctx = rq->ctx;
  ctx->pair_slot = 0;
  for (int i = 0; i < KEYCARD_PAIRING_SLOTS; i++) {
    if (pairings[i * KC_SLOT_LEN] != 1) {
      ctx->pair_slot = (uint8_t)(i + 1);
      break;
    }
  }
  if (ctx->pair_slot == 0) return SW_NOT_ENOUGH_MEMORY;
  uint8_t cryptogram[32];
  cf_iov parts[2] = {{secret, 32}, {rq->data, 32}};
  if (cf_sha256_v(parts, 2, cryptogram) != 0 || cf_rand(ctx->pair_challenge, 32) != 0) {
    ctx->pair_slot = 0;
    return SW_UNKNOWN;
  }
  kc_out(rq, cryptogram, 32);
  kc_out(rq, ctx->pair_challenge, 32);
  rq->final = true;
  return SW_OK;
}

static uint16_t kc_pair_step2(kc_req *rq, const uint8_t *secret, const uint8_t *pairings) {
  kc_ctx *ctx = rq->ctx;
  uint8_t expected[32];
  cf_iov parts[2] = {{secret, 32}, {ctx->pair_challenge, 32}};
  int rc = cf_sha256_v(parts, 2, expected);
  uint8_t slot = (uint8_t)(ctx->pair_slot - 1);
  ctx->pair_slot = 0;
  cf_wipe(ctx->pair_challenge, sizeof ctx->pair_challenge);
  if (rc != 0) return SW_UNKNOWN;
  if (!cf_ct_equal(expected, rq->data, 32)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  uint8_t salt[32];
  if (cf_rand(salt, sizeof salt) != 0) return SW_UNKNOWN;
  uint8_t updated[KC_PAIRINGS_LEN];
  memcpy(updated, pairings, sizeof updated);
  uint8_t *entry = updated + slot * KC_SLOT_LEN;
  entry[0] = 1;
  cf_iov key_parts[2] = {{secret, 32}, {salt, 32}};
  bool ok =
      cf_sha256_v(key_parts, 2, entry + 1) == 0 && kc_put(rq->app, KC_REC_PAIRINGS, updated, sizeof updated);
  cf_wipe(updated, sizeof updated);
  if (!ok) return SW_MEMORY_FAILURE;
  kc_out(rq, &slot, 1);
  kc_out(rq, salt, 32);
  rq->final = true;
  return SW_OK;
}

/* PAIR: P1 00 = client challenge -> SHA-256(secret || challenge) || card challenge; P1 01 = client
 * cryptogram SHA-256(secret || card challenge) -> index || salt, pairing key SHA-256(secret ||
 * salt). Checks in the applet's order: open channel 6985, length 6A80, step/P1 6A86. */
uint16_t kc_pair(void *request) {
  kc_req *rq = request;
  if (kc_sc_open(rq->ctx)) return SW_CONDITIONS_NOT_SATISFIED;
  if (rq->len != KEYCARD_SECRET_LEN) return SW_WRONG_DATA;
  size_t len = 0;
  const uint8_t *secret = kc_peek(rq->app, KC_REC_PAIRING_SECRET, &len);
  const uint8_t *pairings = kc_pairings(rq->app);
  if (!secret || len != 32 || !pairings) return SW_MEMORY_FAILURE;
  if (rq->cmd->p1 == KEYCARD_PAIR_P1_FIRST_STEP) return kc_pair_step1(rq, secret, pairings);
  if (rq->cmd->p1 == KEYCARD_PAIR_P1_LAST_STEP && rq->ctx->pair_slot != 0)
    return kc_pair_step2(rq, secret, pairings);
  return SW_INCORRECT_P1P2;
}

/* UNPAIR: wrapped, PIN verified; P1 = index; an index already free is not an error. */
uint16_t kc_unpair(void *request) {
  kc_req *rq = request;
  uint8_t idx = rq->cmd->p1;
  if (idx >= KEYCARD_PAIRING_SLOTS) return SW_INCORRECT_P1P2;
  const uint8_t *pairings = kc_pairings(rq->app);
  if (!pairings) return SW_MEMORY_FAILURE;
  if (pairings[idx * KC_SLOT_LEN] != 1) return SW_OK;
  uint8_t updated[KC_PAIRINGS_LEN];
  memcpy(updated, pairings, sizeof updated);
  memset(updated + idx * KC_SLOT_LEN, 0, KC_SLOT_LEN);
  bool ok = kc_put(rq->app, KC_REC_PAIRINGS, updated, sizeof updated);
  cf_wipe(updated, sizeof updated);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}
