#include "cmcc_host_world.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/hex.h"

void hexb(const char *hex, uint8_t *out, size_t n) {
  uint8_t buf[512];
  long got = cf_hex_decode(hex, buf, sizeof buf);
  if (got != (long)n) fail_msg("hex \"%s\": %ld bytes, expected %zu", hex, got, n);
  memcpy(out, buf, n);
}

static const char *const profile_name[CF_CMCC_ROLES] = {"kmc",      "authcard", "workcard",
                                                        "usercard", "sam",      "terminal"};

static const cf_card_profile *find_profile(const char *name) {
  for (size_t i = 0; i < cmcc_profile_count; i++)
    if (strcmp(cmcc_profiles[i]->name, name) == 0) return cmcc_profiles[i];
  fail_msg("no card profile %s", name);
  return NULL;
}

static void make_card(world *w, cf_cmcc_role r, const char *params) {
  assert_int_equal(cf_store_open_memory(&w->store[r]), CF_STORE_OK);
  w->card[r] = find_profile(profile_name[r])->create(w->store[r], params);
  if (!w->card[r]) fail_msg("%s: create(\"%s\") failed", profile_name[r], params);
  cf_card_power_on(w->card[r]);
  w->t[r] = cf_transport_open_card(w->card[r]);
  assert_non_null(w->t[r]);
  if (getenv("CMCC_HOST_TRACE")) w->t[r]->trace = stderr;
  w->host.card[r] = w->t[r];
}

static void drop_card(world *w, cf_cmcc_role r) {
  if (w->t[r]) cf_transport_close(w->t[r]);
  if (w->card[r]) cf_card_free(w->card[r]);
  if (w->store[r]) cf_store_close(w->store[r]);
  w->t[r] = NULL;
  w->card[r] = NULL;
  w->store[r] = NULL;
  w->host.card[r] = NULL;
}

cf_transport *loose_card_open(loose_card *c, const char *profile, const char *params) {
  assert_int_equal(cf_store_open_memory(&c->store), CF_STORE_OK);
  c->card = find_profile(profile)->create(c->store, params);
  assert_non_null(c->card);
  cf_card_power_on(c->card);
  return cf_transport_open_card(c->card);
}

void loose_card_close(loose_card *c, cf_transport *t) {
  cf_transport_close(t);
  cf_card_free(c->card);
  cf_store_close(c->store);
  c->card = NULL;
  c->store = NULL;
}

void world_replace(world *w, cf_cmcc_role r, const char *params) {
  drop_card(w, r);
  make_card(w, r, params);
}

void world_sheet_key(const world *w, const char *attrs_hex, uint8_t value[16]) {
  uint8_t attrs[11];
  hexb(attrs_hex, attrs, 11);
  assert_int_equal(cmcc_generated_key(w->sheet.seed, attrs, value), 0);
}

static void hsm_add(cf_cmcc_hsm *h, uint8_t type, const char *value_hex) {
  uint8_t attrs[11] = {type, 0x01, 0x01, 0x00, 0x00, 0x00, 0xAA, 0, 0, 0, 0}, value[16];
  hexb(value_hex, value, 16);
  assert_int_equal(cf_cmcc_hsm_add(h, attrs, value, NULL), 0);
}

world *world_new(const char *user_params) {
  world *w = calloc(1, sizeof *w);
  assert_non_null(w);
  cf_cmcc_host_init(&w->host);
  /* the key code sheet */
  static const char *const sheet_keys[] = {W_ATTR_TAK,     W_ATTR_EMK,     W_ATTR_EAK,
                                           W_ATTR_SAMKEY1, W_ATTR_SAMKEY2, W_ATTR_NOCALC};
  hexb(W_SEED, w->sheet.seed, 16);
  for (size_t i = 0; i < sizeof sheet_keys / sizeof sheet_keys[0]; i++)
    hexb(sheet_keys[i], w->sheet.attrs[i], 11);
  w->sheet.count = sizeof sheet_keys / sizeof sheet_keys[0];
  /* the operator HSM */
  w->hsm = cf_cmcc_hsm_new();
  hsm_add(w->hsm, 0x01, W_K01);
  hsm_add(w->hsm, 0x03, W_K03);
  hsm_add(w->hsm, 0x04, W_K04);
  hsm_add(w->hsm, 0x05, W_K05);
  w->host.hsm = w->hsm;
  /* the cards: PIN 02 = W_PIN (ASCII), the keys above */
  char pin_hex[17], params[512], emk_hex[33];
  cf_hex_encode((const uint8_t *)W_PIN, 8, pin_hex);
  snprintf(params, sizeof params, "pin2=%s,k01=%s,k02=%s", pin_hex, W_K01, W_K02);
  make_card(w, CF_CMCC_KMC, params);
  snprintf(params, sizeof params, "pin2=%s,k02=%s,k03=%s", pin_hex, W_K02, W_K03);
  make_card(w, CF_CMCC_AUTH, params);
  snprintf(params, sizeof params, "pin2=%s,k04=%s,k05=%s,eid=%s", pin_hex, W_K04, W_K05, W_EID);
  make_card(w, CF_CMCC_WORK, params);
  uint8_t emk[16];
  world_sheet_key(w, W_ATTR_EMK, emk);
  cf_hex_encode(emk, 16, emk_hex);
  snprintf(params, sizeof params, "serial=%s,emk=%s%s%s", W_SERIAL, emk_hex, user_params[0] ? "," : "",
           user_params);
  make_card(w, CF_CMCC_USER, params);
  snprintf(params, sizeof params, "factor=%s,imk=%s", W_SAMFACTOR, W_SAMINIT);
  make_card(w, CF_CMCC_SAM, params);
  snprintf(params, sizeof params, "tik=%s", W_TIK);
  make_card(w, CF_CMCC_TERMINAL, params);
  return w;
}

