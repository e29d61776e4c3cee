/* See kc_host.h. Written from the protocol description in docs/keycard.md, not from the card. */
#include "kc_host.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard.h"

const uint8_t *kch_test_secret(void) {
  static uint8_t secret[32];
  static bool done;
  if (!done) {
    assert_int_equal(cf_pbkdf2_sha256("KeycardTest", 11, KEYCARD_PAIRING_SALT, strlen(KEYCARD_PAIRING_SALT),
                                      KEYCARD_PAIRING_ITERATIONS, secret, 32),
                     0);
    done = true;
  }
  return secret;
}

size_t kch_hex(const char *hex, uint8_t *out, size_t cap) {
  long n = cf_hex_decode(hex, out, cap);
  assert_true(n >= 0);
  return (size_t)n;
}

void kch_new(kch *h, const char *params) {
  memset(h, 0, sizeof *h);
  assert_int_equal(cf_store_open_memory(&h->store), CF_STORE_OK);
  h->card = keycard_profile.create(h->store, params ? params : "");
  assert_non_null(h->card);
  cf_card_power_on(h->card);
}

void kch_free(kch *h) {
  cf_card_free(h->card);
  cf_store_close(h->store);
  memset(h, 0, sizeof *h);
}

void kch_reset(kch *h) {
  cf_card_power_on(h->card);
  h->sc = false;
}

uint16_t kch_send(kch *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len) {
  uint8_t apdu[5 + 255 + 1];
  assert_true(len <= 255);
  size_t n = 0;
  apdu[n++] = cla, apdu[n++] = ins, apdu[n++] = p1, apdu[n++] = p2;
  if (len) {
    apdu[n++] = (uint8_t)len;
    memcpy(apdu + n, data, len);
    n += len;
  }
  apdu[n++] = 0x00; /* Le = 256: whatever comes */
  uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
  size_t rlen = cf_card_transmit(h->card, apdu, n, resp, sizeof resp);
  assert_true(rlen >= 2 && rlen - 2 <= sizeof h->data);
  h->len = rlen - 2;
  memcpy(h->data, resp, h->len);
  h->sw = h->outer_sw = (uint16_t)((resp[rlen - 2] << 8) | resp[rlen - 1]);
  return h->sw;
}

uint16_t kch_select(kch *h) {
  uint16_t sw = kch_send(h, 0x00, 0xA4, 0x04, 0x00, keycard_aid, KEYCARD_AID_LEN);
  h->sc = false;
  if (sw != 0x9000) return sw;
  memcpy(h->select, h->data, h->len);
  h->select_len = h->len;
  if (h->len == 67 && h->data[0] == 0x80 && h->data[1] == 65) {
    h->initialized = false;
    memcpy(h->card_pub, h->data + 2, 65);
    return sw;
  }
  /* A4 [81] L 8F 10 uid 80 41 pub ... */
  size_t off = h->data[1] == 0x81 ? 3 : 2;
  assert_int_equal(h->data[0], 0xA4);
  assert_int_equal(h->data[off], 0x8F);
  off += 2 + h->data[off + 1];
  assert_int_equal(h->data[off], 0x80);
  assert_int_equal(h->data[off + 1], 65);
  memcpy(h->card_pub, h->data + off + 2, 65);
  h->initialized = true;
  return sw;
}

uint16_t kch_one_shot(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *plain, size_t len) {
  uint8_t eph[32], eph_pub[65], secret[32];
  assert_int_equal(cf_ec_keygen(eph, eph_pub), 0);
  assert_int_equal(cf_ec_ecdh_x(eph, h->card_pub, 65, secret), 0);
  uint8_t buf[256];
  size_t n = 0;
  buf[n++] = 65;
  memcpy(buf + n, eph_pub, 65);
  n += 65;
  assert_int_equal(cf_rand(buf + n, 16), 0);
  const uint8_t *iv = buf + n;
  n += 16;
  uint8_t pt[256];
  memcpy(pt, plain, len);
  size_t ct_len = cf_pad_iso9797_m2(pt, len, 16, sizeof pt);
  assert_true(ct_len > 0 && n + ct_len <= 255);
  assert_int_equal(cf_aes_cbc_encrypt(secret, 32, iv, pt, buf + n, ct_len), 0);
  n += ct_len;
  return kch_send(h, 0x80, ins, p1, p2, buf, n);
}

