/* One logical exchange: the command, then as many GET RESPONSE (61XX) or resends with the right Le
 * (6CXX) as the card asks for, so callers see the complete response data and the final SW. */
#include <stdlib.h>
#include <string.h>

#include "apdu_ok.h"
#include "cardforge/transport.h"

/* Largest encoded command: extended case 4 (4 + 3 + 65535 + 2). */
#define TX_CMD_MAX (4 + 3 + CF_APDU_MAX_DATA + 2)
#define TX_RESP_MAX (CF_APDU_MAX_RESP + 2)
/* 64 KiB in 256-byte GET RESPONSE pieces, plus the command and a few 6CXX resends. */
#define TX_MAX_ROUNDS 270
#define TX_MAX_WRONG_LE 3

typedef struct tx_state {
  uint8_t cmd[TX_CMD_MAX];
  uint8_t alt[TX_CMD_MAX];
  uint8_t resp[TX_RESP_MAX];
} tx_state;

/* Re-encodes cmd with Le = le (1..256), keeping short or extended form. Returns the new length
 * or 0 if cmd cannot be parsed. */
static size_t with_le(const uint8_t *cmd, size_t len, size_t le, uint8_t *out, size_t cap) {
  cf_apdu a;
  if (!cf_host_parse_apdu(cmd, len, &a)) return 0;
  a.le = le;
  a.has_le = true;
  return cf_apdu_encode(&a, a.extended, out, cap);
}

static int tx_fail(cf_transport *t, size_t *rlen, uint16_t *sw, const char *why) {
  if (why != NULL) snprintf(t->err, sizeof t->err, "%s", why);
  if (t->fault == CF_TRANSPORT_FAULT_NONE) t->fault = CF_TRANSPORT_FAULT_IO;
  if (rlen != NULL) *rlen = 0;
  if (sw != NULL) *sw = 0;
  return -1;
}

int cf_transceive_raw(cf_transport *t, const uint8_t *cmd, size_t len, unsigned flags, uint8_t *resp,
                      size_t cap, size_t *rlen, uint16_t *sw) {
  if (t == NULL) return -1;
  t->fault = CF_TRANSPORT_FAULT_NONE;
  if (cmd == NULL || len < 4 || len > TX_CMD_MAX) return tx_fail(t, rlen, sw, "invalid command APDU length");
  if (t->max_command != 0 && len > t->max_command) {
    /* refused before sending: past the reader's frame the APDU would be cut or the card dropped */
    snprintf(t->err, sizeof t->err, "%s: a %zu-byte command is longer than this reader carries (%zu bytes)",
             t->name, len, t->max_command);
    return tx_fail(t, rlen, sw, NULL);
  }
  /* decided before sending: a command that fails half-way may still have changed the card */
  if (!cf_transport_command_is_plain_read(cmd, len)) t->secured = true;
  tx_state *st = malloc(sizeof *st);
  if (st == NULL) return tx_fail(t, rlen, sw, "out of memory");
  memcpy(st->cmd, cmd, len);
  size_t cur_len = len, total = 0;
  bool cur_secret = (flags & CF_TX_SECRET_CMD) != 0;
  bool follow = (flags & CF_TX_RAW) == 0;
  int wrong_le = 0;
  for (int round = 0;; round++) {
    if (round == TX_MAX_ROUNDS) {
      free(st);
      return tx_fail(t, rlen, sw, "card kept asking for more exchanges (GET RESPONSE loop)");
    }
    cf_trace_apdu(t->trace, true, st->cmd, cur_len, cur_secret);
    size_t n = 0;
    t->err[0] = '\0';
    if (t->ops->exchange(t, st->cmd, cur_len, st->resp, sizeof st->resp, &n) != 0) {
      free(st);
      return tx_fail(t, rlen, sw, t->err[0] ? NULL : "exchange failed");
    }
    if (n < 2 || n > sizeof st->resp) {
      free(st);
      return tx_fail(t, rlen, sw, "card answered without a status word");
    }
    cf_trace_apdu(t->trace, false, st->resp, n, (flags & CF_TX_SECRET_RESP) != 0);
    uint8_t sw1 = st->resp[n - 2], sw2 = st->resp[n - 1];
    if (follow && sw1 == 0x6C && wrong_le < TX_MAX_WRONG_LE) {
      size_t alt_len = with_le(st->cmd, cur_len, sw2 == 0 ? 256 : sw2, st->alt, sizeof st->alt);
      if (alt_len > 0) {
        wrong_le++;
        memcpy(st->cmd, st->alt, alt_len);
        cur_len = alt_len;
        continue;
      }
    }
    size_t dlen = n - 2;
    if (dlen > 0) {
      if (resp == NULL || dlen > cap - total) {
        free(st);
        return tx_fail(t, rlen, sw, "response data larger than the buffer given for it");
      }
      memcpy(resp + total, st->resp, dlen);
      total += dlen;
    }
    if (follow && sw1 == 0x61) {
      const uint8_t get_response[5] = {0x00, 0xC0, 0x00, 0x00, sw2};
      memcpy(st->cmd, get_response, sizeof get_response);
      cur_len = sizeof get_response;
      cur_secret = false;
      wrong_le = 0;
      continue;
    }
    free(st);
    if (rlen != NULL) *rlen = total;
    if (sw != NULL) *sw = (uint16_t)((sw1 << 8) | sw2);
    return 0;
  }
}

int cf_transceive(cf_transport *t, const cf_apdu *cmd, unsigned flags, uint8_t *resp, size_t cap,
                  size_t *rlen, uint16_t *sw) {
  if (t == NULL) return -1;
  uint8_t *buf = malloc(TX_CMD_MAX);
  if (buf == NULL) return tx_fail(t, rlen, sw, "out of memory");
  size_t len = cf_apdu_encode(cmd, false, buf, TX_CMD_MAX);
  int rc;
  if (len == 0)
    rc = tx_fail(t, rlen, sw, "command APDU cannot be encoded (data too long?)");
  else
    rc = cf_transceive_raw(t, buf, len, flags, resp, cap, rlen, sw);
  free(buf);
  return rc;
}

void cf_transport_close(cf_transport *t) {
  if (t == NULL) return;
  if (t->ops != NULL && t->ops->close != NULL) t->ops->close(t);
  free(t);
}
