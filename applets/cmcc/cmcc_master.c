/* The three master cards' shared life cycle and basic commands (spec 1.1 and 1.2.1): install from
 * params, dispatch, Verify / Change / Reload PIN, Get Challenge, External Authentication, SELECT,
 * Read KeyInfo. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/hex.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

/* ---- install / reset ---- */

static const uint8_t default_pins[3][CMCC_PIN_LEN] = {
    {'1', '1', '1', '1', '1', '1', '1', '1'},
    {'2', '2', '2', '2', '2', '2', '2', '2'},
    {'3', '3', '3', '3', '3', '3', '3', '3'},
};

static int install_keys(cf_applet *app, const char *params) {
  const cmcc_master_kind *kind = cmcc_kind(app);
  char list[64];
  uint8_t types[32];
  long ntypes;
  if (cf_params_get(params, "keys", list, sizeof list))
    ntypes = list[0] ? cf_hex_decode(list, types, sizeof types) : 0;
  else
    ntypes = cf_hex_decode(kind->default_keys, types, sizeof types);
  if (ntypes < 0) return -1;
  /* kTT= also presets type TT when the list does not name it */
  for (unsigned t = 1; t <= 0x0B && ntypes < (long)sizeof types; t++) {
    char name[4] = {'k', "0123456789ABCDEF"[t >> 4], "0123456789ABCDEF"[t & 15], 0};
    uint8_t probe[CMCC_KEY_LEN];
    bool listed = memchr(types, (int)t, (size_t)ntypes) != NULL;
    if (!listed && cmcc_param_hex(params, name, probe, sizeof probe) == 1) types[ntypes++] = (uint8_t)t;
    cf_wipe(probe, sizeof probe);
  }
  for (long i = 0; i < ntypes; i++) {
    uint8_t t = types[i], attrs[CMCC_ATTR_LEN], value[CMCC_KEY_LEN];
    if (t == 0 || t > 0x0B) return -1;
    char name[4] = {'k', "0123456789ABCDEF"[t >> 4], "0123456789ABCDEF"[t & 15], 0};
    cmcc_key_default_attrs(t, attrs);
    cmcc_key_default_value(t, value);
    int got = cmcc_param_hex(params, name, value, sizeof value);
    long rec = got < 0 ? -1 : cmcc_key_store(app, attrs, value);
    cf_wipe(value, sizeof value);
    if (rec <= 0) return -1;
  }
  return 0;
}

int cmcc_master_install(cf_applet *app, const char *params) {
  const cmcc_master_kind *kind = cmcc_kind(app);
  if (cmcc_installed(app)) return 0; /* reopened */
  for (int p = 1; p <= 3; p++) {
    uint8_t rec[CMCC_PIN_LEN + 1];
    char name[5] = {'p', 'i', 'n', (char)('0' + p), 0};
    memcpy(rec, default_pins[p - 1], CMCC_PIN_LEN);
    if (cmcc_param_hex(params, name, rec, CMCC_PIN_LEN) < 0) return -1;
    rec[CMCC_PIN_LEN] = CMCC_PIN_TRIES;
    bool ok = cmcc_put(app, (uint16_t)CMCC_REC_PIN(p), rec, sizeof rec);
    cf_wipe(rec, sizeof rec);
    if (!ok) return -1;
  }
  if (install_keys(app, params) != 0) return -1;
  uint8_t eid[CMCC_ENTERPRISE_ID_LEN];
  int got = cmcc_param_hex(params, "eid", eid, sizeof eid);
  if (got < 0) return -1;
  if (got == 0 && kind->default_eid) got = cf_hex_decode(kind->default_eid, eid, sizeof eid) == 6 ? 1 : -1;
  if (got < 0) return -1;
  if (got == 1 && !cmcc_put(app, (uint16_t)CMCC_REC_INFO(CMCC_INFO_ENTERPRISE_ID), eid, sizeof eid))
    return -1;
  return cmcc_mark_installed(app) ? 0 : -1;
}

