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

/* The persistent slots, as many as the card's version has. */
static const uint8_t *kc_pairings(const cf_applet *app, const kc_version *ver) {
  size_t len = 0;
  const uint8_t *p = kc_peek(app, KC_REC_PAIRINGS, &len);
  return p && len == KC_PAIRINGS_LEN(ver) ? p : NULL;
}

/* The applet's remainingSlots: persistent slots only, an ephemeral pairing takes none. */
uint8_t kc_free_slots(const cf_applet *app) {
  const kc_version *ver = kc_version_of(app);
  const uint8_t *p = kc_pairings(app, ver);
  uint8_t n = 0;
  for (int i = 0; p && i < ver->pairing_slots; i++)
    if (p[i * KC_SLOT_LEN] != 1) n++;
  return n;
}

/* checkPairingIndexAndGetOffset (SecureChannel.java, every tag): the index is a signed Java byte,
 * so 80..FF give a negative offset that passes its bound check and then fails the array access:
 * an uncaught exception, 6F00. An index past the slots is 6A86. */
static uint16_t kc_pairing_index_check(const kc_version *ver, uint8_t idx) {
  if (idx >= 0x80) return SW_UNKNOWN;
  return idx < ver->pairing_slots ? SW_OK : SW_INCORRECT_P1P2;
}

