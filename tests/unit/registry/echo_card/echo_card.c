/* The test-only echo card (echo_card.h): the least a card application is, an applet and a profile. */
#include "echo_card.h"

#include <stdlib.h>
#include <string.h>

#include "cardforge/sw.h"

const uint8_t echo_card_aid[5] = {0xF0, 0x65, 0x63, 0x68, 0x6F};

/* 3B 80 80 01 01: T=0 and T=1, no historical bytes; TCK = XOR of T0..TD2. */
static const uint8_t echo_card_atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};

typedef struct echo_ctx {
  uint8_t tag;
} echo_ctx;

static int echo_install(cf_applet *app, const char *params) {
  char tag[8] = "5A";
  cf_params_get(params, "tag", tag, sizeof tag);
  char *end = NULL;
  unsigned long value = strtoul(tag, &end, 16);
  if (end == tag || *end != '\0' || value > 0xFF) return -1;
  ((echo_ctx *)app->ctx)->tag = (uint8_t)value;
  return 0;
}

static void echo_reset(cf_applet *app) {
  (void)app;
}

static uint16_t echo_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  return SW_OK;
}

static uint16_t echo_echo(void *request) {
  const cf_apdu_request *rq = request;
  const uint8_t tag = ((const echo_ctx *)rq->app->ctx)->tag;
  if (!cf_rapdu_put(rq->resp, &tag, 1) ||
      (rq->cmd->lc > 0 && !cf_rapdu_put(rq->resp, rq->cmd->data, rq->cmd->lc)))
    return SW_WRONG_LENGTH;
  return SW_OK;
}

/* The command table (docs/architecture.md, "Card applications: the command table"). */
static const cf_command echo_commands[] = {
    {CF_CLA_ANY, ECHO_CARD_INS_ECHO, CF_ACCESS_NONE, echo_echo},
    {0, 0, CF_ACCESS_NONE, NULL},
};

static uint16_t echo_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  const cf_command *row = cf_command_find(echo_commands, CF_CLA_ANY, cmd->ins, NULL);
  if (row == NULL) return SW_INS_NOT_SUPPORTED;
  cf_apdu_request rq = {app, cmd, resp};
  return row->handler(&rq);
}

static const cf_applet_ops echo_applet_ops = {
    .name = "echo",
    .ctx_size = sizeof(echo_ctx),
    .install = echo_install,
    .reset = echo_reset,
    .select = echo_select,
    .process = echo_process,
};

static cf_card *echo_create(cf_store *store, const char *params) {
  cf_card *card = cf_card_new(store, echo_card_atr, sizeof echo_card_atr, CF_RESP_T1);
  if (card == NULL) return NULL;
  if (cf_card_add_applet(card, &echo_applet_ops, echo_card_aid, sizeof echo_card_aid, params, true) == NULL) {
    cf_card_free(card);
    return NULL;
  }
  return card;
}

const cf_card_profile echo_card_profile = {
    .name = "echo",
    .summary = "test-only card: answers its tag and the command data",
    .create = echo_create,
};
