/* Export Keys&Data (spec 1.2.3): the KMC encrypts keys (each diversified as asked) and data under
 * an export key (diversified, optionally a session key) and MACs them so that CIPP || Lc ||
 * cipher || MAC is the command the user card or SAM accepts. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/sw.h>

#define EXPORT_MAX_KEYS 8
#define EXPORT_MAX_PLAIN 247 /* padded to at most 248: cipher + MAC fit one short command */

typedef struct exported_key {
  size_t levels;
  const uint8_t *factors;
  const uint8_t *attr; /* version, index, type */
  size_t target_len;
  const uint8_t *target_attrs;
} exported_key;

typedef struct export_request {
  const uint8_t *cipp, *random;
  size_t export_levels;
  const uint8_t *export_factors, *export_attr;
  size_t count;
  exported_key keys[EXPORT_MAX_KEYS];
  const uint8_t *prefix, *suffix;
  size_t prefix_len, suffix_len;
} export_request;

typedef struct reader {
  const uint8_t *p;
  size_t left;
} reader;

static const uint8_t *take(reader *r, size_t n) {
  if (n > r->left) return NULL;
  const uint8_t *at = r->p;
  r->p += n;
  r->left -= n;
  return at;
}

/* Parses the data field. Returns SW_OK, 6700 (fields do not add up to Lc) or 6A80 (a value no
 * layout allows: more keys than the card handles, an unknown prefix/suffix flag). */
static uint16_t parse(const cf_apdu *cmd, export_request *rq) {
  size_t eflen = (cmd->p1 & CMCC_P1_EXPORT_KEY_FACTOR16) ? 16 : 8;
  size_t kflen = (cmd->p1 & CMCC_P1_KEY_FACTOR16) ? 16 : 8;
  reader r = {cmd->data, cmd->lc};
  const uint8_t *b;
  memset(rq, 0, sizeof *rq);
  if (!(rq->cipp = take(&r, 4)) || !(rq->random = take(&r, 4)) || !(b = take(&r, 1))) return SW_WRONG_LENGTH;
  rq->export_levels = *b;
  if (!(rq->export_factors = take(&r, rq->export_levels * eflen)) || !(rq->export_attr = take(&r, 3)) ||
      !(b = take(&r, 1)))
    return SW_WRONG_LENGTH;
  size_t count = *b;
  for (size_t i = 0; i < count; i++) {
    exported_key k;
    if (!(b = take(&r, 1))) return SW_WRONG_LENGTH;
    k.levels = *b;
    if (!(k.factors = take(&r, k.levels * kflen)) || !(k.attr = take(&r, 3)) || !(b = take(&r, 1)))
      return SW_WRONG_LENGTH;
    k.target_len = *b;
    if (!(k.target_attrs = take(&r, k.target_len))) return SW_WRONG_LENGTH;
    if (i < EXPORT_MAX_KEYS) rq->keys[i] = k;
  }
  if (!(b = take(&r, 1))) return SW_WRONG_LENGTH;
  uint8_t flag = *b;
  if (flag > 3) return SW_WRONG_DATA;
  if (flag & 1) {
    if (!(b = take(&r, 1)) || !(rq->prefix = take(&r, *b))) return SW_WRONG_LENGTH;
    rq->prefix_len = *b;
  }
  if (flag & 2) {
    if (!(b = take(&r, 1)) || !(rq->suffix = take(&r, *b))) return SW_WRONG_LENGTH;
    rq->suffix_len = *b;
  }
  if (r.left) return SW_WRONG_LENGTH;
  if (count > EXPORT_MAX_KEYS) return SW_WRONG_DATA;
  rq->count = count;
  return SW_OK;
}

static bool exportable(uint8_t type) {
  /* spec 1.2.3.1: enterprise management and application keys; SAM keys for the 4.1.8 flow */
  return type == CMCC_KEY_ENTERPRISE_MGMT || type == CMCC_KEY_ENTERPRISE_APP || type == CMCC_KEY_SAM;
}

/* Checks every key the request names, in request order: export key first. */
static uint16_t check_keys(cf_applet *app, const export_request *rq, cmcc_key *ek, size_t *ekn) {
  cmcc_key k;
  *ekn = cmcc_key_find(app, rq->export_attr[0], rq->export_attr[1], rq->export_attr[2], ek);
  if (!*ekn) return CMCC_SW_EXPORT_KEY_MISSING;
  /* The spec forbids the terminal initial key; the master keys are refused too: an export under
   * one of them would be a valid Import Key / Update Info of a higher level. */
  if (ek->attrs[CMCC_ATTR_TYPE] <= CMCC_KEY_TERMINAL_INIT) return CMCC_SW_FILE_TYPE;
  if (rq->export_levels > CMCC_MAX_LEVELS || !cmcc_key_levels_ok(ek, rq->export_levels))
    return CMCC_SW_DIV_LEVEL;
  if (!cmcc_key_can_compute(ek)) return CMCC_SW_KEY_STATE;
  for (size_t i = 0; i < rq->count; i++) {
    const exported_key *x = &rq->keys[i];
    uint16_t sw = SW_OK;
    if (!cmcc_key_find(app, x->attr[0], x->attr[1], x->attr[2], &k))
      sw = CMCC_SW_EXPORTED_KEY_MISSING;
    else if (!exportable(k.attrs[CMCC_ATTR_TYPE]))
      sw = CMCC_SW_FILE_TYPE;
    else if (x->levels > CMCC_MAX_LEVELS || !cmcc_key_levels_ok(&k, x->levels))
      sw = CMCC_SW_DIV_LEVEL;
    else if (k.attrs[CMCC_ATTR_STATUS] != CMCC_KEY_USABLE)
      sw = CMCC_SW_KEY_STATE;
    else if (k.attrs[CMCC_ATTR_ALG] != CMCC_ALG_3DES)
      sw = CMCC_SW_FILE_TYPE;
    cf_wipe(&k, sizeof k);
    if (sw != SW_OK) return sw;
  }
  return SW_OK;
}