uint16_t kch_init(kch *h, const char *pin, const char *puk, const uint8_t secret[32], const uint8_t *extra,
                  size_t extra_len) {
  uint8_t pt[128];
  size_t n = 0;
  memcpy(pt + n, pin, strlen(pin)), n += strlen(pin);
  memcpy(pt + n, puk, strlen(puk)), n += strlen(puk);
  memcpy(pt + n, secret, 32), n += 32;
  if (extra_len) memcpy(pt + n, extra, extra_len), n += extra_len;
  return kch_one_shot(h, 0xFE, 0x00, 0x00, pt, n);
}

uint16_t kch_pair(kch *h, const uint8_t secret[32]) {
  return kch_pair_p2(h, secret, 0x00);
}

uint16_t kch_pair_p2(kch *h, const uint8_t secret[32], uint8_t mode) {
  uint8_t challenge[32], expect[32];
  assert_int_equal(cf_rand(challenge, 32), 0);
  uint16_t sw = kch_send(h, 0x80, 0x12, 0x00, mode, challenge, 32);
  if (sw != 0x9000) return sw;
  if (h->len != 64) return KCH_BAD;
  cf_iov p1[2] = {{secret, 32}, {challenge, 32}};
  assert_int_equal(cf_sha256_v(p1, 2, expect), 0);
  if (memcmp(expect, h->data, 32) != 0) return KCH_BAD; /* the card does not know the secret */
  uint8_t card_challenge[32], cryptogram[32];
  memcpy(card_challenge, h->data + 32, 32);
  cf_iov p2[2] = {{secret, 32}, {card_challenge, 32}};
  assert_int_equal(cf_sha256_v(p2, 2, cryptogram), 0);
  sw = kch_send(h, 0x80, 0x12, 0x01, 0x00, cryptogram, 32);
  if (sw != 0x9000) return sw;
  if (h->len != 33) return KCH_BAD;
  h->pairing_index = h->data[0];
  cf_iov p3[2] = {{secret, 32}, {h->data + 1, 32}};
  assert_int_equal(cf_sha256_v(p3, 2, h->pairing_key), 0);
  return sw;
}

static uint16_t kch_cmd_internal(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len,
                                 bool bad_mac, bool not_unwrapped) {
  uint8_t pt[256], apdu_data[256], head[16] = {0};
  assert_true(len <= 223);
  if (len) memcpy(pt, data, len);
  size_t ct_len = cf_pad_iso9797_m2(pt, len, 16, sizeof pt);
  assert_true(ct_len > 0 && 16 + ct_len <= 255);
  assert_int_equal(cf_aes_cbc_encrypt(h->enc, 32, h->iv, pt, apdu_data + 16, ct_len), 0);
  head[0] = 0x80, head[1] = ins, head[2] = p1, head[3] = p2, head[4] = (uint8_t)(16 + ct_len);
  uint8_t macbuf[16 + 256];
  memcpy(macbuf, head, 16);
  memcpy(macbuf + 16, apdu_data + 16, ct_len);
  assert_int_equal(cf_aes_cbc_mac(h->mac, 32, NULL, macbuf, 16 + ct_len, apdu_data), 0);
  uint8_t prev_iv[16];
  memcpy(prev_iv, h->iv, 16);
  memcpy(h->iv, apdu_data, 16);
  if (bad_mac) apdu_data[3] ^= 0x01;
  uint16_t sw = kch_send(h, 0x80, ins, p1, p2, apdu_data, 16 + ct_len);
  if (sw != 0x9000 || h->len == 0) {
    if (sw == 0x6982) h->sc = false;
    return sw; /* plain answer */
  }
  if (h->len < 32 || (h->len - 16) % 16 != 0) return KCH_BAD;
  size_t rct = h->len - 16;
  uint8_t rhead[16] = {(uint8_t)(rct + 16)}, rmac[16];
  memcpy(macbuf, rhead, 16);
  memcpy(macbuf + 16, h->data + 16, rct);
  assert_int_equal(cf_aes_cbc_mac(h->mac, 32, NULL, macbuf, 16 + rct, rmac), 0);
  if (memcmp(rmac, h->data, 16) != 0) return KCH_BAD;
  uint8_t rpt[256];
  /* a card that answers before unwrapping the command has not taken its MAC as the IV */
  assert_int_equal(cf_aes_cbc_decrypt(h->enc, 32, not_unwrapped ? prev_iv : h->iv, h->data + 16, rpt, rct),
                   0);
  memcpy(h->iv, rmac, 16);
  long n = cf_unpad_iso9797_m2(rpt, rct);
  if (n < 2) return KCH_BAD;
  h->len = (size_t)n - 2;
  memcpy(h->data, rpt, h->len);
  h->sw = (uint16_t)((rpt[n - 2] << 8) | rpt[n - 1]);
  return h->sw;
}