void world_free(world *w) {
  if (!w) return;
  for (int r = 0; r < CF_CMCC_ROLES; r++)
    drop_card(w, r);
  cf_cmcc_hsm_free(w->hsm);
  free(w);
}

static void expect_ok(world *w, int rc) {
  if (rc != 0 || w->host.status != CF_CMCC_OK) fail_msg("%s: %s", w->host.step, w->host.message);
}

void world_open_kmc(world *w) {
  uint8_t pin[8];
  memcpy(pin, W_PIN, 8);
  expect_ok(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_KMC, CMCC_PIN_APP, pin));
  expect_ok(w, cf_cmcc_verify_pin(&w->host, CF_CMCC_AUTH, CMCC_PIN_APP, pin));
  expect_ok(w, cf_cmcc_auth_kmc_via_authcard(&w->host));
}

void world_enterprise(world *w) {
  world_open_kmc(w);
  expect_ok(w, cf_cmcc_generate(&w->host, &w->sheet));
  /* the working-card master key, from the operator (HSM) under the operator KMC master key */
  char err[200];
  const cf_cmcc_key *k01 = cf_cmcc_hsm_find(w->hsm, 0x01, -1, -1, err, sizeof err);
  const cf_cmcc_key *k05 = cf_cmcc_hsm_find(w->hsm, 0x05, -1, -1, err, sizeof err);
  assert_non_null(k01);
  assert_non_null(k05);
  expect_ok(w, cf_cmcc_auth_via_hsm(&w->host, CF_CMCC_KMC, CMCC_AUTH_P2_OPERATOR, -1, -1));
  expect_ok(
      w, cf_cmcc_import_via_hsm(&w->host, CF_CMCC_KMC, CMCC_IMPORT_P2_LEVEL1, k01, k05->attrs, k05->value));
  /* the level-2 keys through the authentication card */
  uint8_t attrs[11], value[16];
  hexb(W_ATTR_TIK, attrs, 11);
  hexb(W_TIK, value, 16);
  expect_ok(w, cf_cmcc_import_via_authcard(&w->host, attrs, value));
  hexb(W_ATTR_SAMINIT, attrs, 11);
  hexb(W_SAMINIT, value, 16);
  expect_ok(w, cf_cmcc_import_via_authcard(&w->host, attrs, value));
}

uint16_t world_send(world *w, cf_cmcc_role r, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen) {
  uint8_t buf[512];
  size_t got = 0;
  uint16_t sw = 0;
  assert_int_equal(
      cf_transceive_raw(w->t[r], apdu, len, 0, resp ? resp : buf, resp ? 256 : sizeof buf, &got, &sw), 0);
  if (rlen) *rlen = got;
  return sw;
}

uint16_t world_send_hex(world *w, cf_cmcc_role r, const char *hex, uint8_t *resp, size_t *rlen) {
  uint8_t apdu[300];
  long n = cf_hex_decode(hex, apdu, sizeof apdu);
  assert_true(n >= 4);
  return world_send(w, r, apdu, (size_t)n, resp, rlen);
}

void snapshot_take(world *w, cf_cmcc_role r, snapshot *s) {
  memset(s, 0, sizeof *s);
  s->count = cf_store_keys(w->store[r], s->keys, 512);
  assert_true(s->count <= 512);
  for (size_t i = 0; i < s->count; i++) {
    size_t len = 0;
    const uint8_t *p = cf_store_peek(w->store[r], s->keys[i], &len);
    assert_non_null(p);
    s->data[i] = malloc(len ? len : 1);
    s->lens[i] = len;
    memcpy(s->data[i], p, len);
  }
}

bool snapshot_equal(world *w, cf_cmcc_role r, const snapshot *s) {
  snapshot now;
  snapshot_take(w, r, &now);
  bool eq = now.count == s->count;
  for (size_t i = 0; eq && i < s->count; i++)
    eq = now.keys[i] == s->keys[i] && now.lens[i] == s->lens[i] &&
         memcmp(now.data[i], s->data[i], s->lens[i]) == 0;
  snapshot_free(&now);
  return eq;
}

void snapshot_free(snapshot *s) {
  for (size_t i = 0; i < s->count; i++)
    free(s->data[i]);
  s->count = 0;
}
