/* The Keycard applet: installation, SELECT, command dispatch (the tables: keycard_commands.c) and
 * the response rule of the secure channel, plus the "keycard" card profile. Behaviour follows the
 * public applet (status-im/status-keycard) of the version the card is created as
 * (keycard_version.c); docs/keycard.md has the details. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

const uint8_t keycard_aid[KEYCARD_AID_LEN] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x01, 0x01};

/* T=1 only (TD1 = 80, TD2 = 01); historical bytes 80 57 "Keycard" (compact-TLV issuer data). */
static const uint8_t keycard_atr[] = {0x3B, 0x89, 0x80, 0x01, 0x80, 0x57, 0x4B,
                                      0x65, 0x79, 0x63, 0x61, 0x72, 0x64, 0x9C};

/* ident_ns=N: the store namespace of the package's Ident application on the same card. */
static int kc_ident_ns_param(const char *params, uint16_t *ns) {
  char value[8];
  *ns = 0;
  if (!cf_params_get(params, "ident_ns", value, sizeof value)) return 0;
  char *end = NULL;
  unsigned long n = strtoul(value, &end, 10);
  if (end == value || *end != '\0' || n == 0 || n > 0xFFFF) return -1;
  *ns = (uint16_t)n;
  return 0;
}

static int keycard_install(cf_applet *app, const char *params) {
  char value[16] = KEYCARD_DEFAULT_VERSION;
  cf_params_get(params, "version", value, sizeof value);
  const kc_version *ver = kc_version_by_name(value);
  if (!ver) return -1;
  kc_ctx *ctx = app->ctx;
  if (kc_ident_ns_param(params, &ctx->ident_ns) != 0) return -1;
  uint16_t version = ver->number;
  size_t len = 0;
  if (kc_peek(app, KC_REC_CONFIG, &len) == NULL) {
    uint8_t v[2];
    cf_put_be16(v, version);
    if (!kc_put(app, KC_REC_CONFIG, v, 2)) return -1;
  }
  if (kc_peek(app, KC_REC_UID, &len) == NULL) {
    uint8_t uid[KEYCARD_UID_LEN];
    if (cf_rand(uid, sizeof uid) != 0 || !kc_put(app, KC_REC_UID, uid, sizeof uid)) return -1;
  }
  if (kc_peek(app, KC_REC_CHANNEL_KEY, &len) == NULL) {
    uint8_t priv[32], pub[65];
    int rc = cf_ec_keygen(priv, pub);
    bool ok = rc == 0 && kc_put(app, KC_REC_CHANNEL_KEY, priv, sizeof priv);
    cf_wipe(priv, sizeof priv);
    if (!ok) return -1;
  }
  return 0;
}

static void keycard_reset(cf_applet *app) {
  kc_ctx *ctx = app->ctx;
  uint16_t ident_ns = ctx->ident_ns;
  cf_wipe(ctx, sizeof *ctx);
  ctx->ident_ns = ident_ns;
}

/* The applet forgets the session and the PIN status when it is selected again. 3.2's ephemeral
 * pairing lives in a CLEAR_ON_DESELECT array, which the Java Card runtime clears whenever the
 * applet is deselected, also by a SELECT of the applet itself (JCRE 3.0 classic, 4.6). */
static void kc_select_reset(kc_ctx *ctx) {
  kc_sc_reset(ctx);
  kc_forget_ephemeral_pairing(ctx);
  ctx->pin_validated = false;
  ctx->alt_active = false;
  ctx->pair_slot = 0;
  cf_wipe(ctx->pair_challenge, sizeof ctx->pair_challenge);
}

/* 2.2.1 and 3.0 count the SELECTs of an initialized applet and make a new channel key pair at
 * the 101st (SecureChannel.java updateSecureChannelCounter, SC_COUNTER_MAX 100); the count is
 * persistent there (a field) and here. 3.1 dropped it. */
