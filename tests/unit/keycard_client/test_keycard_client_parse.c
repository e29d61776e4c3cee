/* Parsers of Keycard answers and key paths: good answers in the applet's layouts, and malformed
 * ones (truncated, wrong tags, wrong lengths, random bytes) that must fail cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"

/* The A4 template as applet 3.1 builds it (81 length form when a key is loaded). */
static size_t build_info(uint8_t *out, bool with_key, bool with_caps) {
  size_t n = 0, lenpos;
  out[n++] = 0xA4;
  if (with_key) out[n++] = 0x81;
  lenpos = n++;
  out[n++] = 0x8F;
  out[n++] = 16;
  for (int i = 0; i < 16; i++)
    out[n++] = (uint8_t)(0xA0 + i);
  out[n++] = 0x80;
  out[n++] = 65;
  uint8_t priv[32], pub[65];
  memset(priv, 0x33, 32);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  memcpy(out + n, pub, 65);
  n += 65;
  out[n++] = 0x02;
  out[n++] = 2;
  out[n++] = 0x03;
  out[n++] = 0x01;
  out[n++] = 0x02;
  out[n++] = 1;
  out[n++] = 4;
  out[n++] = 0x8E;
  if (with_key) {
    out[n++] = 32;
    for (int i = 0; i < 32; i++)
      out[n++] = (uint8_t)i;
  } else {
    out[n++] = 0;
  }
  if (with_caps) {
    out[n++] = 0x8D;
    out[n++] = 1;
    out[n++] = 0x0F;
  }
  out[lenpos] = (uint8_t)(n - lenpos - 1);
  return n;
}

static void keycard_client_parse_info_forms(void **state) {
  (void)state;
  uint8_t buf[300];
  keycard_client_info info;
  size_t n = build_info(buf, true, true);
  assert_int_equal(keycard_client_parse_info(buf, n, &info), 0);
  assert_true(info.initialized);
  assert_int_equal(info.version, 0x0301);
  assert_int_equal(info.free_slots, 4);
  assert_true(info.has_key);
  assert_int_equal(info.key_uid[31], 31);
  assert_int_equal(info.instance_uid[0], 0xA0);
  assert_int_equal(info.capabilities, 0x0F);
  assert_int_equal(info.sc_pub[0], 0x04);

  n = build_info(buf, false, false); /* no key, applet 2.0 without capabilities */
  assert_int_equal(keycard_client_parse_info(buf, n, &info), 0);
  assert_false(info.has_key);
  assert_int_equal(info.capabilities, 0xFF);

  /* before INIT: 80 41 <public key> */
  uint8_t pre[67] = {0x80, 65};
  build_info(buf, false, true);
  memcpy(pre + 2, buf + 2 + 18 + 2, 65); /* the template's 80 value: after A4 LL and 8F 10 <uid> */
  assert_int_equal(keycard_client_parse_info(pre, sizeof pre, &info), 0);
  assert_false(info.initialized);
  assert_int_equal(info.sc_pub[0], 0x04);
  pre[2] = 0x02; /* not an uncompressed point */
  assert_int_equal(keycard_client_parse_info(pre, sizeof pre, &info), KEYCARD_CLIENT_EPROTO);
  pre[1] = 33;
  assert_int_equal(keycard_client_parse_info(pre, 35, &info), KEYCARD_CLIENT_EPROTO);
}

static void keycard_client_parse_info_malformed(void **state) {
  (void)state;
  uint8_t buf[300], bad[300];
  keycard_client_info info;
  size_t n = build_info(buf, true, true);
  for (size_t len = 0; len < n; len++) /* every truncation */
    assert_int_not_equal(keycard_client_parse_info(buf, len, &info), KEYCARD_CLIENT_OK);
  /* every single-byte corruption either still parses (a value byte) or fails cleanly */
  for (size_t i = 0; i < n; i++) {
    memcpy(bad, buf, n);
    bad[i] ^= 0xFF;
    int rc = keycard_client_parse_info(bad, n, &info);
    assert_true(rc == KEYCARD_CLIENT_OK || rc == KEYCARD_CLIENT_EPROTO);
  }
  const uint8_t wrong_tag[] = {0xA5, 0x02, 0x8F, 0x00};
  assert_int_equal(keycard_client_parse_info(wrong_tag, sizeof wrong_tag, &info), KEYCARD_CLIENT_EPROTO);
  const uint8_t short_uid[] = {0xA4, 0x04, 0x8F, 0x02, 0x01, 0x02};
  assert_int_equal(keycard_client_parse_info(short_uid, sizeof short_uid, &info), KEYCARD_CLIENT_EPROTO);
  assert_int_equal(keycard_client_parse_info(NULL, 0, &info), KEYCARD_CLIENT_EPROTO);
}