void cmcc_master_reset(cf_applet *app) {
  cf_wipe(app->ctx, sizeof(cmcc_applet_ctx));
}

/* ---- security state ---- */

bool cmcc_pin_ok(cf_applet *app, uint8_t pin) {
  return (cmcc_ctx(app)->pin_ok >> pin) & 1;
}
bool cmcc_auth_ok(cf_applet *app, uint8_t key_type) {
  return key_type && key_type < 32 && ((cmcc_ctx(app)->auth_ok >> key_type) & 1);
}
bool cmcc_access_ok(const void *request, uint32_t key_types) {
  const cmcc_request *rq = request;
  cf_applet *app = rq->apdu.app;
  if ((rq->access & CF_ACCESS_PIN) && !cmcc_pin_ok(app, CMCC_PIN_APP)) return false;
  if ((rq->access & CF_ACCESS_AUTHENTICATED) && !(cmcc_ctx(app)->auth_ok & key_types)) return false;
  return true;
}
const uint8_t *cmcc_challenge(cf_applet *app) {
  cmcc_applet_ctx *c = cmcc_ctx(app);
  return c->challenge_now ? c->challenge : NULL;
}

/* ---- SELECT ---- */

static uint16_t answer_fci(cf_applet *app, cf_rapdu *resp) {
  cmcc_applet_ctx *c = cmcc_ctx(app);
  const cmcc_master_kind *kind = cmcc_kind(app);
  if (kind->select_random) {
    /* 4.1.7: the working card answers SELECT with its random; a new SELECT starts a new exchange */
    if (cf_rand(c->select_random, CMCC_RANDOM_LEN) != 0) return SW_UNKNOWN;
    c->select_random_valid = true;
    c->subkey_valid = false;
    cf_wipe(c->subkey, sizeof c->subkey);
  }
  if (!cmcc_put_fci(resp, app->aid, app->aid_len, kind->device_code,
                    kind->select_random ? c->select_random : NULL))
    return SW_UNKNOWN;
  return SW_OK;
}

uint16_t cmcc_master_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)cmd;
  cmcc_applet_ctx *c = cmcc_ctx(app);
  /* a SELECT the runtime answers is a command like any other: it ends the one-shot states */
  c->challenge_valid = false;
  c->gen_remaining = 0;
  return answer_fci(app, resp);
}

/* SELECT that the runtime did not match (CLA F0, or an unknown name): spec 1.1.6. */
uint16_t cmcc_cmd_select(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 != 0x04 || (cmd->p2 != 0x00 && cmd->p2 != 0x02)) return SW_INCORRECT_P1P2;
  if (cmd->lc < 5 || cmd->lc > 16) return SW_WRONG_LENGTH;
  /* single-directory card: there is never a "next" file matching the name */
  if (cmd->p2 == 0x02) return SW_FILE_NOT_FOUND;
  if (cmd->lc > app->aid_len || memcmp(cmd->data, app->aid, cmd->lc) != 0) return SW_FILE_NOT_FOUND;
  return answer_fci(app, resp);
}

/* ---- PINs ---- */

static const uint8_t *pin_record(cf_applet *app, uint8_t p, uint8_t rec[CMCC_PIN_LEN + 1]) {
  return cmcc_get(app, (uint16_t)CMCC_REC_PIN(p), rec, CMCC_PIN_LEN + 1) ? rec : NULL;
}