static bool kc_count_select(cf_applet *app, kc_ctx *ctx) {
  size_t len = 0;
  const uint8_t *p = kc_peek(app, KC_REC_SELECT_COUNT, &len);
  uint16_t count = p && len == 2 ? cf_be16(p) : 0;
  uint8_t next[2];
  if (count < 100) {
    cf_put_be16(next, (uint16_t)(count + 1));
  } else {
    if (!kc_channel_regenerate(app, ctx)) return false;
    cf_put_be16(next, 0);
  }
  return kc_put(app, KC_REC_SELECT_COUNT, next, sizeof next);
}

/* A4 application info template: 8F UID, 80 channel key, 02 version, 02 free slots, 8E key UID
 * (empty without a key), 8D capabilities. The length takes the 81 form when a key UID makes it
 * longer than 127 bytes. */
static uint16_t kc_select_info(cf_applet *app, kc_ctx *ctx, cf_rapdu *resp) {
  const kc_version *ver = kc_version_of(app);
  if (ver->channel_key_rotation && !kc_count_select(app, ctx)) return SW_MEMORY_FAILURE;
  size_t uid_len = 0;
  const uint8_t *uid = kc_peek(app, KC_REC_UID, &uid_len);
  const uint8_t *pub = kc_channel_pub(app, ctx);
  if (!uid || uid_len != KEYCARD_UID_LEN || !pub) return SW_MEMORY_FAILURE;
  kc_key key;
  bool has_key = kc_key_get(app, &key);
  uint8_t body[160];
  size_t n = 0;
  body[n++] = KEYCARD_TLV_UID;
  body[n++] = KEYCARD_UID_LEN;
  memcpy(body + n, uid, KEYCARD_UID_LEN);
  n += KEYCARD_UID_LEN;
  body[n++] = KEYCARD_TLV_PUB_KEY;
  body[n++] = 65;
  memcpy(body + n, pub, 65);
  n += 65;
  body[n++] = KEYCARD_TLV_INT;
  body[n++] = 2;
  cf_put_be16(body + n, ver->number);
  n += 2;
  body[n++] = KEYCARD_TLV_INT;
  body[n++] = 1;
  body[n++] = kc_free_slots(app);
  body[n++] = KEYCARD_TLV_KEY_UID;
  if (has_key) {
    body[n++] = KEYCARD_KEY_UID_LEN;
    memcpy(body + n, key.uid, KEYCARD_KEY_UID_LEN);
    n += KEYCARD_KEY_UID_LEN;
  } else {
    body[n++] = 0;
  }
  body[n++] = KEYCARD_TLV_CAPABILITIES;
  body[n++] = 1;
  body[n++] = ver->capabilities;
  cf_wipe(&key, sizeof key);
  /* the applet writes the 81 length form exactly when a key is loaded (the template is then 129
   * bytes long; without a key it is 97) */
  uint8_t head[3] = {KEYCARD_TLV_INFO_TEMPLATE, 0x81, (uint8_t)n};
  size_t head_len = 3;
  if (!has_key) {
    head[1] = (uint8_t)n;
    head_len = 2;
  }
  if (!cf_rapdu_put(resp, head, head_len) || !cf_rapdu_put(resp, body, n)) return SW_UNKNOWN;
  return SW_OK;
}

static uint16_t keycard_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  kc_ctx *ctx = app->ctx;
  kc_select_reset(ctx);
  if (kc_initialized(app)) return kc_select_info(app, ctx, resp);
  /* before INIT: only the channel public key, 80 41 <key> */
  const uint8_t *pub = kc_channel_pub(app, ctx);
  if (!pub) return SW_MEMORY_FAILURE;
  uint8_t head[2] = {KEYCARD_TLV_PUB_KEY, 65};
  if (!cf_rapdu_put(resp, head, 2) || !cf_rapdu_put(resp, pub, 65)) return SW_UNKNOWN;
  return SW_OK;
}

static void keycard_deselect(cf_applet *app) {
  kc_select_reset(app->ctx);
}

static bool sw_is_success_or_warning(uint16_t sw) {
  uint8_t sw1 = (uint8_t)(sw >> 8);
  return sw1 == 0x90 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63;
}

