/* INIT, VERIFY PIN, CHANGE PIN and UNBLOCK PIN. Every try counter is decremented and made durable
 * (cf_store_checkpoint) before a secret is compared, and restored only after a match, so a power
 * cut can never hand out an extra try. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

static bool kc_counters(const cf_applet *app, uint8_t c[KC_CNT_LEN]) {
  size_t len = 0;
  const uint8_t *p = kc_peek(app, KC_REC_COUNTERS, &len);
  if (!p || len != KC_CNT_LEN) return false;
  memcpy(c, p, KC_CNT_LEN);
  return true;
}

static const uint8_t *kc_credentials(const cf_applet *app) {
  size_t len = 0;
  const uint8_t *p = kc_peek(app, KC_REC_CREDENTIALS, &len);
  return p && len == KC_CRED_LEN ? p : NULL;
}

uint8_t kc_pin_tries(const cf_applet *app, const kc_ctx *ctx) {
  uint8_t c[KC_CNT_LEN];
  if (!kc_counters(app, c)) return 0;
  return ctx->alt_active ? c[KC_CNT_ALT] : c[KC_CNT_PIN];
}

uint8_t kc_puk_tries(const cf_applet *app) {
  uint8_t c[KC_CNT_LEN];
  return kc_counters(app, c) ? c[KC_CNT_PUK] : 0;
}

/* INIT (before initialization only), one-shot encrypted. Plaintext: PIN (6 digits) || PUK (12
 * digits) || pairing secret (32); from 3.1 optionally || PIN tries || PUK tries [|| alternate PIN
 * (6)]. Without an alternate PIN it is the first 6 digits of the PUK (3.1 only has one). */
