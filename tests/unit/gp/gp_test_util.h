/* Small helpers shared by the GP unit tests: hex in, hex out, APDU comparison. */
#ifndef GP_TEST_UTIL_H
#define GP_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/apdu.h"
#include "cardforge/hex.h"

/* Decodes hex that the test itself wrote; fails the test if it is not hex. */
static inline size_t hx(const char *hex, uint8_t *out, size_t cap) {
  long n = cf_hex_decode(hex, out, cap);
  assert_true(n >= 0);
  return (size_t)n;
}

/* Asserts that len bytes equal the hex string (printing both on a mismatch). */
static inline void assert_hex(const uint8_t *got, size_t len, const char *hex) {
  uint8_t want[1024];
  size_t n = hx(hex, want, sizeof want);
  char got_hex[2049];
  cf_hex_encode(got, len < 1024 ? len : 1024, got_hex);
  if (n != len || memcmp(want, got, n) != 0) fail_msg("got %s, want %s", got_hex, hex);
}

/* Encodes a command APDU and compares it with hex. */
static inline void assert_apdu_hex(const cf_apdu *a, const char *hex) {
  uint8_t raw[600];
  size_t n = cf_apdu_encode(a, false, raw, sizeof raw);
  assert_true(n > 0);
  assert_hex(raw, n, hex);
}

#endif