/* Checks candidate against PIN p, counting the try first. Returns SW_OK on a match. */
static uint16_t pin_check(cf_applet *app, uint8_t p, const uint8_t *candidate) {
  cmcc_applet_ctx *c = cmcc_ctx(app);
  uint8_t rec[CMCC_PIN_LEN + 1];
  if (!pin_record(app, p, rec)) return CMCC_SW_FILE_NOT_FOUND;
  if (rec[CMCC_PIN_LEN] == 0) {
    cf_wipe(rec, sizeof rec);
    return CMCC_SW_PIN_BLOCKED;
  }
  /* the try is spent and durable before the comparison: a power cut cannot give it back */
  rec[CMCC_PIN_LEN]--;
  if (!cmcc_put(app, (uint16_t)CMCC_REC_PIN(p), rec, sizeof rec) ||
      cf_store_checkpoint(app->store) != CF_STORE_OK) {
    cf_wipe(rec, sizeof rec);
    return SW_MEMORY_FAILURE;
  }
  bool match = cf_ct_equal(rec, candidate, CMCC_PIN_LEN);
  uint8_t left = rec[CMCC_PIN_LEN];
  if (match) {
    rec[CMCC_PIN_LEN] = CMCC_PIN_TRIES;
    bool ok = cmcc_put(app, (uint16_t)CMCC_REC_PIN(p), rec, sizeof rec);
    cf_wipe(rec, sizeof rec);
    if (!ok) return SW_MEMORY_FAILURE;
    c->pin_ok |= (uint8_t)(1u << p);
    return SW_OK;
  }
  cf_wipe(rec, sizeof rec);
  c->pin_ok &= (uint8_t) ~(1u << p);
  return SW_VERIFY_FAIL(left);
}

static bool pin_p1p2_ok(const cf_apdu *cmd) {
  return cmd->p1 == 0 && cmd->p2 >= CMCC_PIN_MAIN && cmd->p2 <= CMCC_PIN_EXPORT;
}

uint16_t cmcc_cmd_verify_pin(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  if (!pin_p1p2_ok(cmd)) return SW_INCORRECT_P1P2;
  if (cmd->lc != CMCC_PIN_LEN) return SW_WRONG_LENGTH;
  return pin_check(app, cmd->p2, cmd->data);
}