uint16_t kc_init(void *request) {
  kc_req *rq = request;
  uint16_t sw = kc_one_shot_decrypt(rq);
  if (sw != SW_OK) return sw;
  const size_t base = KEYCARD_PIN_LEN + KEYCARD_PUK_LEN + KEYCARD_SECRET_LEN;
  const uint8_t *p = rq->data;
  bool options = rq->ver->init_options;
  if ((rq->len != base && !(options && (rq->len == base + 2 || rq->len == base + 8))) ||
      !kc_digits(p, KEYCARD_PIN_LEN + KEYCARD_PUK_LEN))
    return SW_WRONG_DATA;
  uint8_t pin_limit = KEYCARD_DEFAULT_PIN_TRIES, puk_limit = KEYCARD_DEFAULT_PUK_TRIES;
  const uint8_t *alt = p + KEYCARD_PIN_LEN;
  if (rq->len >= base + 2) {
    pin_limit = p[base];
    puk_limit = p[base + 1];
    if (pin_limit < KEYCARD_PIN_TRIES_MIN || pin_limit > KEYCARD_PIN_TRIES_MAX ||
        puk_limit < KEYCARD_PUK_TRIES_MIN || puk_limit > KEYCARD_PUK_TRIES_MAX)
      return SW_WRONG_DATA;
    if (rq->len == base + 8) alt = p + base + 2;
  }
  uint8_t cred[KC_CRED_LEN];
  memcpy(cred + KC_CRED_PIN, p, KEYCARD_PIN_LEN);
  memcpy(cred + KC_CRED_ALT, alt, KEYCARD_PIN_LEN);
  memcpy(cred + KC_CRED_PUK, p + KEYCARD_PIN_LEN, KEYCARD_PUK_LEN);
  uint8_t counters[KC_CNT_LEN] = {pin_limit, pin_limit, pin_limit, puk_limit, puk_limit};
  uint8_t pairings[KC_PAIRINGS_MAX_LEN] = {0};
  bool ok =
      kc_put(rq->app, KC_REC_CREDENTIALS, cred, sizeof cred) &&
      kc_put(rq->app, KC_REC_COUNTERS, counters, sizeof counters) &&
      kc_put(rq->app, KC_REC_PAIRING_SECRET, p + KEYCARD_PIN_LEN + KEYCARD_PUK_LEN, KEYCARD_SECRET_LEN) &&
      kc_put(rq->app, KC_REC_PAIRINGS, pairings, KC_PAIRINGS_LEN(rq->ver)) &&
      kc_channel_regenerate(rq->app, rq->ctx);
  cf_wipe(cred, sizeof cred);
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* Makes the decremented counters durable before any comparison. */
static uint16_t kc_spend_tries(cf_applet *app, const uint8_t c[KC_CNT_LEN]) {
  if (!kc_put(app, KC_REC_COUNTERS, c, KC_CNT_LEN)) return SW_MEMORY_FAILURE;
  return cf_store_checkpoint(app->store) == CF_STORE_OK ? SW_OK : SW_MEMORY_FAILURE;
}

static bool kc_set_chain_select(cf_applet *app, uint8_t alt) {
  size_t len = 0;
  const uint8_t *cur = kc_peek(app, KC_REC_CHAIN_SELECT, &len);
  uint8_t now = cur && len == 1 ? cur[0] : 0;
  return now == alt || kc_put(app, KC_REC_CHAIN_SELECT, &alt, 1);
}

/* VERIFY PIN: 6 digits (else 6A80, no try spent; 2.2.1 has no such check: anything else is a
 * wrong PIN and costs a try). From 3.1 the PIN and the alternate PIN are both tried, each
 * spending a try of its own counter; a match of either restores both. The alternate PIN wins
 * when both match and switches derivation to the alternate chain code. */
uint16_t kc_verify_pin(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  bool well_formed = rq->len == KEYCARD_PIN_LEN && kc_digits(rq->data, rq->len);
  if (!well_formed && rq->ver->verify_pin_format) return SW_WRONG_DATA;
  kc_ctx *ctx = rq->ctx;
  uint8_t c[KC_CNT_LEN];
  const uint8_t *cred = kc_credentials(rq->app);
  if (!cred || !kc_counters(rq->app, c)) return SW_MEMORY_FAILURE;
  uint8_t pin[KEYCARD_PIN_LEN], alt[KEYCARD_PIN_LEN];
  memcpy(pin, cred + KC_CRED_PIN, sizeof pin);
  memcpy(alt, cred + KC_CRED_ALT, sizeof alt);
  bool try_pin = c[KC_CNT_PIN] > 0, try_alt = rq->ver->alt_pin && c[KC_CNT_ALT] > 0;
  ctx->pin_validated = false;
  if (try_pin || try_alt) {
    c[KC_CNT_PIN] = (uint8_t)(c[KC_CNT_PIN] - try_pin);
    c[KC_CNT_ALT] = (uint8_t)(c[KC_CNT_ALT] - try_alt);
    sw = kc_spend_tries(rq->app, c);
    if (sw != SW_OK) goto out;
  }
  bool pin_ok = well_formed && cf_ct_equal(pin, rq->data, KEYCARD_PIN_LEN) && try_pin;
  bool alt_ok = well_formed && cf_ct_equal(alt, rq->data, KEYCARD_PIN_LEN) && try_alt;
  if (!pin_ok && !alt_ok) {
    sw = SW_VERIFY_FAIL(ctx->alt_active ? c[KC_CNT_ALT] : c[KC_CNT_PIN]);
    goto out;
  }
  c[KC_CNT_PIN] = c[KC_CNT_PIN_LIMIT];
  c[KC_CNT_ALT] = c[KC_CNT_PIN_LIMIT];
  ctx->alt_active = alt_ok;
  if (!kc_put(rq->app, KC_REC_COUNTERS, c, KC_CNT_LEN) || !kc_set_chain_select(rq->app, alt_ok ? 1 : 0)) {
    sw = SW_MEMORY_FAILURE;
    goto out;
  }
  ctx->pin_validated = true;
  sw = SW_OK;
out:
  cf_wipe(pin, sizeof pin);
  cf_wipe(alt, sizeof alt);
  return sw;
}

/* CHANGE PIN: P1 00 the current PIN (the alternate one when it was used to log in), 01 the PUK,
 * 02 the pairing secret. A new PIN or PUK gets its full try count back. */
uint16_t kc_change_pin(void *request) {
  kc_req *rq = request;
  kc_ctx *ctx = rq->ctx;
  const uint8_t *stored = kc_credentials(rq->app);
  uint8_t c[KC_CNT_LEN];
  if (!stored || !kc_counters(rq->app, c)) return SW_MEMORY_FAILURE;
  uint8_t cred[KC_CRED_LEN];
  bool ok;
  switch (rq->cmd->p1) {
  case KEYCARD_CHANGE_PIN_P1_PIN:
    if (rq->len != KEYCARD_PIN_LEN || !kc_digits(rq->data, rq->len)) return SW_WRONG_DATA;
    memcpy(cred, stored, sizeof cred);
    memcpy(cred + (ctx->alt_active ? KC_CRED_ALT : KC_CRED_PIN), rq->data, KEYCARD_PIN_LEN);
    c[ctx->alt_active ? KC_CNT_ALT : KC_CNT_PIN] = c[KC_CNT_PIN_LIMIT];
    ok = kc_put(rq->app, KC_REC_CREDENTIALS, cred, sizeof cred) &&
         kc_put(rq->app, KC_REC_COUNTERS, c, sizeof c);
    cf_wipe(cred, sizeof cred);
    break;
  case KEYCARD_CHANGE_PIN_P1_PUK:
    if (rq->len != KEYCARD_PUK_LEN || !kc_digits(rq->data, rq->len)) return SW_WRONG_DATA;
    memcpy(cred, stored, sizeof cred);
    memcpy(cred + KC_CRED_PUK, rq->data, KEYCARD_PUK_LEN);
    c[KC_CNT_PUK] = c[KC_CNT_PUK_LIMIT];
    ok = kc_put(rq->app, KC_REC_CREDENTIALS, cred, sizeof cred) &&
         kc_put(rq->app, KC_REC_COUNTERS, c, sizeof c);
    cf_wipe(cred, sizeof cred);
    break;
  case KEYCARD_CHANGE_PIN_P1_PAIRING_SECRET:
    if (rq->len != KEYCARD_SECRET_LEN) return SW_WRONG_DATA;
    ok = kc_put(rq->app, KC_REC_PAIRING_SECRET, rq->data, KEYCARD_SECRET_LEN);
    break;
  default:
    return SW_INCORRECT_P1P2;
  }
  return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* UNBLOCK PIN: only while the current PIN is blocked (else 6985); data = PUK (12 digits) || new
 * PIN (6 digits), else 6A80 with no try spent. */
uint16_t kc_unblock_pin(void *request) {
  kc_req *rq = request;
  uint16_t sw = SW_OK;
  kc_ctx *ctx = rq->ctx;
  uint8_t c[KC_CNT_LEN];
  const uint8_t *stored = kc_credentials(rq->app);
  if (!stored || !kc_counters(rq->app, c)) return SW_MEMORY_FAILURE;
  if ((ctx->alt_active ? c[KC_CNT_ALT] : c[KC_CNT_PIN]) != 0) return SW_CONDITIONS_NOT_SATISFIED;
  if (rq->len != KEYCARD_PUK_LEN + KEYCARD_PIN_LEN || !kc_digits(rq->data, rq->len)) return SW_WRONG_DATA;
  if (c[KC_CNT_PUK] == 0) return SW_VERIFY_FAIL(0);
  uint8_t cred[KC_CRED_LEN];
  memcpy(cred, stored, sizeof cred);
  c[KC_CNT_PUK]--;
  sw = kc_spend_tries(rq->app, c);
  if (sw != SW_OK) goto out;
  if (!cf_ct_equal(cred + KC_CRED_PUK, rq->data, KEYCARD_PUK_LEN)) {
    sw = SW_VERIFY_FAIL(c[KC_CNT_PUK]);
    goto out;
  }
  c[KC_CNT_PUK] = c[KC_CNT_PUK_LIMIT];
  c[KC_CNT_PIN] = c[KC_CNT_PIN_LIMIT];
  c[KC_CNT_ALT] = c[KC_CNT_PIN_LIMIT];
  memcpy(cred + (ctx->alt_active ? KC_CRED_ALT : KC_CRED_PIN), rq->data + KEYCARD_PUK_LEN, KEYCARD_PIN_LEN);
  if (!kc_put(rq->app, KC_REC_COUNTERS, c, sizeof c) ||
      !kc_put(rq->app, KC_REC_CREDENTIALS, cred, sizeof cred)) {
    sw = SW_MEMORY_FAILURE;
    goto out;
  }
  ctx->pin_validated = true;
  sw = SW_OK;
out:
  cf_wipe(cred, sizeof cred);
  return sw;
}