/* While the channel is open every answer but 6982 travels wrapped (outer 9000), as the applet's
 * respond rule does; the inner status word then decides whether the command's writes stay. */
static uint16_t kc_respond(kc_req *rq, uint16_t sw, cf_rapdu *resp) {
  cf_store *store = rq->app->store;
  if (!rq->final && kc_sc_open(rq->ctx) && sw != SW_SECURITY_STATUS_NOT_SATISFIED) {
    if (!sw_is_success_or_warning(sw)) {
      /* the outer 9000 would commit: drop what the failed command wrote (a checkpointed
       * counter stays, it is already durable) */
      cf_store_rollback(store);
      if (cf_store_begin(store) != CF_STORE_OK) return SW_MEMORY_FAILURE;
      rq->out_len = 0;
    }
    if (!kc_sc_wrap(rq->ctx, rq->out, rq->out_len, sw, resp)) return SW_UNKNOWN;
    cf_wipe(rq->out, sizeof rq->out);
    return SW_OK;
  }
  if (sw_is_success_or_warning(sw) && rq->out_len && !cf_rapdu_put(resp, rq->out, rq->out_len))
    sw = SW_UNKNOWN;
  cf_wipe(rq->out, sizeof rq->out);
  return sw;
}

/* The condition a row declares, checked before its handler (keycard_commands.c): a command of
 * the secure channel is unwrapped first, then the PIN is looked at. */
static uint16_t kc_check_access(kc_req *rq, cf_command_access access) {
  if (access & CF_ACCESS_SECURE_CHANNEL) {
    uint16_t sw = kc_sc_unwrap(rq);
    if (sw != SW_OK) return sw;
  }
  if ((access & CF_ACCESS_PIN) && !rq->ctx->pin_validated) return SW_CONDITIONS_NOT_SATISFIED;
  return SW_OK;
}

/* Before INIT the applet knows INIT only, and from 3.1 IDENTIFY CARD. */
static uint16_t kc_dispatch(kc_req *rq, bool initialized) {
  const cf_command *table = initialized ? rq->ver->commands : rq->ver->commands_before_init;
  const cf_command *row = cf_command_find(table, CF_CLA_ANY, rq->cmd->ins, NULL);
  if (!row) return SW_INS_NOT_SUPPORTED;
  uint16_t sw = kc_check_access(rq, row->access);
  return sw == SW_OK ? row->handler(rq) : sw;
}

static uint16_t keycard_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  kc_req rq;
  memset(&rq, 0, sizeof rq);
  rq.app = app;
  rq.ctx = app->ctx;
  rq.ver = kc_version_of(app);
  rq.cmd = cmd;
  rq.data = cmd->data;
  rq.len = cmd->lc;
  bool initialized = kc_initialized(app);
  rq.final = !initialized; /* no channel can exist before INIT */
  uint16_t sw = kc_dispatch(&rq, initialized);
  sw = kc_respond(&rq, sw, resp);
  cf_wipe(rq.plain, sizeof rq.plain);
  return sw;
}

const cf_applet_ops keycard_applet_ops = {
    .name = "keycard",
    .ctx_size = sizeof(kc_ctx),
    .install = keycard_install,
    .reset = keycard_reset,
    .select = keycard_select,
    .deselect = keycard_deselect,
    .process = keycard_process,
    .destroy = NULL,
};

static cf_card *keycard_create(cf_store *store, const char *params) {
  cf_card *card = cf_card_new(store, keycard_atr, sizeof keycard_atr, CF_RESP_T1);
  if (!card) return NULL;
  if (!cf_card_add_applet(card, &keycard_applet_ops, keycard_aid, sizeof keycard_aid, params ? params : "",
                          false)) {
    cf_card_free(card);
    return NULL;
  }
  return card;
}

/* The wallet applet alone on a card (card type "keycard-applet"); "keycard" is the card as shipped
 * (applets/keycard_card). */
const cf_card_profile keycard_profile = {
    .name = "keycard-applet",
    .summary = "the Status Keycard wallet applet alone (params: version=2.2.1|3.0|3.1|3.2, default 3.2)",
    .create = keycard_create,
};