static void keycard_client_parse_status_template(void **state) {
  (void)state;
  const uint8_t good[] = {0xA3, 0x09, 0x02, 0x01, 0x03, 0x02, 0x01, 0x05, 0x01, 0x01, 0xFF};
  keycard_client_status st;
  assert_int_equal(keycard_client_parse_status(good, sizeof good, &st), 0);
  assert_int_equal(st.pin_retries, 3);
  assert_int_equal(st.puk_retries, 5);
  assert_true(st.key_initialized);
  for (size_t len = 0; len < sizeof good; len++)
    assert_int_equal(keycard_client_parse_status(good, len, &st), KEYCARD_CLIENT_EPROTO);
  uint8_t bad[sizeof good];
  memcpy(bad, good, sizeof good);
  bad[8] = 0x02; /* the key flag must be a BOOLEAN */
  assert_int_equal(keycard_client_parse_status(bad, sizeof bad, &st), KEYCARD_CLIENT_EPROTO);
}

/* A signature template as the applet sends it: A0 81 LL { 80 41 pub, 30 .. DER } */
static size_t build_sig(const uint8_t priv[32], const uint8_t hash[32], uint8_t *out, int *recid) {
  uint8_t pub[65], sig64[64], der[80];
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  assert_int_equal(cf_ec_sign(priv, hash, sig64, recid), 0);
  size_t dlen = cf_ec_sig_to_der(sig64, der, sizeof der);
  assert_true(dlen > 0);
  size_t n = 0;
  out[n++] = 0xA0;
  out[n++] = 0x81;
  out[n++] = (uint8_t)(67 + dlen);
  out[n++] = 0x80;
  out[n++] = 65;
  memcpy(out + n, pub, 65);
  n += 65;
  memcpy(out + n, der, dlen);
  return n + dlen;
}

static void keycard_client_parse_signature_recid(void **state) {
  (void)state;
  uint8_t priv[32], hash[32], buf[200];
  keycard_client_signature sig;
  for (int round = 0; round < 16; round++) {
    int recid = -1;
    memset(priv, 0x40 + round, 32);
    memset(hash, round, 32);
    size_t n = build_sig(priv, hash, buf, &recid);
    assert_int_equal(keycard_client_parse_signature(hash, buf, n, &sig), 0);
    assert_int_equal(sig.recid, recid);
    uint8_t rec[65];
    assert_int_equal(cf_ec_recover(hash, sig.rs, sig.recid, rec), 0);
    assert_memory_equal(rec, sig.pub, 65);
    /* signed over another hash: no candidate recovers the key */
    hash[0] ^= 1;
    assert_int_equal(keycard_client_parse_signature(hash, buf, n, &sig), KEYCARD_CLIENT_EVERIFY);
  }
}

static void keycard_client_parse_signature_malformed(void **state) {
  (void)state;
  uint8_t priv[32], hash[32], buf[200], bad[200];
  int recid;
  memset(priv, 0x55, 32);
  memset(hash, 0x66, 32);
  size_t n = build_sig(priv, hash, buf, &recid);
  keycard_client_signature sig;
  for (size_t len = 0; len < n; len++)
    assert_int_not_equal(keycard_client_parse_signature(hash, buf, len, &sig), KEYCARD_CLIENT_OK);
  for (size_t i = 0; i < n; i++) {
    memcpy(bad, buf, n);
    bad[i] ^= 0x80;
    int rc = keycard_client_parse_signature(hash, bad, n, &sig);
    assert_true(rc == KEYCARD_CLIENT_EPROTO || rc == KEYCARD_CLIENT_EVERIFY);
  }
  /* an INTEGER longer than 32 bytes */
  uint8_t longint[] = {0xA0, 0x4D, 0x80, 0x41, 0x04};
  assert_int_equal(keycard_client_parse_signature(hash, longint, sizeof longint, &sig),
                   KEYCARD_CLIENT_EPROTO);
}

static void keycard_client_parse_key_templates(void **state) {
  (void)state;
  uint8_t priv[32], pub[65], buf[200];
  memset(priv, 0x21, 32);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  keycard_client_exported key;
  /* public + chain code (EXPORT KEY P2=02) */
  size_t n = 0;
  buf[n++] = 0xA1;
  buf[n++] = 67 + 34;
  buf[n++] = 0x80;
  buf[n++] = 65;
  memcpy(buf + n, pub, 65);
  n += 65;
  buf[n++] = 0x82;
  buf[n++] = 32;
  memset(buf + n, 0x99, 32);
  n += 32;
  assert_int_equal(keycard_client_parse_key_template(buf, n, &key), 0);
  assert_true(key.has_pub && key.has_chain && !key.has_priv);
  assert_memory_equal(key.pub, pub, 65);
  for (size_t len = 0; len < n; len++)
    assert_int_equal(keycard_client_parse_key_template(buf, len, &key), KEYCARD_CLIENT_EPROTO);
  /* private only (applet 3.1 P2=00) */
  const uint8_t head[] = {0xA1, 34, 0x81, 32};
  memcpy(buf, head, 4);
  memcpy(buf + 4, priv, 32);
  assert_int_equal(keycard_client_parse_key_template(buf, 36, &key), 0);
  assert_true(key.has_priv && !key.has_pub);
  /* duplicated or unknown tags, wrong sizes */
  const uint8_t dup[] = {0xA1, 0x06, 0x82, 0x01, 0x00, 0x82, 0x01, 0x00};
  assert_int_equal(keycard_client_parse_key_template(dup, sizeof dup, &key), KEYCARD_CLIENT_EPROTO);
  const uint8_t empty[] = {0xA1, 0x00};
  assert_int_equal(keycard_client_parse_key_template(empty, sizeof empty, &key), KEYCARD_CLIENT_EPROTO);
}

