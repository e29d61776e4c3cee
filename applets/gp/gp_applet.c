/* The GlobalPlatform Issuer Security Domain: command dispatch, the secure channel (INITIALIZE
 * UPDATE, EXTERNAL AUTHENTICATE, command unwrapping and response wrapping) and the card profile.
 *
 * A DES key set opens SCP02 and an AES key set SCP03, so one card speaks both; "i" for each comes
 * from the configuration record. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/gp.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "gp_internal.h"

const uint8_t gp_isd_aid[GP_ISD_AID_LEN] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

static void session_end(gp_ctx *ctx) {
  cf_scp_session_wipe(&ctx->scp);
  cf_wipe(ctx->host_cryptogram, sizeof ctx->host_cryptogram);
  ctx->state = GP_NO_SESSION;
  ctx->status_next = 0;
  ctx->perso = NULL;
  gp_load_abort(ctx);
}

static void gp_reset(cf_applet *app) {
  gp_ctx *ctx = app->ctx;
  gp_chain_abort(ctx);
  session_end(ctx);
}

static uint16_t gp_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  /* Selecting the Security Domain again ends its secure channel (GP 2.3.1 10.2.3). */
  gp_reset(app);
  if (cmd->p2 != 0x00 && cmd->p2 != 0x0C) return SW_INCORRECT_P1P2;
  if (cmd->p2 == 0x0C) return SW_OK;
  return gp_fci(app, resp);
}

static uint16_t initialize_update(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  gp_ctx *ctx = app->ctx;
  gp_config cfg;
  gp_key_table t;
  cf_scp_keys keys;
  uint8_t card_challenge[16], card_cryptogram[16];
  uint16_t sw = SW_OK;

  session_end(ctx); /* a new INITIALIZE UPDATE always abandons the previous session */
  if (cmd->cla != 0x80) return SW_CLA_NOT_SUPPORTED;
  if (cmd->p2 != 0x00) return SW_INCORRECT_P1P2;
  if (cmd->lc != 8 && cmd->lc != 16) return SW_WRONG_LENGTH; /* 16: SCP03 S16 mode */
  if (gp_config_get(app, &cfg) != 0 || gp_keys_load(app, &t) != 0) return SW_MEMORY_FAILURE;

  uint8_t kvn = cmd->p1;
  if (kvn == 0x00) { /* the first key set that can open a channel */
    for (size_t n = 0; n < t.count && kvn == 0; n++)
      if (gp_keys_channel_set(&t, t.keys[n].kvn, &keys)) kvn = t.keys[n].kvn;
  }
  uint8_t type = kvn ? gp_keys_channel_set(&t, kvn, &keys) : 0;
  gp_key_table_wipe(&t);
  if (type == 0) return SW_REFERENCED_DATA_NOT_FOUND;

  const uint8_t *host_challenge = cmd->data;
  /* The host challenge is as long as the mode the card was made with: SCP02 and SCP03 S8 take 8
   * bytes, SCP03 S16 (i b1) 16. */
  size_t s_len = type == CF_GP_KEY_DES ? 8 : cf_scp03_s_len(cfg.scp03_i);
  if (cmd->lc != s_len) {
    sw = SW_WRONG_LENGTH;
    goto out;
  }
  if (type == CF_GP_KEY_DES) {
    uint32_t counter = gp_counter_get(app, kvn);
    if (counter >= 0xFFFF) {
      sw = SW_CONDITIONS_NOT_SATISFIED;
      goto out;
    }
    if (cf_scp02_session_init(&ctx->scp, &keys, (uint16_t)counter, cfg.scp02_i) != 0) {
      sw = SW_UNKNOWN;
      goto out;
    }
    int rc = (cfg.scp02_i & CF_SCP02_I_PSEUDO)
                 ? cf_scp02_pseudo_challenge(&ctx->scp, app->aid, app->aid_len, card_challenge)
                 : cf_rand(card_challenge, 6);
    if (rc != 0 || cf_scp02_cryptograms(&ctx->scp, host_challenge, (uint16_t)counter, card_challenge,
                                        card_cryptogram, ctx->host_cryptogram) != 0) {
      sw = SW_UNKNOWN;
      goto out;
    }
    ctx->scp02_counter = (uint16_t)counter;
    uint8_t head[4] = {kvn, 0x02, (uint8_t)(counter >> 8), (uint8_t)counter};
    if (!cf_rapdu_put(resp, cfg.kdd, 10) || !cf_rapdu_put(resp, head, 4) ||
        !cf_rapdu_put(resp, card_challenge, 6) || !cf_rapdu_put(resp, card_cryptogram, 8))
      sw = SW_UNKNOWN;
  } else {
    uint32_t counter = 0;
    if (cfg.scp03_i & CF_SCP03_I_PSEUDO) {
      counter = gp_counter_get(app, kvn) + 1;
      if (counter > 0xFFFFFF) {
        sw = SW_CONDITIONS_NOT_SATISFIED;
        goto out;
      }
      if (gp_counter_put(app, kvn, counter) != 0) {
        sw = SW_MEMORY_FAILURE;
        goto out;
      }
      if (cf_scp03_pseudo_challenge(keys.enc, keys.klen, counter, app->aid, app->aid_len, card_challenge,
                                    s_len) != 0) {
        sw = SW_UNKNOWN;
        goto out;
      }
    } else if (cf_rand(card_challenge, s_len) != 0) {
      sw = SW_UNKNOWN;
      goto out;
    }
    if (cf_scp03_session_init(&ctx->scp, &keys, host_challenge, card_challenge, cfg.scp03_i) != 0 ||
        cf_scp03_cryptograms(&ctx->scp, host_challenge, card_challenge, card_cryptogram,
                             ctx->host_cryptogram) != 0) {
      sw = SW_UNKNOWN;
      goto out;
    }
    uint8_t head[3] = {kvn, 0x03, cfg.scp03_i};
    uint8_t ctr[3] = {(uint8_t)(counter >> 16), (uint8_t)(counter >> 8), (uint8_t)counter};
    if (!cf_rapdu_put(resp, cfg.kdd, 10) || !cf_rapdu_put(resp, head, 3) ||
        !cf_rapdu_put(resp, card_challenge, s_len) || !cf_rapdu_put(resp, card_cryptogram, s_len) ||
        ((cfg.scp03_i & CF_SCP03_I_PSEUDO) && !cf_rapdu_put(resp, ctr, 3)))
      sw = SW_UNKNOWN;
  }
out:
  cf_wipe(&keys, sizeof keys);
  if (sw != SW_OK) {
    session_end(ctx);
    return sw;
  }
  ctx->kvn = kvn;
  ctx->state = GP_INITIALIZED;
  return SW_OK;
}

