#include <ctype.h>

#include "cardforge/hex.h"

static int hex_nibble(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

long cf_hex_decode(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  int hi = -1;
  for (const char *p = hex; *p; p++) {
    if (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n') {
      if (hi >= 0) return -1; /* a separator inside a byte */
      continue;
    }
    int v = hex_nibble((unsigned char)*p);
    if (v < 0) return -1;
    if (hi < 0) {
      hi = v;
    } else {
      if (n >= cap) return -1;
      out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  return hi >= 0 ? -1 : (long)n;
}

void cf_hex_encode(const uint8_t *in, size_t len, char *out) {
  static const char digits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * len] = 0;
}