static void keycard_client_parsers_random_input(void **state) {
  (void)state;
  uint8_t buf[256], hash[32] = {0};
  srand(1234);
  for (int round = 0; round < 5000; round++) {
    size_t n = (size_t)(rand() % 256);
    for (size_t i = 0; i < n; i++)
      buf[i] = (uint8_t)rand();
    if (n > 0 && round % 2) buf[0] = (uint8_t)(0xA0 + round % 5); /* reach inside the templates */
    keycard_client_info info;
    keycard_client_status st;
    keycard_client_signature sig;
    keycard_client_exported key;
    int rc = keycard_client_parse_info(buf, n, &info);
    assert_true(rc == KEYCARD_CLIENT_OK || rc == KEYCARD_CLIENT_EPROTO);
    rc = keycard_client_parse_status(buf, n, &st);
    assert_true(rc == KEYCARD_CLIENT_OK || rc == KEYCARD_CLIENT_EPROTO);
    rc = keycard_client_parse_signature(hash, buf, n, &sig);
    assert_true(rc == KEYCARD_CLIENT_EPROTO || rc == KEYCARD_CLIENT_EVERIFY);
    rc = keycard_client_parse_key_template(buf, n, &key);
    assert_true(rc == KEYCARD_CLIENT_OK || rc == KEYCARD_CLIENT_EPROTO);
  }
}

static void keycard_client_key_paths(void **state) {
  (void)state;
  keycard_client_path p;
  char text[200];
  assert_int_equal(keycard_client_parse_path("m/44'/60'/0'/0/7", &p), 0);
  assert_int_equal(p.source, KEYCARD_CLIENT_SOURCE_MASTER);
  assert_int_equal(p.len, 20);
  const uint8_t want[20] = {0x80, 0, 0, 44, 0x80, 0, 0, 60, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  assert_memory_equal(p.data, want, 20);
  assert_int_equal(keycard_client_format_path(p.data, p.len, text, sizeof text), 0);
  assert_string_equal(text, "m/44'/60'/0'/0/7");
  assert_int_equal(keycard_client_parse_path("m", &p), 0);
  assert_int_equal(p.len, 0);
  assert_int_equal(keycard_client_parse_path("../1h", &p), 0);
  assert_int_equal(p.source, KEYCARD_CLIENT_SOURCE_PARENT);
  assert_int_equal(p.data[0], 0x80);
  assert_int_equal(keycard_client_parse_path("./2", &p), 0);
  assert_int_equal(p.source, KEYCARD_CLIENT_SOURCE_CURRENT);
  assert_int_equal(keycard_client_parse_path("3/4", &p), 0);
  assert_int_equal(p.source, KEYCARD_CLIENT_SOURCE_CURRENT);
  assert_int_equal(p.len, 8);
  assert_int_equal(keycard_client_parse_path("m/2147483647'", &p), 0);
  assert_int_equal(p.data[0], 0xFF);
  const char *bad[] = {"",      "m/",  "m//1", "m/2147483648",
                       "m/1''", "x/1", "m/-1", "m/1/2/3/4/5/6/7/8/9/10/11",
                       "m/1a",  "/1",  "...",  "m1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(keycard_client_parse_path(bad[i], &p), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_parse_path("m/1/2/3/4/5/6/7/8/9/10", &p), 0); /* ten levels is the limit */
  assert_int_equal(keycard_client_format_path(want, 3, text, sizeof text), KEYCARD_CLIENT_EARG);
  assert_int_equal(keycard_client_format_path(want, 20, text, 8), KEYCARD_CLIENT_EARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_client_parse_info_forms),
      cmocka_unit_test(keycard_client_parse_info_malformed),
      cmocka_unit_test(keycard_client_parse_status_template),
      cmocka_unit_test(keycard_client_parse_signature_recid),
      cmocka_unit_test(keycard_client_parse_signature_malformed),
      cmocka_unit_test(keycard_client_parse_key_templates),
      cmocka_unit_test(keycard_client_parsers_random_input),
      cmocka_unit_test(keycard_client_key_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