/* The security levels each protocol can open (Annex E.5.2.1, Amendment D 7.1.2.1). */
static bool level_allowed(const cf_scp_session *s, uint8_t level) {
  if (s->scp == 0x02)
    return level == 0x00 || level == 0x01 || level == 0x03 || level == 0x10 || level == 0x11 || level == 0x13;
  if (level == 0x00 || level == 0x01 || level == 0x03) return true;
  if ((level == 0x11 || level == 0x13) && (s->i & CF_SCP03_I_RMAC)) return true;
  return level == 0x33 && (s->i & CF_SCP03_I_RENC);
}

static uint16_t external_authenticate(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  gp_ctx *ctx = app->ctx;
  uint8_t buf[32];
  cf_apdu plain;
  size_t cg_len = ctx->scp.scp == 0x03 ? ctx->scp.s_len : 8; /* host cryptogram, and as long a C-MAC */
  if (ctx->state != GP_INITIALIZED) {
    session_end(ctx);
    return SW_CONDITIONS_NOT_SATISFIED;
  }
  ctx->state = GP_NO_SESSION; /* one attempt per INITIALIZE UPDATE */
  uint16_t sw = SW_OK;
  if (cmd->cla != 0x84) {
    sw = SW_SECURITY_STATUS_NOT_SATISFIED;
  } else if (cmd->p2 != 0x00 || !level_allowed(&ctx->scp, cmd->p1)) {
    sw = SW_INCORRECT_P1P2;
  } else if (cmd->lc != 2 * cg_len) {
    sw = SW_WRONG_LENGTH;
  } else {
    ctx->scp.level = CF_SCP_C_MAC; /* EXTERNAL AUTHENTICATE carries a C-MAC, never encryption */
    sw = cf_scp_unwrap_command(&ctx->scp, cmd, buf, sizeof buf, &plain);
  }
  if (sw != SW_OK) {
    session_end(ctx);
    return sw;
  }
  /* SCP02: the counter rises once the session's first C-MAC verified. */
  if (ctx->scp.scp == 0x02 && gp_counter_put(app, ctx->kvn, (uint32_t)ctx->scp02_counter + 1) != 0) {
    session_end(ctx);
    return SW_MEMORY_FAILURE;
  }
  if (!cf_ct_equal(plain.data, ctx->host_cryptogram, cg_len)) {
    session_end(ctx);
    return GP_SW_AUTHENTICATION_FAILED;
  }
  ctx->scp.level = cmd->p1;
  ctx->state = GP_AUTHENTICATED;
  return SW_OK;
}

