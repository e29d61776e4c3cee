/* GET STATUS, GET DATA / STORE DATA, FACTORY RESET and IDENTIFY CARD. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/ident.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

/* GET STATUS: P1 00 = A3 09 { 02 01 PIN tries, 02 01 PUK tries, 01 01 FF|00 key loaded },
 * P1 01 = the current path (4 bytes per level, nothing for the master key). */
uint16_t kc_get_status(void *request) {
  kc_req *rq = request;
  if (rq->cmd->p1 == KEYCARD_GET_STATUS_P1_APPLICATION) {
    size_t len = 0;
    bool has_key = kc_peek(rq->app, KC_REC_KEY, &len) != NULL;
    uint8_t status[11] = {KEYCARD_TLV_STATUS_TEMPLATE,
                          9,
                          KEYCARD_TLV_INT,
                          1,
                          kc_pin_tries(rq->app, rq->ctx),
                          KEYCARD_TLV_INT,
                          1,
                          kc_puk_tries(rq->app),
                          KEYCARD_TLV_BOOL,
                          1,
                          has_key ? 0xFF : 0x00};
    kc_out(rq, status, sizeof status);
    return SW_OK;
  }
  if (rq->cmd->p1 == KEYCARD_GET_STATUS_P1_KEY_PATH) {
    size_t len = 0;
    const uint8_t *path = kc_peek(rq->app, KC_REC_KEY_PATH, &len);
    if (path && len <= KC_PATH_MAX) kc_out(rq, path, len);
    return SW_OK;
  }
  return SW_INCORRECT_P1P2;
}

/* SET NDEF (2.2.1; 3.0 replaced it by STORE DATA P1 01): the NDEF file of the package's NDEF
 * application is a 2-byte length and the message. Data whose first two bytes are its remaining
 * length is stored as it is, other data gets 00 Lc put in front (KeycardApplet.java setNDEF, tag
 * 2.2.1). The file holds 223 bytes: a longer result is the applet's array-bounds exception, 6F00.
 * With fewer than 2 bytes of data the applet compares stale buffer bytes; here they never match. */
uint16_t kc_set_ndef(void *request) {
  kc_req *rq = request;
  uint8_t file[KEYCARD_MAX_PLAIN + 2];
  size_t n = 0;
  if (!(rq->len >= 2 && cf_be16(rq->data) == rq->len - 2)) {
    file[n++] = 0x00;
    file[n++] = (uint8_t)rq->len;
  }
  if (n + rq->len > KEYCARD_NDEF_DATA_MAX) return SW_UNKNOWN;
  memcpy(file + n, rq->data, rq->len);
  n += rq->len;
  return kc_put(rq->app, KC_REC_DATA_NDEF, file, n) ? SW_OK : SW_MEMORY_FAILURE;
}

static unsigned kc_data_record(uint8_t p1, size_t *max) {
  switch (p1) {
  case KEYCARD_DATA_P1_PUBLIC:
    *max = KEYCARD_PUBLIC_DATA_MAX;
    return KC_REC_DATA_PUBLIC;
  case KEYCARD_DATA_P1_NDEF:
    *max = KEYCARD_NDEF_DATA_MAX;
    return KC_REC_DATA_NDEF;
  case KEYCARD_DATA_P1_CASH:
    *max = KEYCARD_CASH_DATA_MAX;
    return KC_REC_DATA_CASH;
  default:
    return 0;
  }
}

/* 3.2 GET DATA P1 01: the NDEF file from its start, NLEN + 2 bytes (NLEN a signed Java short)
 * cut to the 223 bytes a secure response carries (KeycardApplet.java getData, tag 3.2; reading at
 * a P2 offset is a TODO there, P2 is ignored). A negative length fails the array copy: 6F00. */
static uint16_t kc_get_ndef_chunked(kc_req *rq) {
  uint8_t file[KEYCARD_NDEF_FILE_MAX];
  size_t len = 0;
  int rc = cf_keycard_ndef_read(rq->app->store, rq->app->ns, file, sizeof file, &len);
  if (rc != KEYCARD_NDEF_OK && rc != KEYCARD_NDEF_OVERRUN) return SW_UNKNOWN;
  /* (short)(makeShort(file[0], file[1]) + 2): 7FFE..FFFD wrap to a negative length */
  int32_t out_len = (int16_t)(uint16_t)(cf_be16(file) + 2);
  if (out_len < 0) return SW_UNKNOWN;
  if (out_len > KEYCARD_MAX_PLAIN) out_len = KEYCARD_MAX_PLAIN;
  kc_out(rq, file, (size_t)out_len);
  return SW_OK;
}

/* GET DATA: no PIN needed; wrapped when the channel is open, plain otherwise. */
uint16_t kc_get_data(void *request) {
  kc_req *rq = request;
  if (kc_sc_open(rq->ctx)) {
    uint16_t sw = kc_sc_unwrap(rq);
    if (sw != SW_OK) return sw;
  }
  if (rq->ver->ndef_chunked && rq->cmd->p1 == KEYCARD_DATA_P1_NDEF) return kc_get_ndef_chunked(rq);
  size_t max = 0, len = 0;
  unsigned rec = kc_data_record(rq->cmd->p1, &max);
  if (rec == 0) return SW_INCORRECT_P1P2;
  const uint8_t *p = kc_peek(rq->app, rec, &len);
  if (p && len <= max) kc_out(rq, p, len);
  return SW_OK;
}

