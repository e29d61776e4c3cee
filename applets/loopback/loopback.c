/* The loopback test application and its card profile (see include/cardforge/loopback.h). */
#include "cardforge/loopback.h"

#include <string.h>

#include "cardforge/store.h"
#include "cardforge/sw.h"

const uint8_t loopback_aid[7] = {0xF0, 0x63, 0x66, 0x6C, 0x6F, 0x6F, 0x70};

/* T=1 only (TD1 = 80, TD2 = 01) with historical bytes 80 (compact-TLV follows) and issuer data
 * 59 "cardforge"; TCK is required because T=1 is offered. */
static const uint8_t loopback_atr[] = {0x3B, 0x8B, 0x80, 0x01, 0x80, 0x59, 0x63, 0x61,
                                       0x72, 0x64, 0x66, 0x6F, 0x72, 0x67, 0x65, 0xBE};

enum { LOOPBACK_REC_COUNTER = 1 };

typedef struct loopback_ctx {
  uint32_t commands_since_reset;
} loopback_ctx;

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int loopback_install(cf_applet *app, const char *params) {
  size_t len = 0;
  if (cf_store_peek(app->store, CF_STORE_KEY(app->ns, LOOPBACK_REC_COUNTER), &len) != NULL)
    return len == 4 ? 0 : -1;
  uint8_t zero[4] = {0};
  return cf_store_put(app->store, CF_STORE_KEY(app->ns, LOOPBACK_REC_COUNTER), zero, 4) == CF_STORE_OK ? 0
                                                                                                       : -1;
}

static void loopback_reset(cf_applet *app) {
  memset(app->ctx, 0, sizeof(loopback_ctx));
}

static uint16_t loopback_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  return SW_OK;
}

static uint16_t loopback_echo(void *request) {
  const cf_apdu_request *rq = request;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc > 0 && !cf_rapdu_put(resp, cmd->data, cmd->lc)) return SW_WRONG_LENGTH;
  return SW_OK;
}

static uint16_t loopback_generate(void *request) {
  const cf_apdu_request *rq = request;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  size_t count = ((size_t)cmd->p1 << 8) | cmd->p2;
  if (count > resp->cap - resp->len) return SW_INCORRECT_P1P2;
  for (size_t i = 0; i < count; i++)
    cf_rapdu_put_u8(resp, (uint8_t)i);
  return SW_OK;
}

static uint16_t loopback_status(void *request) {
  const cf_apdu_request *rq = request;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc < 2) return SW_WRONG_LENGTH;
  uint8_t sw1 = cmd->data[0];
  bool status_class = (sw1 >= 0x60 && sw1 <= 0x6F) || (sw1 >= 0x90 && sw1 <= 0x9F);
  if (!status_class || sw1 == 0x61 || sw1 == 0x6C) return SW_WRONG_DATA;
  if (!cf_rapdu_put(resp, cmd->data + 2, cmd->lc - 2)) return SW_WRONG_LENGTH;
  return cf_be16(cmd->data);
}

static uint16_t loopback_counter(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  uint8_t value[4];
  size_t len = 0;
  if (cf_store_get(app->store, CF_STORE_KEY(app->ns, LOOPBACK_REC_COUNTER), value, sizeof value, &len) !=
          CF_STORE_OK ||
      len != 4)
    return SW_MEMORY_FAILURE;
  uint32_t next = get_be32(value);
  if (next == UINT32_MAX) return SW_CONDITIONS_NOT_SATISFIED;
  put_be32(value, ++next);
  if (cf_store_put(app->store, CF_STORE_KEY(app->ns, LOOPBACK_REC_COUNTER), value, 4) != CF_STORE_OK)
    return SW_MEMORY_FAILURE;
  cf_rapdu_put(resp, value, 4);
  return SW_OK;
}

static uint16_t loopback_transient(void *request) {
  const cf_apdu_request *rq = request;
  const loopback_ctx *ctx = rq->app->ctx;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  uint8_t value[4];
  put_be32(value, ctx->commands_since_reset);
  cf_rapdu_put(resp, value, 4);
  return SW_OK;
}

/* No command needs a security condition: this card tests the transport, not security. */
static const cf_command loopback_commands[] = {
    {CF_CLA_ANY, LOOPBACK_INS_ECHO, CF_ACCESS_NONE, loopback_echo},
    {CF_CLA_ANY, LOOPBACK_INS_GENERATE, CF_ACCESS_NONE, loopback_generate},
    {CF_CLA_ANY, LOOPBACK_INS_STATUS, CF_ACCESS_NONE, loopback_status},
    {CF_CLA_ANY, LOOPBACK_INS_COUNTER, CF_ACCESS_NONE, loopback_counter},
    {CF_CLA_ANY, LOOPBACK_INS_TRANSIENT, CF_ACCESS_NONE, loopback_transient},
    {0, 0, CF_ACCESS_NONE, NULL},
};

static uint16_t loopback_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  loopback_ctx *ctx = app->ctx;
  if (ctx->commands_since_reset < UINT32_MAX) ctx->commands_since_reset++;
  /* every command comes in class 00 or 80 (CF_CLA_ANY rows mean those two) */
  if (cmd->cla != 0x00 && cmd->cla != 0x80) return SW_CLA_NOT_SUPPORTED;
  const cf_command *row = cf_command_find(loopback_commands, CF_CLA_ANY, cmd->ins, NULL);
  if (!row) return SW_INS_NOT_SUPPORTED;
  cf_apdu_request rq = {app, cmd, resp};
  return row->handler(&rq);
}

const cf_applet_ops loopback_applet_ops = {
    .name = "loopback",
    .ctx_size = sizeof(loopback_ctx),
    .install = loopback_install,
    .reset = loopback_reset,
    .select = loopback_select,
    .deselect = NULL,
    .process = loopback_process,
    .destroy = NULL,
};

static cf_card *loopback_create(cf_store *store, const char *params) {
  char mode[32] = "t1";
  if (params != NULL) cf_params_get(params, "mode", mode, sizeof mode);
  cf_resp_mode resp_mode;
  if (strcmp(mode, "t1") == 0)
    resp_mode = CF_RESP_T1;
  else if (strcmp(mode, "t0") == 0)
    resp_mode = CF_RESP_T0;
  else
    return NULL;
  cf_card *card = cf_card_new(store, loopback_atr, sizeof loopback_atr, resp_mode);
  if (card == NULL) return NULL;
  if (cf_card_add_applet(card, &loopback_applet_ops, loopback_aid, sizeof loopback_aid, "", true) == NULL) {
    cf_card_free(card);
    return NULL;
  }
  return card;
}

const cf_card_profile loopback_profile = {
    .name = "loopback",
    .summary = "test card: echo, sized responses, chosen status words, a persistent counter",
    .create = loopback_create,
};
