/* What the three target devices share: the one-shot GET CHALLENGE random, dispatch, SELECT, GET
 * DATA, receiving an Export Keys&Data command, INTERNAL AUTHENTICATE and VERIFY MAC, key tables. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

static const cmcc_target_kind *tgt_kind(const cf_applet *app) {
  return ((const cmcc_target_ops *)app->ops)->kind;
}

static cmcc_target_ctx *tgt_ctx(cf_applet *app) {
  return (cmcc_target_ctx *)app->ctx;
}

const uint8_t *cmcc_tgt_random(cf_applet *app) {
  cmcc_target_ctx *t = tgt_ctx(app);
  return t->challenge_now ? t->challenge : NULL;
}

void cmcc_tgt_reset(cf_applet *app) {
  cf_wipe(app->ctx, app->ops->ctx_size);
}

uint16_t cmcc_tgt_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)cmd;
  uint32_t device = tgt_kind(app)->fci_device;
  tgt_ctx(app)->challenge_valid = false; /* a SELECT also ends the GET CHALLENGE random */
  if (device && !cmcc_put_fci(resp, app->aid, app->aid_len, device, NULL)) return SW_UNKNOWN;
  return SW_OK;
}

/* ---- commands common to the targets ---- */

uint16_t cmcc_tgt_get_challenge(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  cmcc_target_ctx *t = tgt_ctx(app);
  if (cmd->p1 != 0 || cmd->p2 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  if (cf_rand(t->challenge, CMCC_RANDOM_LEN) != 0 || !cf_rapdu_put(resp, t->challenge, CMCC_RANDOM_LEN))
    return SW_UNKNOWN;
  t->challenge_valid = true;
  return SW_OK;
}

/* A SELECT the runtime matched to no application. */
uint16_t cmcc_tgt_select_other(void *request) {
  return SW_FILE_NOT_FOUND;
}

/* GET DATA 00 CA 00 tag: the device's identity, which the host needs before it exports to it (the
 * user card's serial, the SAM's diversification factor). */
uint16_t cmcc_tgt_get_data(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  const cmcc_target_kind *kind = tgt_kind(app);
  if (cmd->p1 != 0) return SW_INCORRECT_P1P2;
  if (cmd->lc != 0) return SW_WRONG_LENGTH;
  for (size_t i = 0; i < kind->nobjects; i++) {
    const cmcc_tgt_object *o = &kind->objects[i];
    if (o->tag != cmd->p2) continue;
    uint8_t rec[64];
    /* the record also holds the device's key: only the object's bytes leave it */
    bool ok = o->rec_len <= sizeof rec && cmcc_get(app, o->rec, rec, o->rec_len) &&
              cf_rapdu_put(resp, rec + o->offset, o->len);
    cf_wipe(rec, sizeof rec);
    return ok ? SW_OK : SW_UNKNOWN;
  }
  return SW_REFERENCED_DATA_NOT_FOUND;
}

/* INTERNAL AUTHENTICATE 00 88 P1 P2 08 D: 3DES-ECB of D under the stored key P1 P2 name. */
uint16_t cmcc_tgt_internal_auth(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  const cmcc_target_kind *kind = tgt_kind(app);
  if (!kind->key_ref_ok(cmd->p1, cmd->p2)) return SW_INCORRECT_P1P2;
  if (cmd->lc != 8) return SW_WRONG_LENGTH;
  uint8_t key[CMCC_KEY_LEN], out[8];
  uint16_t sw = kind->key_find(app, cmd->p1, cmd->p2, key);
  if (sw == SW_OK &&
      (cf_des3_ecb_encrypt(key, CMCC_KEY_LEN, cmd->data, out, 8) != 0 || !cf_rapdu_put(resp, out, 8)))
    sw = SW_UNKNOWN;
  cf_wipe(key, sizeof key);
  cf_wipe(out, sizeof out);
  return sw;
}

/* VERIFY MAC 84 82 P1 P2 Lc data || MAC: proves a stored key without reading it. */
uint16_t cmcc_tgt_verify_mac(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  const cmcc_target_kind *kind = tgt_kind(app);
  const uint8_t *random = cmcc_tgt_random(app);
  if (!kind->key_ref_ok(cmd->p1, cmd->p2)) return SW_INCORRECT_P1P2;
  if (cmd->lc < CMCC_MAC_LEN) return SW_WRONG_LENGTH;
  if (!random) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t key[CMCC_KEY_LEN];
  uint16_t sw = kind->key_find(app, cmd->p1, cmd->p2, key);
  if (sw == SW_OK && kind->session_mac && cmcc_session_key(key, random, key) != 0)
    sw = SW_UNKNOWN;
  else if (sw == SW_OK)
    sw = cmcc_cmd_mac_ok(key, random, cmd) ? SW_OK : CMCC_SW_BAD_MAC;
  cf_wipe(key, sizeof key);
  return sw;
}

uint16_t cmcc_tgt_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  cmcc_target_ctx *t = tgt_ctx(app);
  /* the random lives for the next command only: take it out before anything runs */
  t->challenge_now = t->challenge_valid;
  t->challenge_valid = false;
  uint16_t sw = cmcc_dispatch(tgt_kind(app)->commands, app, cmd, resp);
  t->challenge_now = false;
  return sw;
}