uint16_t kch_cmd(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len) {
  return kch_cmd_internal(h, ins, p1, p2, data, len, false, false);
}

uint16_t kch_cmd_not_unwrapped(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len) {
  return kch_cmd_internal(h, ins, p1, p2, data, len, false, true);
}

uint16_t kch_cmd_bad_mac(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len) {
  return kch_cmd_internal(h, ins, p1, p2, data, len, true, false);
}

uint16_t kch_open(kch *h) {
  uint8_t eph[32], eph_pub[65], secret[32];
  assert_int_equal(cf_ec_keygen(eph, eph_pub), 0);
  assert_int_equal(cf_ec_ecdh_x(eph, h->card_pub, 65, secret), 0);
  uint16_t sw = kch_send(h, 0x80, 0x10, h->pairing_index, 0x00, eph_pub, 65);
  if (sw != 0x9000) return sw;
  if (h->len != 48) return KCH_BAD;
  uint8_t keys[64];
  cf_iov parts[3] = {{secret, 32}, {h->pairing_key, 32}, {h->data, 32}};
  assert_int_equal(cf_sha512_v(parts, 3, keys), 0);
  memcpy(h->enc, keys, 32);
  memcpy(h->mac, keys + 32, 32);
  memcpy(h->iv, h->data + 32, 16);
  h->sc = true;
  uint8_t challenge[32];
  assert_int_equal(cf_rand(challenge, 32), 0);
  sw = kch_cmd(h, 0x11, 0x00, 0x00, challenge, 32);
  if (sw == 0x9000 && h->len != 32) return KCH_BAD;
  return sw;
}

void kch_ready(kch *h, const char *params) {
  kch_new(h, params);
  assert_int_equal(kch_select(h), 0x9000);
  assert_int_equal(kch_init(h, KCH_PIN, KCH_PUK, kch_test_secret(), NULL, 0), 0x9000);
  assert_int_equal(kch_select(h), 0x9000);
  assert_true(h->initialized);
  assert_int_equal(kch_pair(h, kch_test_secret()), 0x9000);
  assert_int_equal(kch_open(h), 0x9000);
}

void kch_ready_pin(kch *h, const char *params) {
  kch_ready(h, params);
  assert_int_equal(kch_cmd(h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
}

void kch_reopen(kch *h) {
  assert_int_equal(kch_select(h), 0x9000);
  assert_int_equal(kch_open(h), 0x9000);
}

void kch_status(kch *h, int *pin, int *puk, bool *key) {
  assert_int_equal(kch_cmd(h, 0xF2, 0x00, 0x00, NULL, 0), 0x9000);
  assert_int_equal(h->len, 11);
  assert_int_equal(h->data[0], 0xA3);
  assert_int_equal(h->data[1], 9);
  if (pin) *pin = h->data[4];
  if (puk) *puk = h->data[7];
  if (key) *key = h->data[10] == 0xFF;
}

void kch_snapshot(kch *h, uint8_t out[32]) {
  uint32_t keys[256];
  size_t n = cf_store_keys(h->store, keys, 256);
  assert_true(n < 256);
  uint8_t acc[32] = {0};
  for (size_t i = 0; i < n; i++) {
    size_t len = 0;
    const uint8_t *p = cf_store_peek(h->store, keys[i], &len);
    uint8_t k[4] = {(uint8_t)(keys[i] >> 24), (uint8_t)(keys[i] >> 16), (uint8_t)(keys[i] >> 8),
                    (uint8_t)keys[i]};
    cf_iov parts[3] = {{acc, 32}, {k, 4}, {p ? p : (const uint8_t *)"", len}};
    assert_int_equal(cf_sha256_v(parts, 3, acc), 0);
  }
  memcpy(out, acc, 32);
}