/* A SELECT that named no application of this card. */
static uint16_t select_unknown(void *request) {
  return SW_FILE_NOT_FOUND;
}

/* The ISD's commands. INITIALIZE UPDATE and EXTERNAL AUTHENTICATE run before any unwrapping;
 * PUT KEY, DELETE, GET STATUS and SET STATUS (GP 2.3.1 11.4, 11.10: inside an authenticated
 * session only) need the session, checked after the class. */
static const cf_command gp_commands[] = {
    {GP_CLA_GP, GP_INS_INITIALIZE_UPDATE, CF_ACCESS_CHANNEL_SETUP, initialize_update},
    {GP_CLA_GP, GP_INS_EXTERNAL_AUTHENTICATE, CF_ACCESS_CHANNEL_SETUP, external_authenticate},
    {CF_CLA_ANY, GP_INS_GET_DATA, CF_ACCESS_NONE, gp_get_data},
    {GP_CLA_GP, GP_INS_PUT_KEY, CF_ACCESS_AUTHENTICATED, gp_put_key},
    {GP_CLA_GP, GP_INS_DELETE, CF_ACCESS_AUTHENTICATED, gp_delete},
    {GP_CLA_GP, GP_INS_INSTALL, CF_ACCESS_AUTHENTICATED, gp_install_cmd},
    {GP_CLA_GP, GP_INS_LOAD, CF_ACCESS_AUTHENTICATED, gp_load},
    {GP_CLA_GP, GP_INS_STORE_DATA, CF_ACCESS_AUTHENTICATED, gp_store_data},
    {GP_CLA_GP, GP_INS_GET_STATUS, CF_ACCESS_AUTHENTICATED, gp_get_status},
    {GP_CLA_GP, GP_INS_SET_STATUS, CF_ACCESS_AUTHENTICATED, gp_set_status},
    {CF_CLA_ANY, GP_INS_SELECT, CF_ACCESS_NONE, select_unknown},
    {0, 0, CF_ACCESS_NONE, NULL},
};

/* The class the row asks for, then its condition, then the handler. */
static uint16_t dispatch(const cf_command *row, cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  gp_ctx *ctx = app->ctx;
  if (!row) return SW_INS_NOT_SUPPORTED;
  if (row->cla == GP_CLA_GP && !(cmd->cla & GP_CLA_GP)) return SW_CLA_NOT_SUPPORTED;
  if ((row->access & CF_ACCESS_AUTHENTICATED) && ctx->state != GP_AUTHENTICATED) {
    gp_chain_abort(ctx); /* a PUT KEY chain ends here; any other command ended it already */
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  }
  cf_apdu_request rq = {app, cmd, resp};
  return row->handler(&rq);
}