/* prefix || for each key (target attributes || diversified value) || suffix */
static uint16_t build_plain(cf_applet *app, const cf_apdu *cmd, const export_request *rq, uint8_t *plain,
                            size_t *len) {
  size_t kflen = (cmd->p1 & CMCC_P1_KEY_FACTOR16) ? 16 : 8;
  size_t total = rq->prefix_len + rq->suffix_len;
  for (size_t i = 0; i < rq->count; i++)
    total += rq->keys[i].target_len + CMCC_KEY_LEN;
  if (total > EXPORT_MAX_PLAIN) return SW_WRONG_DATA;
  size_t at = 0;
  if (rq->prefix_len) memcpy(plain, rq->prefix, rq->prefix_len);
  at = rq->prefix_len;
  cmcc_key k;
  for (size_t i = 0; i < rq->count; i++) {
    const exported_key *x = &rq->keys[i];
    cmcc_key_find(app, x->attr[0], x->attr[1], x->attr[2], &k);
    memcpy(plain + at, x->target_attrs, x->target_len);
    at += x->target_len;
    int rc = cmcc_diversify_levels(k.value, x->factors, x->levels, kflen, plain + at);
    cf_wipe(&k, sizeof k);
    if (rc != 0) return SW_UNKNOWN;
    at += CMCC_KEY_LEN;
  }
  if (rq->suffix_len) memcpy(plain + at, rq->suffix, rq->suffix_len);
  *len = at + rq->suffix_len;
  return SW_OK;
}

uint16_t cmcc_kmc_export_keys_data(void *request) {
  const cf_apdu_request *req = request;
  cf_applet *app = req->app;
  const cf_apdu *cmd = req->cmd;
  cf_rapdu *resp = req->resp;
  if ((cmd->p1 & (CMCC_P1_EXPORT_KEY_DIV_MASK | CMCC_P1_KEY_DIV_MASK)) != 0 || cmd->p2 != 0)
    return SW_INCORRECT_P1P2; /* only standard 3DES diversification exists */
  export_request rq;
  uint16_t sw = parse(cmd, &rq);
  if (sw != SW_OK) return sw;
  if (!cmcc_access_ok(request, cmcc_key_bit(CMCC_KEY_MASTER_CARD))) return SW_SECURITY_STATUS_NOT_SATISFIED;
  cmcc_key ek;
  size_t ekn = 0;
  sw = check_keys(app, &rq, &ek, &ekn);
  if (sw == SW_OK) sw = cmcc_key_use(app, ekn, &ek);
  uint8_t plain[EXPORT_MAX_PLAIN], key[CMCC_KEY_LEN], out[1 + 248 + CMCC_MAC_LEN];
  size_t plain_len = 0, cipher_len = 0;
  if (sw == SW_OK) sw = build_plain(app, cmd, &rq, plain, &plain_len);
  if (sw == SW_OK) {
    size_t eflen = (cmd->p1 & CMCC_P1_EXPORT_KEY_FACTOR16) ? 16 : 8;
    cmcc_mac_alg alg = (cmd->p1 & CMCC_P1_MAC_99) ? CMCC_MAC_99 : CMCC_MAC_919;
    bool ok = cmcc_diversify_levels(ek.value, rq.export_factors, rq.export_levels, eflen, key) == 0 &&
              ((cmd->p1 & CMCC_P1_NO_SESSION_KEY) || cmcc_session_key(key, rq.random, key) == 0) &&
              cmcc_wrap(key, alg, rq.random, rq.cipp, plain, plain_len, out + 1, 248, &cipher_len,
                        out + 1 + 248) == 0;
    if (ok) {
      out[0] = (uint8_t)cipher_len;
      memmove(out + 1 + cipher_len, out + 1 + 248, CMCC_MAC_LEN);
      ok = cf_rapdu_put(resp, out, 1 + cipher_len + CMCC_MAC_LEN);
    }
    if (!ok) sw = SW_UNKNOWN;
  }
  cf_wipe(plain, sizeof plain);
  cf_wipe(key, sizeof key);
  cf_wipe(out, sizeof out);
  cf_wipe(&ek, sizeof ek);
  return sw;
}