uint16_t cmcc_cmd_change_pin(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  if (!pin_p1p2_ok(cmd)) return SW_INCORRECT_P1P2;
  if (cmd->lc != 2 * CMCC_PIN_LEN) return SW_WRONG_LENGTH;
  uint16_t sw = pin_check(app, cmd->p2, cmd->data);
  if (sw != SW_OK) return sw;
  uint8_t rec[CMCC_PIN_LEN + 1];
  memcpy(rec, cmd->data + CMCC_PIN_LEN, CMCC_PIN_LEN);
  rec[CMCC_PIN_LEN] = CMCC_PIN_TRIES;
  bool ok = cmcc_put(app, (uint16_t)CMCC_REC_PIN(cmd->p2), rec, sizeof rec);
  cf_wipe(rec, sizeof rec);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

uint16_t cmcc_cmd_reload_pin(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  if (!pin_p1p2_ok(cmd)) return SW_INCORRECT_P1P2;
  if (cmd->lc != CMCC_PIN_LEN) return SW_WRONG_LENGTH;
  /* only the highest-level (operator) master key unlocks a PIN, never the second master key */
  if (!cmcc_access_ok(request, cmcc_key_bit(cmcc_kind(app)->reload_key)))
    return SW_SECURITY_STATUS_NOT_SATISFIED;
  uint8_t rec[CMCC_PIN_LEN + 1];
  if (!pin_record(app, cmd->p2, rec)) return CMCC_SW_FILE_NOT_FOUND;
  memcpy(rec, cmd->data, CMCC_PIN_LEN);
  rec[CMCC_PIN_LEN] = CMCC_PIN_TRIES;
  bool ok = cmcc_put(app, (uint16_t)CMCC_REC_PIN(cmd->p2), rec, sizeof rec);
  cf_wipe(rec, sizeof rec);
  cmcc_ctx(app)->pin_ok &= (uint8_t) ~(1u << cmd->p2);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* ---- Get Challenge, External Authentication ---- */

uint16_t cmcc_cmd_get_challenge(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  cmcc_applet_ctx *c = cmcc_ctx(app);
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  if (cf_rand(c->challenge, CMCC_RANDOM_LEN) != 0) return SW_UNKNOWN;
  if (!cf_rapdu_put(resp, c->challenge, CMCC_RANDOM_LEN)) return SW_UNKNOWN;
  c->challenge_issued = true;
  c->challenge_valid = true;
  return SW_OK;
}

uint16_t cmcc_cmd_external_auth(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cmcc_applet_ctx *c = cmcc_ctx(app);
  if (cmd->p1 != 0 || cmd->p2 > CMCC_AUTH_P2_SECOND) return SW_INCORRECT_P1P2;
  uint8_t type = cmcc_kind(app)->auth_key[cmd->p2];
  if (type == 0) return SW_FUNC_NOT_SUPPORTED;
  if (cmd->lc != CMCC_AUTH_DATA_LEN) return SW_WRONG_LENGTH;
  cmcc_key key;
  size_t n = cmcc_key_find_type(app, type, &key);
  if (n == 0) return SW_FUNC_NOT_SUPPORTED;
  uint16_t sw;
  const uint8_t *random = cmcc_challenge(app);
  if (key.tries == 0 || key.attrs[CMCC_ATTR_STATUS] != CMCC_KEY_USABLE) {
    sw = SW_AUTH_METHOD_BLOCKED;
  } else if (!random) {
    sw = c->challenge_issued ? CMCC_SW_RANDOM_INVALID : SW_CONDITIONS_NOT_SATISFIED;
  } else {
    key.tries--;
    if (!cmcc_key_write(app, n, &key) || cf_store_checkpoint(app->store) != CF_STORE_OK) {
      sw = SW_MEMORY_FAILURE;
    } else {
      uint8_t expect[CMCC_AUTH_DATA_LEN];
      bool match = cmcc_ext_auth_data(key.value, random, expect) == 0 &&
                   cf_ct_equal(expect, cmd->data, CMCC_AUTH_DATA_LEN);
      cf_wipe(expect, sizeof expect);
      if (match) {
        key.tries = CMCC_AUTH_TRIES;
        sw = cmcc_key_write(app, n, &key) ? SW_OK : SW_MEMORY_FAILURE;
        if (sw == SW_OK) c->auth_ok |= 1u << type;
      } else {
        c->auth_ok &= ~(1u << type);
        sw = CMCC_SW_AUTH_FAIL(key.tries);
      }
    }
  }
  cf_wipe(&key, sizeof key);
  return sw;
}

/* ---- Read KeyInfo, Get Response with nothing pending ---- */

uint16_t cmcc_cmd_read_keyinfo(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  if (cmd->p1 == 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  cmcc_key key;
  if (!cmcc_key_read(app, cmd->p1, &key)) return SW_WRONG_P1P2; /* 6B00: beyond the last record */
  bool ok = cf_rapdu_put(resp, key.attrs, CMCC_ATTR_LEN);
  cf_wipe(&key, sizeof key);
  return ok ? SW_OK : SW_UNKNOWN;
}

uint16_t cmcc_cmd_get_response(void *request) {
  const cf_apdu_request *rq = request;
  const cf_apdu *cmd = rq->cmd;
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  return SW_UNKNOWN; /* 6F00: no data waiting */
}

/* ---- dispatch ---- */

uint16_t cmcc_master_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  cmcc_applet_ctx *c = cmcc_ctx(app);
  /* One-shot states live for the next command only: take them out before anything runs. */
  c->challenge_now = c->challenge_valid;
  c->challenge_valid = false;
  c->gen_now = c->gen_remaining;
  c->gen_remaining = 0;
  uint16_t sw = cmcc_dispatch(cmcc_kind(app)->commands, app, cmd, resp);
  c->challenge_now = false;
  c->gen_now = 0;
  return sw;
}