/* ---- receiving Export Keys&Data ---- */

uint16_t cmcc_tgt_unwrap(const uint8_t key[CMCC_KEY_LEN], const uint8_t *random, const cf_apdu *cmd,
                         uint8_t *plain, size_t cap, size_t *plain_len) {
  if (cmd->lc < 8 + CMCC_MAC_LEN || (cmd->lc - CMCC_MAC_LEN) % 8 != 0) return SW_WRONG_LENGTH;
  if (!random) return SW_CONDITIONS_NOT_SATISFIED;
  const uint8_t cipp[4] = {cmd->cla, cmd->ins, cmd->p1, cmd->p2};
  size_t clen = cmd->lc - CMCC_MAC_LEN;
  int rc =
      cmcc_unwrap(key, CMCC_MAC_919, random, cipp, cmd->data, clen, cmd->data + clen, plain, cap, plain_len);
  if (rc == CMCC_UNWRAP_OK) return SW_OK;
  if (rc == CMCC_UNWRAP_BAD_MAC) return CMCC_SW_BAD_MAC;
  if (rc == CMCC_UNWRAP_BAD_PADDING) return SW_WRONG_DATA;
  return SW_UNKNOWN;
}

/* ---- key tables ---- */

uint8_t *cmcc_tgt_key_entry(uint8_t *table, uint8_t id) {
  for (size_t i = 0; i < table[0]; i++) {
    uint8_t *e = table + 1 + i * CMCC_TGT_KEY_ENTRY;
    if (e[0] == id) return e;
  }
  return NULL;
}

bool cmcc_tgt_key_put(uint8_t *table, size_t max, const uint8_t entry[CMCC_TGT_KEY_ENTRY]) {
  uint8_t *dst = cmcc_tgt_key_entry(table, entry[0]);
  if (!dst) {
    if (table[0] >= max) return false;
    dst = table + 1 + table[0]++ * CMCC_TGT_KEY_ENTRY;
  }
  memcpy(dst, entry, CMCC_TGT_KEY_ENTRY);
  return true;
}

size_t cmcc_tgt_key_list(const uint8_t *table, uint8_t *out) {
  size_t n = 0;
  out[n++] = table[0];
  for (size_t i = 0; i < table[0]; i++) {
    memcpy(out + n, table + 1 + i * CMCC_TGT_KEY_ENTRY, CMCC_TGT_KEY_ATTR_LEN);
    n += CMCC_TGT_KEY_ATTR_LEN;
  }
  return n;
}