void kc_forget_ephemeral_pairing(kc_ctx *ctx) {
  ctx->eph_paired = false;
  cf_wipe(ctx->eph_key, sizeof ctx->eph_key);
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

/* OPEN SECURE CHANNEL: P1 = pairing index (3.2: FF the ephemeral pairing), data = host ephemeral
 * public key (65 bytes). Answers salt (32) || IV (16) in the clear; session keys =
 * SHA-512(ECDH X || pairing key || salt). */
uint16_t kc_open_secure_channel(void *request) {
  kc_req *rq = request;
  kc_ctx *ctx = rq->ctx;
  /* the applet drops a pending pairing and the authenticated state before any check */
  ctx->pair_slot = 0;
  ctx->sc_auth = false;
  const uint8_t *pairings = kc_pairings(rq->app, rq->ver);
  if (!pairings) return SW_MEMORY_FAILURE;
  uint8_t idx = rq->cmd->p1;
  const uint8_t *pairing_key = NULL;
  if (rq->ver->ephemeral_pairing && idx == KEYCARD_PAIR_SLOT_EPHEMERAL) {
    if (!ctx->eph_paired) return SW_INCORRECT_P1P2;
    pairing_key = ctx->eph_key;
  } else {
    uint16_t sw = kc_pairing_index_check(rq->ver, idx);
    if (sw != SW_OK) return sw;
    if (pairings[idx * KC_SLOT_LEN] != 1) return SW_INCORRECT_P1P2;
    pairing_key = pairings + idx * KC_SLOT_LEN + 1;
  }
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
  cf_iov parts[3] = {{secret, 32}, {pairing_key, 32}, {salt_iv, 32}};
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

/* The slot the first step reserves. 3.2 reads P2 (SecureChannel.java pairStep1, tag 3.2): 01 the
 * ephemeral slot; otherwise the first free slot, and with none free 02 (persistent) is 6A84 while
 * any other P2 falls back to the ephemeral slot. Before 3.2, P2 is ignored and a full card 6A84. */
static uint16_t kc_pair_reserve(kc_req *rq, const uint8_t *pairings) {
  kc_ctx *ctx = rq->ctx;
  uint8_t p2 = rq->cmd->p2;
  bool ephemeral_modes = rq->ver->ephemeral_pairing;
  ctx->pair_slot = 0;
  if (ephemeral_modes && p2 == KEYCARD_PAIR_P2_EPHEMERAL) {
    ctx->pair_slot = KC_PAIR_PENDING_EPHEMERAL;
    return SW_OK;
  }
  for (int i = 0; i < rq->ver->pairing_slots; i++) {
    if (pairings[i * KC_SLOT_LEN] != 1) {
      ctx->pair_slot = (uint8_t)(i + 1);
      return SW_OK;
    }
  }
  if (!ephemeral_modes || p2 == KEYCARD_PAIR_P2_PERSISTENT) return SW_NOT_ENOUGH_MEMORY;
  ctx->pair_slot = KC_PAIR_PENDING_EPHEMERAL;
  return SW_OK;
}

static uint16_t kc_pair_step1(kc_req *rq, const uint8_t *secret, const uint8_t *pairings) {
  kc_ctx *ctx = rq->ctx;
  uint16_t sw = kc_pair_reserve(rq, pairings);
  if (sw != SW_OK) return sw;
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
  bool ephemeral = ctx->pair_slot == KC_PAIR_PENDING_EPHEMERAL;
  uint8_t slot = ephemeral ? KEYCARD_PAIR_SLOT_EPHEMERAL : (uint8_t)(ctx->pair_slot - 1);
  ctx->pair_slot = 0;
  cf_wipe(ctx->pair_challenge, sizeof ctx->pair_challenge);
  if (rc != 0) return SW_UNKNOWN;
  if (!cf_ct_equal(expected, rq->data, 32)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  uint8_t salt[32];
  if (cf_rand(salt, sizeof salt) != 0) return SW_UNKNOWN;
  cf_iov key_parts[2] = {{secret, 32}, {salt, 32}};
  if (ephemeral) {
    /* transient: the persistent slots and their count stay as they are */
    if (cf_sha256_v(key_parts, 2, ctx->eph_key) != 0) {
      kc_forget_ephemeral_pairing(ctx);
      return SW_UNKNOWN;
    }
    ctx->eph_paired = true;
  } else {
    size_t len = KC_PAIRINGS_LEN(rq->ver);
    uint8_t updated[KC_PAIRINGS_MAX_LEN];
    memcpy(updated, pairings, len);
    uint8_t *entry = updated + slot * KC_SLOT_LEN;
    entry[0] = 1;
    bool ok = cf_sha256_v(key_parts, 2, entry + 1) == 0 && kc_put(rq->app, KC_REC_PAIRINGS, updated, len);
    cf_wipe(updated, sizeof updated);
    if (!ok) return SW_MEMORY_FAILURE;
  }
  kc_out(rq, &slot, 1);
  kc_out(rq, salt, 32);
  rq->final = true;
  return SW_OK;
}

/* PAIR: P1 00 = client challenge -> SHA-256(secret || challenge) || card challenge; P1 01 = client
 * cryptogram SHA-256(secret || card challenge) -> index (3.2: FF for the ephemeral slot) || salt,
 * pairing key SHA-256(secret || salt). Checks in the applet's order: open channel 6985, length
 * 6A80, step/P1 6A86, then (first step) a full card 6A84. */
uint16_t kc_pair(void *request) {
  kc_req *rq = request;
  if (kc_sc_open(rq->ctx)) return SW_CONDITIONS_NOT_SATISFIED;
  if (rq->len != KEYCARD_SECRET_LEN) return SW_WRONG_DATA;
  size_t len = 0;
  const uint8_t *secret = kc_peek(rq->app, KC_REC_PAIRING_SECRET, &len);
  const uint8_t *pairings = kc_pairings(rq->app, rq->ver);
  if (!secret || len != 32 || !pairings) return SW_MEMORY_FAILURE;
  if (rq->cmd->p1 == KEYCARD_PAIR_P1_FIRST_STEP) return kc_pair_step1(rq, secret, pairings);
  if (rq->cmd->p1 == KEYCARD_PAIR_P1_LAST_STEP && rq->ctx->pair_slot != 0)
    return kc_pair_step2(rq, secret, pairings);
  return SW_INCORRECT_P1P2;
}

/* UNPAIR: wrapped, PIN verified; P1 = index; an index already free is not an error. 3.2: P1 FF
 * ends the ephemeral pairing (the applet clears its used flag only; the key goes here too), the
 * open channel keeps its session keys as in the applet. */
uint16_t kc_unpair(void *request) {
  kc_req *rq = request;
  uint8_t idx = rq->cmd->p1;
  if (rq->ver->ephemeral_pairing && idx == KEYCARD_PAIR_SLOT_EPHEMERAL) {
    kc_forget_ephemeral_pairing(rq->ctx);
    return SW_OK;
  }
  uint16_t sw = kc_pairing_index_check(rq->ver, idx);
  if (sw != SW_OK) return sw;
  const uint8_t *pairings = kc_pairings(rq->app, rq->ver);
  if (!pairings) return SW_MEMORY_FAILURE;
  if (pairings[idx * KC_SLOT_LEN] != 1) return SW_OK;
  size_t len = KC_PAIRINGS_LEN(rq->ver);
  uint8_t updated[KC_PAIRINGS_MAX_LEN];
  memcpy(updated, pairings, len);
  memset(updated + idx * KC_SLOT_LEN, 0, KC_SLOT_LEN);
  bool ok = kc_put(rq->app, KC_REC_PAIRINGS, updated, len);
  cf_wipe(updated, sizeof updated);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}
