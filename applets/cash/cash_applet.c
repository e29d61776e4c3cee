/* The Cash application (CashApplet, status-im/status-keycard tag 3.2). Commands are recognised by
 * INS alone (class, P1 and P2 are not looked at) and need no PIN or secure channel. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/cash.h"
#include "cardforge/crypto.h"
#include "cardforge/ident.h"
#include "cardforge/keycard.h"
#include "cardforge/sw.h"

const uint8_t cash_instance_aid[CASH_AID_LEN] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x03, 0x01};

enum {
  CASH_REC_PRIV = 1, /* the key pair made at install: private key (32) */
  CASH_REC_PUB = 2,  /* and its public key, uncompressed (65) */
};

/* The cash data the wallet's STORE DATA P1 02 wrote (shared memory); none without a wallet. */
static size_t cash_data(cf_applet *app, uint16_t wallet_ns, uint8_t *out, size_t cap) {
  size_t len = 0;
  if (wallet_ns == 0) return 0;
  return cf_keycard_cash_read(app->store, wallet_ns, out, cap, &len) == KEYCARD_NDEF_OK ? len : 0;
}

/* Where the package's shared memory is, from the install parameters; kept across resets. */
typedef struct cash_ctx {
  uint16_t wallet_ns;
  uint16_t ident_ns;
} cash_ctx;

static uint16_t ns_param(const char *params, const char *key) {
  char v[8];
  if (!cf_params_get(params, key, v, sizeof v)) return 0;
  char *end = NULL;
  unsigned long n = strtoul(v, &end, 10);
  return (end != v && *end == '\0' && n > 0 && n <= 0xFFFF) ? (uint16_t)n : 0;
}

static int cash_install(cf_applet *app, const char *params) {
  cash_ctx *ctx = app->ctx;
  ctx->wallet_ns = ns_param(params, "wallet_ns");
  ctx->ident_ns = ns_param(params, "ident_ns");
  size_t len = 0;
  if (cf_store_peek(app->store, CF_STORE_KEY(app->ns, CASH_REC_PUB), &len) != NULL) return 0;
  uint8_t priv[32], pub[65];
  int rc = -1;
  if (cf_ec_keygen(priv, pub) == 0 &&
      cf_store_put(app->store, CF_STORE_KEY(app->ns, CASH_REC_PRIV), priv, sizeof priv) == CF_STORE_OK &&
      cf_store_put(app->store, CF_STORE_KEY(app->ns, CASH_REC_PUB), pub, sizeof pub) == CF_STORE_OK)
    rc = 0;
  cf_wipe(priv, sizeof priv);
  return rc;
}

static void cash_reset(cf_applet *app) {
  (void)app; /* no transient state: the context only says where the shared memory is */
}

static bool public_key(cf_applet *app, uint8_t pub[65]) {
  size_t len = 0;
  return cf_store_get(app->store, CF_STORE_KEY(app->ns, CASH_REC_PUB), pub, 65, &len) == CF_STORE_OK &&
         len == 65;
}

/* SELECT: A4 L { 80 41 public key, 02 02 version, 82 n cash data }. The applet writes the
 * template's length as one byte whatever it is; so does this. */
static uint16_t cash_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)cmd;
  const cash_ctx *ctx = app->ctx;
  /* A4 L, 80 41 key, 02 02 version, 82 n data */
  uint8_t out[2 + 2 + 65 + 4 + 2 + KEYCARD_CASH_DATA_MAX];
  size_t off = 0;
  out[off++] = CASH_TLV_APPLICATION_INFO;
  off++;
  out[off++] = CASH_TLV_PUB_KEY;
  out[off++] = 65;
  if (!public_key(app, out + off)) return SW_UNKNOWN;
  off += 65;
  out[off++] = CASH_TLV_INT;
  out[off++] = 2;
  cf_put_be16(out + off, CASH_APPLICATION_VERSION);
  off += 2;
  out[off++] = CASH_TLV_PUB_DATA;
  size_t data_len = cash_data(app, ctx->wallet_ns, out + off + 1, sizeof out - off - 1);
  out[off++] = (uint8_t)data_len;
  off += data_len;
  out[1] = (uint8_t)(off - 2);
  return cf_rapdu_put(resp, out, off) ? SW_OK : SW_UNKNOWN;
}

/* SIGN: the first 32 data bytes are a SHA-256 hash, signed as it is (signPreComputedHash) with
 * S made low. Answer A0 81 L { 80 41 public key, DER signature }. The applet reads 32 bytes from
 * its buffer whatever Lc says; a shorter command would sign stale buffer bytes, so it is refused
 * here (6A80). */
static uint16_t cash_sign(void *request) {
  cf_apdu_request *rq = request;
  if (rq->cmd->lc < 32) return SW_WRONG_DATA;
  uint8_t out[3 + 2 + 65 + 72], priv[32], sig[64];
  size_t off = 0, len = 0;
  out[off++] = CASH_TLV_SIGNATURE_TEMPLATE;
  out[off++] = 0x81;
  off++;
  out[off++] = CASH_TLV_PUB_KEY;
  out[off++] = 65;
  if (!public_key(rq->app, out + off)) return SW_UNKNOWN;
  off += 65;
  uint16_t sw = SW_UNKNOWN;
  int recid = 0;
  if (cf_store_get(rq->app->store, CF_STORE_KEY(rq->app->ns, CASH_REC_PRIV), priv, sizeof priv, &len) ==
          CF_STORE_OK &&
      len == sizeof priv && cf_ec_sign(priv, rq->cmd->data, sig, &recid) == 0) {
    size_t der = cf_ec_sig_to_der(sig, out + off, sizeof out - off);
    if (der > 0) {
      off += der;
      out[2] = (uint8_t)(off - 3);
      sw = cf_rapdu_put(rq->resp, out, off) ? SW_OK : SW_UNKNOWN;
    }
  }
  cf_wipe(priv, sizeof priv);
  return sw;
}

/* IDENTIFY CARD with the package's identity (IdentApplet.identifyCard, no secure channel). */
static uint16_t cash_identify(void *request) {
  cf_apdu_request *rq = request;
  const cash_ctx *ctx = rq->app->ctx;
  if (ctx->ident_ns == 0) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t out[IDENT_RESPONSE_MAX];
  size_t len = 0;
  uint16_t sw =
      cf_ident_identify(rq->app->store, ctx->ident_ns, rq->cmd->data, rq->cmd->lc, out, sizeof out, &len);
  if (sw == SW_OK && !cf_rapdu_put(rq->resp, out, len)) sw = SW_UNKNOWN;
  return sw;
}

static const cf_command cash_commands[] = {
    {CF_CLA_ANY, CASH_INS_SIGN, CF_ACCESS_NONE, cash_sign},
    {CF_CLA_ANY, CASH_INS_IDENTIFY_CARD, CF_ACCESS_NONE, cash_identify},
    {0, 0, 0, NULL},
};

static uint16_t cash_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  const cf_command *row = cf_command_find(cash_commands, CF_CLA_ANY, cmd->ins, NULL);
  if (row == NULL) return SW_INS_NOT_SUPPORTED;
  cf_apdu_request rq = {.app = app, .cmd = cmd, .resp = resp};
  return row->handler(&rq);
}

const cf_applet_ops cash_applet_ops = {
    .name = "keycard-cash",
    .ctx_size = sizeof(cash_ctx),
    .install = cash_install,
    .reset = cash_reset,
    .select = cash_select,
    .deselect = NULL,
    .process = cash_process,
    .destroy = NULL,
};