static uint16_t gp_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  gp_ctx *ctx = app->ctx;
  uint8_t base_cla = cmd->cla & (uint8_t)~0x04;
  if (base_cla != 0x00 && base_cla != 0x80) {
    /* Not a command of the session: it ends, so that an answer without its R-MAC always means
     * the session is over (the host relies on it). */
    if (ctx->state == GP_AUTHENTICATED) {
      gp_chain_abort(ctx);
      session_end(ctx);
    }
    return SW_CLA_NOT_SUPPORTED;
  }
  if (ctx->chain_active && cmd->ins != GP_INS_PUT_KEY) gp_chain_abort(ctx);
  if (ctx->load_active && cmd->ins != GP_INS_LOAD) gp_load_abort(ctx); /* LOAD blocks come in a row */
  /* GP 2.3.1 5.1.1.5: a TERMINATED card answers GET DATA only (and SELECT of the ISD, which the
   * runtime handles); everything else, the secure channel included, is refused. */
  if (cmd->ins != GP_INS_GET_DATA && cmd->ins != GP_INS_SELECT) {
    gp_registry reg;
    if (gp_registry_get(app, &reg) != 0) return SW_MEMORY_FAILURE;
    if (reg.card_state == GP_CARD_TERMINATED) {
      session_end(ctx);
      return SW_CONDITIONS_NOT_SATISFIED;
    }
  }
  const cf_command *row = cf_command_find(gp_commands, CF_CLA_ANY, cmd->ins, NULL);
  if (row && (row->access & CF_ACCESS_CHANNEL_SETUP)) return dispatch(row, app, cmd, resp);

  bool sm = (cmd->cla & 0x04) != 0;
  bool session = ctx->state == GP_AUTHENTICATED;
  cf_apdu plain = *cmd;
  uint8_t plain_buf[256];
  if (session && (ctx->scp.level & CF_SCP_C_MAC)) {
    /* Inside a C-MAC session every command must come protected; anything else ends it. */
    uint16_t sw = sm ? cf_scp_unwrap_command(&ctx->scp, cmd, plain_buf, sizeof plain_buf, &plain)
                     : SW_SECURITY_STATUS_NOT_SATISFIED;
    if (sw != SW_OK) {
      gp_chain_abort(ctx);
      session_end(ctx);
      return sw;
    }
  } else if (sm) {
    gp_chain_abort(ctx);
    session_end(ctx);
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  } else if (ctx->state == GP_INITIALIZED) {
    session_end(ctx); /* EXTERNAL AUTHENTICATE must follow INITIALIZE UPDATE at once */
  }

  uint8_t out[CF_CARD_MAX_RESPONSE];
  cf_rapdu r = {.buf = out, .len = 0, .cap = sizeof out - CF_SCP_OVERHEAD};
  uint16_t sw = dispatch(row, app, &plain, &r);
  if (!session || ctx->state != GP_AUTHENTICATED) {
    if (!cf_rapdu_put(resp, out, r.len)) sw = SW_UNKNOWN;
    cf_wipe(out, r.len);
    return sw;
  }
  /* Error answers carry no data of their own; in SCP02 they still carry the R-MAC (over Li = 00
   * and the SW), which the runtime must then let through. */
  bool error = !(sw == SW_OK || (sw >> 8) == 0x62 || (sw >> 8) == 0x63);
  size_t len = error ? 0 : r.len, n = 0;
  if (resp->cap - resp->len < len + CF_SCP_OVERHEAD ||
      cf_scp_wrap_response(&ctx->scp, &plain, out, len, sw, resp->buf + resp->len, resp->cap - resp->len,
                           &n) != 0) {
    cf_wipe(out, r.len);
    return SW_UNKNOWN;
  }
  resp->len += n;
  if (error && n > 0) resp->keep_on_error = true;
  cf_wipe(out, r.len);
  return sw;
}

/* The ISD is the card's manager: the runtime asks it before selecting any application. */
static int gp_install_op(cf_applet *app, const char *params) {
  if (gp_install(app, params) != 0) return -1;
  cf_card_set_select_gate(app->card, gp_select_gate, app);
  return 0;
}

const cf_applet_ops gp_isd_ops = {
    .name = "gp-isd",
    .ctx_size = sizeof(gp_ctx),
    .install = gp_install_op,
    .reset = gp_reset,
    .select = gp_select,
    .deselect = gp_reset,
    .process = gp_process,
    .destroy = NULL,
};

/* T=1, historical bytes "CFGP-ISD01". */
static const uint8_t gp_atr[] = {0x3B, 0x8A, 0x80, 0x01, 0x43, 0x46, 0x47, 0x50,
                                 0x2D, 0x49, 0x53, 0x44, 0x30, 0x31, 0x6B};

static cf_card *gp_create(cf_store *store, const char *params) {
  cf_card *card = cf_card_new(store, gp_atr, sizeof gp_atr, CF_RESP_T1);
  if (card == NULL) return NULL;
  if (cf_card_add_applet(card, &gp_isd_ops, gp_isd_aid, sizeof gp_isd_aid, params ? params : "", true) ==
      NULL) {
    cf_card_free(card);
    return NULL;
  }
  return card;
}

const cf_card_profile gp_profile = {
    .name = "gp",
    .summary = "GlobalPlatform Issuer Security Domain: SCP02 (DES sets) and SCP03 (AES sets), PUT KEY, "
               "DELETE KEY, GET DATA (params: scp=02|03, key=, enc=, mac=, dek=, kvn=, i02=, i03=, serial=)",
    .create = gp_create,
};
