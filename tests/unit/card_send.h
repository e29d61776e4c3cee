/* One command straight to an in-process card (cf_card_transmit, no transport): the status word
 * returned, the response data copied to out. What the tests of single applications share (loopback,
 * Cash, Ident, NDEF). */
#ifndef CF_TEST_CARD_SEND_H
#define CF_TEST_CARD_SEND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cardforge/card.h"

/* out (may be NULL) must hold CF_CARD_MAX_RESPONSE bytes; data_len (may be NULL) gets their count. */
static inline uint16_t card_send(cf_card *card, const uint8_t *cmd, size_t len, uint8_t *out,
                                 size_t *data_len) {
  static uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
  size_t n = cf_card_transmit(card, cmd, len, resp, sizeof resp);
  assert_true(n >= 2);
  if (out != NULL) memcpy(out, resp, n - 2);
  if (data_len != NULL) *data_len = n - 2;
  return cf_be16(resp + n - 2);
}

#endif
