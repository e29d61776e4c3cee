#include "cmcc_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cf_card_profile *find_profile(const char *name) {
  for (size_t i = 0; i < cmcc_profile_count; i++)
    if (strcmp(cmcc_profiles[i]->name, name) == 0) return cmcc_profiles[i];
  return NULL;
}

void tc_open(tcard *t, const char *profile, const char *params) {
  memset(t, 0, sizeof *t);
  assert_int_equal(cf_store_open_memory(&t->store), CF_STORE_OK);
  const cf_card_profile *p = find_profile(profile);
  assert_non_null(p);
  t->card = p->create(t->store, params ? params : "");
  assert_non_null(t->card);
  cf_card_power_on(t->card);
}

void tc_close(tcard *t) {
  cf_card_free(t->card);
  cf_store_close(t->store);
  memset(t, 0, sizeof *t);
}

void tc_reboot(tcard *t, const char *profile, const char *params) {
  cf_card_free(t->card);
  assert_int_equal(cf_store_power_restore(t->store), CF_STORE_OK);
  t->card = find_profile(profile)->create(t->store, params ? params : "");
  assert_non_null(t->card);
  cf_card_power_on(t->card);
}

uint16_t tc_tx_raw(tcard *t, const uint8_t *apdu, size_t len) {
  uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
  size_t n = cf_card_transmit(t->card, apdu, len, resp, sizeof resp);
  assert_true(n >= 2);
  memcpy(t->data, resp, n - 2);
  t->len = n - 2;
  return (uint16_t)(resp[n - 2] << 8 | resp[n - 1]);
}

uint16_t tc_tx(tcard *t, const uint8_t *apdu, size_t len) {
  uint16_t sw = tc_tx_raw(t, apdu, len);
  uint8_t acc[CF_CARD_MAX_RESPONSE];
  size_t n = t->len;
  memcpy(acc, t->data, n);
  while ((sw >> 8) == 0x61) {
    uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, (uint8_t)sw};
    sw = tc_tx_raw(t, gr, 5);
    memcpy(acc + n, t->data, t->len);
    n += t->len;
  }
  memcpy(t->data, acc, n);
  t->len = n;
  return sw;
}

size_t hex2bin(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (const char *p = hex; *p; p++) {
    int v;
    if (*p >= '0' && *p <= '9')
      v = *p - '0';
    else if (*p >= 'a' && *p <= 'f')
      v = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F')
      v = *p - 'A' + 10;
    else
      continue;
    if (hi < 0)
      hi = v;
    else {
      assert_true(n < cap);
      out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  assert_int_equal(hi, -1);
  return n;
}

uint16_t tc_hex(tcard *t, const char *hex) {
  uint8_t apdu[300];
  size_t n = hex2bin(hex, apdu, sizeof apdu);
  return tc_tx(t, apdu, n);
}

uint16_t tc_cmd(tcard *t, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len) {
  uint8_t apdu[5 + 255];
  assert_true(len <= 255);
  apdu[0] = cla, apdu[1] = ins, apdu[2] = p1, apdu[3] = p2;
  if (len == 0) return tc_tx(t, apdu, 4);
  apdu[4] = (uint8_t)len;
  memcpy(apdu + 5, data, len);
  return tc_tx(t, apdu, 5 + len);
}

void tc_expect_data(const tcard *t, const char *hex) {
  uint8_t want[CF_CARD_MAX_RESPONSE];
  size_t n = hex2bin(hex, want, sizeof want);
  assert_int_equal(t->len, n);
  assert_memory_equal(t->data, want, n);
}

void default_key(uint8_t type, uint8_t out[16]) {
  for (int i = 0; i < 16; i++)
    out[i] = (uint8_t)((type << 4) | i);
}

uint16_t tc_verify_pin(tcard *t, uint8_t p2, const char *ascii8) {
  return tc_cmd(t, CMCC_CLA_BASIC, CMCC_INS_VERIFY_PIN, 0, p2, (const uint8_t *)ascii8, 8);
}

void tc_challenge(tcard *t, uint8_t cla, uint8_t out[4]) {
  uint8_t apdu[5] = {cla, 0x84, 0x00, 0x00, 0x04};
  assert_int_equal(tc_tx(t, apdu, 5), 0x9000);
  assert_int_equal(t->len, 4);
  memcpy(out, t->data, 4);
}

uint16_t tc_ext_auth(tcard *t, uint8_t p2, const uint8_t key[16]) {
  uint8_t r[4], auth[8];
  tc_challenge(t, CMCC_CLA_BASIC, r);
  assert_int_equal(cmcc_ext_auth_data(key, r, auth), 0);
  return tc_cmd(t, CMCC_CLA_BASIC, CMCC_INS_EXTERNAL_AUTH, 0, p2, auth, 8);
}

void snap_take(cf_store *s, snapshot *out) {
  memset(out, 0, sizeof *out);
  out->n = cf_store_keys(s, out->keys, 512);
  assert_true(out->n < 512);
  for (size_t i = 0; i < out->n; i++) {
    uint8_t buf[CF_STORE_MAX_RECORD];
    size_t len = 0;
    assert_int_equal(cf_store_get(s, out->keys[i], buf, sizeof buf, &len), CF_STORE_OK);
    out->vals[i] = malloc(len ? len : 1);
    memcpy(out->vals[i], buf, len);
    out->lens[i] = len;
  }
}

void snap_free(snapshot *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->vals[i]);
  memset(s, 0, sizeof *s);
}

void snap_assert_same(cf_store *s, const snapshot *before) {
  snapshot now;
  snap_take(s, &now);
  assert_int_equal(now.n, before->n);
  for (size_t i = 0; i < now.n; i++) {
    assert_int_equal(now.keys[i], before->keys[i]);
    assert_int_equal(now.lens[i], before->lens[i]);
    assert_memory_equal(now.vals[i], before->vals[i], now.lens[i]);
  }
  snap_free(&now);
}
