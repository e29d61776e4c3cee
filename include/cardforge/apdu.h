/* ISO 7816-4 command/response APDU codec: cases 1-4, short and extended. */
#ifndef CARDFORGE_APDU_H
#define CARDFORGE_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

#define CF_APDU_MAX_DATA 65535
#define CF_APDU_MAX_RESP 65536

typedef struct cf_apdu {
  uint8_t cla, ins, p1, p2;
  const uint8_t *data; /* points into the caller's buffer; NULL when lc == 0 */
  size_t lc;           /* Nc */
  size_t le;           /* Ne: 0 when absent, 256 / 65536 when coded as 00 / 0000 */
  bool has_le;
  bool extended;
} cf_apdu;

/* Parses a raw command APDU. Returns SW_OK (9000) on success, or the status word to answer
 * (SW_WRONG_LENGTH) when the encoding is inconsistent. */
uint16_t cf_apdu_parse(const uint8_t *raw, size_t len, cf_apdu *out);

/* Encodes a command APDU (short form when it fits, extended otherwise unless
 * force_extended). Returns the encoded length or 0 if cap is too small. */
size_t cf_apdu_encode(const cf_apdu *a, bool force_extended, uint8_t *out, size_t cap);

/* The response an application builds: data written into buf (capacity cap),
 * len grows as it writes. The status word is the applet's return value. */
typedef struct cf_rapdu {
  uint8_t *buf;
  size_t len;
  size_t cap;
  /* The data also goes out with an error status word (an SCP02 R-MAC protects every response);
   * otherwise the runtime drops data on errors. The store is rolled back on errors either way. */
  bool keep_on_error;
} cf_rapdu;

/* Appends bytes to a response; returns false (and leaves it unchanged) on overflow. */
bool cf_rapdu_put(cf_rapdu *r, const void *data, size_t len);
bool cf_rapdu_put_u8(cf_rapdu *r, uint8_t v);

static inline uint16_t cf_be16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline void cf_put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
