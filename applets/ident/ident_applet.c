/* The Ident application (IdentApplet, status-im/status-keycard tag 3.2): SELECT answers the
 * certificate once one is stored, STORE DATA stores it and the identity key once. Its class and
 * P1 P2 are not looked at, as in the applet. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/ident.h"
#include "cardforge/sw.h"
#include "ident_internal.h"

const uint8_t ident_instance_aid[IDENT_AID_LEN] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x04, 0x01};

static bool provisioned(cf_applet *app) {
  size_t len = 0;
  return cf_store_peek(app->store, CF_STORE_KEY(app->ns, IDENT_REC_CERT), &len) != NULL &&
         len == IDENT_CERT_LEN;
}

/* Stores certificate || private key (IDENT_STORE_DATA_LEN bytes). The applet's setS takes any 32
 * bytes; a key that is no secp256k1 private key would only fail later, at signing, so it is refused
 * here (6A80) and the card stays unprovisioned. */
static uint16_t store_identity(cf_applet *app, const uint8_t *data) {
  if (!cf_ec_priv_valid(data + IDENT_CERT_LEN)) return SW_WRONG_DATA;
  if (cf_store_put(app->store, CF_STORE_KEY(app->ns, IDENT_REC_PRIV), data + IDENT_CERT_LEN,
                   IDENT_PRIV_LEN) != CF_STORE_OK ||
      cf_store_put(app->store, CF_STORE_KEY(app->ns, IDENT_REC_CERT), data, IDENT_CERT_LEN) != CF_STORE_OK)
    return SW_MEMORY_FAILURE;
  return SW_OK;
}

static uint16_t ident_store_data(void *request) {
  cf_apdu_request *rq = request;
  if (provisioned(rq->app)) return SW_CONDITIONS_NOT_SATISFIED;
  if (rq->cmd->lc != IDENT_STORE_DATA_LEN) return SW_WRONG_DATA;
  return store_identity(rq->app, rq->cmd->data);
}

static const cf_command ident_commands[] = {
    {CF_CLA_ANY, IDENT_INS_STORE_DATA, CF_ACCESS_NONE, ident_store_data},
    {0, 0, 0, NULL},
};

/* Parameter ca=HEX (a test CA's private key), first creation only: a new identity key and its
 * certificate, as a provisioning station's STORE DATA would bring them. */
static int ident_install(cf_applet *app, const char *params) {
  char hex[2 * 32 + 2];
  if (!cf_params_get(params, "ca", hex, sizeof hex)) return 0;
  uint8_t ca[32] = {0}, ident[32] = {0}, data[IDENT_STORE_DATA_LEN] = {0};
  int rc = -1;
  if (cf_hex_decode(hex, ca, sizeof ca) == (long)sizeof ca) {
    if (provisioned(app)) {
      rc = 0;
    } else {
      uint8_t pub[65];
      if (cf_ec_keygen(ident, pub) == 0 && cf_ident_make_store_data(ca, ident, data) == 0 &&
          store_identity(app, data) == SW_OK)
        rc = 0;
    }
  }
  cf_wipe(hex, sizeof hex);
  cf_wipe(ca, sizeof ca);
  cf_wipe(ident, sizeof ident);
  cf_wipe(data, sizeof data);
  return rc;
}

static void ident_reset(cf_applet *app) {
  (void)app;
}

static uint16_t ident_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)cmd;
  size_t len = 0;
  const uint8_t *cert = cf_store_peek(app->store, CF_STORE_KEY(app->ns, IDENT_REC_CERT), &len);
  if (cert == NULL || len != IDENT_CERT_LEN) return SW_OK;
  return cf_rapdu_put(resp, cert, len) ? SW_OK : SW_UNKNOWN;
}

static uint16_t ident_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  const cf_command *row = cf_command_find(ident_commands, CF_CLA_ANY, cmd->ins, NULL);
  if (row == NULL) return SW_INS_NOT_SUPPORTED;
  cf_apdu_request rq = {.app = app, .cmd = cmd, .resp = resp};
  return row->handler(&rq);
}

const cf_applet_ops ident_applet_ops = {
    .name = "keycard-ident",
    .ctx_size = 0,
    .install = ident_install,
    .reset = ident_reset,
    .select = ident_select,
    .deselect = NULL,
    .process = ident_process,
    .destroy = NULL,
};
