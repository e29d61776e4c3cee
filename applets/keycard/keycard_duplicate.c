/* DUPLICATE KEY (INS D5), as applet 2.2.1 has it: cards taking part share a duplication key made
 * of entropy from every client (START + ADD ENTROPY, XORed), the source exports its master key
 * encrypted under it, the targets import it. The session is persistent, as in 2.2.1. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

#define KC_BLOCK 16

typedef struct kc_dup {
  int16_t expected; /* entropy pieces still to come; -1 = no session */
  uint8_t key[32];
} kc_dup;

static void kc_dup_get(const cf_applet *app, kc_dup *d) {
  size_t len = 0;
  const uint8_t *p = kc_peek(app, KC_REC_DUPLICATION, &len);
  if (p && len == KC_DUP_LEN) {
    d->expected = (int16_t)cf_be16(p);
    memcpy(d->key, p + 2, 32);
  } else {
    d->expected = -1;
    memset(d->key, 0, sizeof d->key);
  }
}

static bool kc_dup_put(cf_applet *app, const kc_dup *d) {
  uint8_t rec[KC_DUP_LEN];
  cf_put_be16(rec, (uint16_t)d->expected);
  memcpy(rec + 2, d->key, 32);
  bool ok = kc_put(app, KC_REC_DUPLICATION, rec, sizeof rec);
  cf_wipe(rec, sizeof rec);
  return ok;
}

/* ADD ENTROPY: one-shot encrypted 32 bytes, no channel or PIN; only while pieces are expected. */
static uint16_t kc_dup_add_entropy(kc_req *rq) {
  kc_dup d;
  kc_dup_get(rq->app, &d);
  uint16_t sw = SW_CONDITIONS_NOT_SATISFIED;
  if (d.expected > 0) sw = kc_one_shot_decrypt(rq);
  if (sw == SW_OK && rq->len != 32) sw = SW_WRONG_DATA;
  if (sw == SW_OK) {
    for (size_t i = 0; i < 32; i++)
      d.key[i] ^= rq->data[i];
    d.expected--;
    if (!kc_dup_put(rq->app, &d)) sw = SW_MEMORY_FAILURE;
  }
  cf_wipe(&d, sizeof d);
  return sw;
}

/* The session ends when the key is used; used too early (pieces missing) it answers 6985. */
static uint16_t kc_dup_finalize(cf_applet *app, kc_dup *d) {
  kc_dup_get(app, d);
  if (d->expected != 0) return SW_CONDITIONS_NOT_SATISFIED;
  kc_dup ended = {.expected = -1};
  return kc_dup_put(app, &ended) ? SW_OK : SW_MEMORY_FAILURE;
}

/* EXPORT: IV (16) || AES-CBC(duplication key, IV, M2-padded A1 { 81 private key [82 chain] }). */
static uint16_t kc_dup_export(kc_req *rq) {
  kc_dup d;
  uint16_t sw = kc_dup_finalize(rq->app, &d);
  kc_key key;
  bool has_key = kc_key_get(rq->app, &key);
  /* 2.2.1 reads the private key of an empty key object here: CryptoException UNINITIALIZED_KEY */
  if (sw == SW_OK && !has_key) sw = SW_UNKNOWN | 0x02;
  uint8_t buf[96];
  size_t n = 0;
  if (sw == SW_OK) {
    buf[n++] = KEYCARD_TLV_KEY_TEMPLATE;
    buf[n++] = (uint8_t)(34 + (key.extended ? 34 : 0));
    buf[n++] = KEYCARD_TLV_PRIV_KEY;
    buf[n++] = 32;
    memcpy(buf + n, key.priv, 32);
    n += 32;
    if (key.extended) {
      buf[n++] = KEYCARD_TLV_CHAIN_CODE;
      buf[n++] = 32;
      memcpy(buf + n, key.chain, 32);
      n += 32;
    }
    uint8_t iv[KC_BLOCK];
    n = cf_pad_iso9797_m2(buf, n, KC_BLOCK, sizeof buf);
    if (n == 0 || cf_rand(iv, sizeof iv) != 0 || cf_aes_cbc_encrypt(d.key, 32, iv, buf, buf, n) != 0)
      sw = SW_UNKNOWN;
    else if (!kc_out(rq, iv, sizeof iv) || !kc_out(rq, buf, n))
      sw = SW_UNKNOWN;
  }
  cf_wipe(buf, sizeof buf);
  cf_wipe(&key, sizeof key);
  cf_wipe(&d, sizeof d);
  return sw;
}

/* IMPORT: the export's output. The template is read as LOAD KEY reads it, so whatever follows it
 * is ignored: the released 2.2.1 export encrypted 69 buffer bytes past the template, and such a
 * blob imports. The key becomes the master key; answers its key UID. */
static uint16_t kc_dup_import(kc_req *rq) {
  kc_dup d;
  uint16_t sw = kc_dup_finalize(rq->app, &d);
  uint8_t plain[256];
  long n = -1;
  if (sw == SW_OK) {
    size_t ct_len = rq->len >= KC_BLOCK ? rq->len - KC_BLOCK : 0;
    if (ct_len > 0 && ct_len % KC_BLOCK == 0 && ct_len <= sizeof plain &&
        cf_aes_cbc_decrypt(d.key, 32, rq->data, rq->data + KC_BLOCK, plain, ct_len) == 0)
      n = cf_unpad_iso9797_m2(plain, ct_len);
    if (n < 0) sw = SW_WRONG_DATA;
  }
  uint8_t priv[32], pub[65], chain[32], uid[32];
  bool has_pub = false, has_chain = false;
  if (sw == SW_OK) sw = kc_parse_key_template(plain, (size_t)n, priv, pub, &has_pub, chain, &has_chain);
  if (sw == SW_OK) sw = kc_key_install(rq->app, priv, has_pub ? pub : NULL, has_chain ? chain : NULL, uid);
  if (sw == SW_OK) kc_out(rq, uid, sizeof uid);
  cf_wipe(plain, sizeof plain);
  cf_wipe(priv, sizeof priv);
  cf_wipe(chain, sizeof chain);
  cf_wipe(&d, sizeof d);
  return sw;
}

/* START: data = the first entropy piece (32), P2 = the number of pieces in all, this one
 * included (a signed byte: 0 or 80..FF leave no session). Any session is replaced. */
static uint16_t kc_dup_start(kc_req *rq) {
  if (rq->len != 32) return SW_WRONG_DATA;
  kc_dup d = {.expected = (int16_t)((int8_t)rq->cmd->p2 - 1)};
  memcpy(d.key, rq->data, 32);
  bool ok = kc_dup_put(rq->app, &d);
  cf_wipe(&d, sizeof d);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

uint16_t kc_duplicate_key(void *request) {
  kc_req *rq = request;
  if (rq->cmd->p1 == KEYCARD_DUPLICATE_P1_ADD_ENTROPY) return kc_dup_add_entropy(rq);
  uint16_t sw = kc_sc_unwrap(rq);
  if (sw != SW_OK) return sw;
  if (!rq->ctx->pin_validated) return SW_CONDITIONS_NOT_SATISFIED;
  switch (rq->cmd->p1) {
  case KEYCARD_DUPLICATE_P1_START:
    return kc_dup_start(rq);
  case KEYCARD_DUPLICATE_P1_EXPORT:
    return kc_dup_export(rq);
  case KEYCARD_DUPLICATE_P1_IMPORT:
    return kc_dup_import(rq);
  default:
    return SW_INCORRECT_P1P2;
  }
}