/* 3.2 STORE DATA P1 01: the data goes into the 512-byte NDEF file at P2 * 4 (KeycardApplet.java
 * storeData, tag 3.2), so a message up to 512 bytes arrives in chunks; the rest of the file stays.
 * P2 is a signed Java byte: 80..FF give a negative offset the bound check lets through and the
 * copy then refuses, 6F00. Past the file's end: 6A80. Empty data changes nothing. */
static uint16_t kc_store_ndef_chunk(kc_req *rq) {
  int32_t off = (int8_t)rq->cmd->p2 * 4;
  if ((int32_t)rq->len + off > KEYCARD_NDEF_FILE_MAX) return SW_WRONG_DATA;
  if (off < 0) return SW_UNKNOWN;
  if (rq->len == 0) return SW_OK;
  size_t have = 0;
  const uint8_t *old = kc_peek(rq->app, KC_REC_DATA_NDEF, &have);
  if (!old || have > KEYCARD_NDEF_FILE_MAX) have = 0;
  uint8_t file[KEYCARD_NDEF_FILE_MAX] = {0};
  if (have) memcpy(file, old, have);
  memcpy(file + off, rq->data, rq->len);
  size_t end = (size_t)off + rq->len;
  return kc_put(rq->app, KC_REC_DATA_NDEF, file, end > have ? end : have) ? SW_OK : SW_MEMORY_FAILURE;
}

/* STORE DATA: P1 00 public data (127 bytes max), 01 NDEF (223; 3.2 in chunks, above), 02 cash
 * data (127); the object is replaced as a whole, an empty one clears it. */
uint16_t kc_store_data(void *request) {
  kc_req *rq = request;
  if (rq->ver->ndef_chunked && rq->cmd->p1 == KEYCARD_DATA_P1_NDEF) return kc_store_ndef_chunk(rq);
  size_t max = 0;
  unsigned rec = kc_data_record(rq->cmd->p1, &max);
  if (rec == 0) return SW_INCORRECT_P1P2;
  if (rq->len > max) return SW_WRONG_DATA;
  bool ok = rq->len ? kc_put(rq->app, rec, rq->data, rq->len) : kc_delete(rq->app, rec);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* FACTORY RESET: P1 AA P2 55, no channel or PIN needed. The card goes back to the state before
 * INIT with a new instance UID and a new channel key. NDEF and cash data stay, as in the applet
 * (they belong to the other applications of the package). */
uint16_t kc_factory_reset(void *request) {
  kc_req *rq = request;
  if (rq->cmd->p1 != KEYCARD_FACTORY_RESET_P1 || rq->cmd->p2 != KEYCARD_FACTORY_RESET_P2)
    return SW_INCORRECT_P1P2;
  static const unsigned wiped[] = {
      KC_REC_CREDENTIALS, KC_REC_COUNTERS,     KC_REC_PAIRING_SECRET, KC_REC_PAIRINGS,    KC_REC_KEY,
      KC_REC_KEY_PATH,    KC_REC_PINLESS_PATH, KC_REC_CHAIN_SELECT,   KC_REC_DATA_PUBLIC, KC_REC_DUPLICATION};
  for (size_t i = 0; i < sizeof wiped / sizeof wiped[0]; i++)
    if (!kc_delete(rq->app, wiped[i])) return SW_MEMORY_FAILURE;
  uint8_t uid[KEYCARD_UID_LEN];
  if (cf_rand(uid, sizeof uid) != 0) return SW_UNKNOWN;
  if (!kc_put(rq->app, KC_REC_UID, uid, sizeof uid) || !kc_channel_regenerate(rq->app, rq->ctx))
    return SW_MEMORY_FAILURE;
  kc_ctx *ctx = rq->ctx;
  kc_sc_reset(ctx);
  kc_forget_ephemeral_pairing(ctx); /* the applet drops its SecureChannel object */
  ctx->pin_validated = false;
  ctx->alt_active = false;
  ctx->pair_slot = 0;
  ctx->tmp_path_len = 0;
  rq->final = true;
  return SW_OK;
}

/* IDENTIFY CARD (IdentApplet.identifyCard, tag 3.2): unwrapped when the channel is open, then
 * answered from the package's identity, which the Ident application holds (its namespace is the
 * install parameter ident_ns). The wallet alone, without an Ident application, has no
 * certificate and answers 6985, as an unprovisioned card does. */
uint16_t kc_identify_card(void *request) {
  kc_req *rq = request;
  if (kc_sc_open(rq->ctx)) {
    uint16_t sw = kc_sc_unwrap(rq);
    if (sw != SW_OK) return sw;
  }
  if (rq->ctx->ident_ns == 0) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t answer[IDENT_RESPONSE_MAX];
  size_t len = 0;
  uint16_t sw =
      cf_ident_identify(rq->app->store, rq->ctx->ident_ns, rq->data, rq->len, answer, sizeof answer, &len);
  if (sw == SW_OK && !kc_out(rq, answer, len)) sw = SW_UNKNOWN;
  return sw;
}
