/* Hex helpers for the crypto tests: vectors are written as the publications print them. */
#ifndef CF_CRYPTO_TEST_UTIL_H
#define CF_CRYPTO_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static inline int test_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex (spaces allowed) into out; fails the test on malformed text or overflow. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (const char *p = hex; *p; p++) {
    if (*p == ' ') continue;
    int v = test_nibble(*p);
    assert_true(v >= 0);
    if (hi < 0) {
      hi = v;
      continue;
    }
    assert_true(n < cap);
    out[n++] = (uint8_t)(hi << 4 | v);
    hi = -1;
  }
  assert_true(hi < 0);
  return n;
}

/* Asserts that len bytes at got are the bytes the hex text spells. */
static inline void assert_hex(const uint8_t *got, size_t len, const char *hex) {
  uint8_t want[1024];
  size_t n = unhex(hex, want, sizeof want);
  assert_int_equal(n, len);
  assert_memory_equal(got, want, len);
}

#endif
