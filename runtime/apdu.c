/* ISO 7816-4 command APDU parsing and encoding. */
#include <string.h>

#include "cardforge/apdu.h"
#include "cardforge/sw.h"

uint16_t cf_apdu_parse(const uint8_t *raw, size_t len, cf_apdu *out) {
  memset(out, 0, sizeof(*out));
  if (raw == NULL || len < 4) return SW_WRONG_LENGTH;
  out->cla = raw[0];
  out->ins = raw[1];
  out->p1 = raw[2];
  out->p2 = raw[3];
  if (len == 4) return SW_OK; /* case 1 */
  if (len == 5) {             /* case 2 short */
    out->has_le = true;
    out->le = raw[4] ? raw[4] : 256;
    return SW_OK;
  }
  if (raw[4] != 0) { /* case 3 or 4, short */
    size_t lc = raw[4];
    if (len == 5 + lc) {
      out->lc = lc;
      out->data = raw + 5;
      return SW_OK;
    }
    if (len == 6 + lc) {
      out->lc = lc;
      out->data = raw + 5;
      out->has_le = true;
      out->le = raw[5 + lc] ? raw[5 + lc] : 256;
      return SW_OK;
    }
    return SW_WRONG_LENGTH;
  }
  /* raw[4] == 0 and len >= 6: extended length */
  if (len < 7) return SW_WRONG_LENGTH;
  out->extended = true;
  size_t n = cf_be16(raw + 5);
  if (len == 7) { /* case 2 extended */
    out->has_le = true;
    out->le = n ? n : 65536;
    return SW_OK;
  }
  if (n == 0) return SW_WRONG_LENGTH;
  if (len == 7 + n) {
    out->lc = n;
    out->data = raw + 7;
    return SW_OK;
  }
  if (len == 9 + n) {
    size_t le = cf_be16(raw + 7 + n);
    out->lc = n;
    out->data = raw + 7;
    out->has_le = true;
    out->le = le ? le : 65536;
    return SW_OK;
  }
  return SW_WRONG_LENGTH;
}

size_t cf_apdu_encode(const cf_apdu *a, bool force_extended, uint8_t *out, size_t cap) {
  if (a->lc > CF_APDU_MAX_DATA || (a->has_le && a->le > 65536)) return 0;
  bool ext = force_extended || a->lc > 255 || (a->has_le && a->le > 256);
  size_t need = 4 + (a->lc ? (ext ? 3 : 1) + a->lc : 0) + (a->has_le ? (ext ? (a->lc ? 2 : 3) : 1) : 0);
  if (need > cap) return 0;
  size_t n = 0;
  out[n++] = a->cla;
  out[n++] = a->ins;
  out[n++] = a->p1;
  out[n++] = a->p2;
  if (a->lc) {
    if (ext) {
      out[n++] = 0;
      cf_put_be16(out + n, (uint16_t)a->lc);
      n += 2;
    } else {
      out[n++] = (uint8_t)a->lc;
    }
    memcpy(out + n, a->data, a->lc);
    n += a->lc;
  }
  if (a->has_le) {
    if (ext) {
      if (!a->lc) out[n++] = 0;
      cf_put_be16(out + n, (uint16_t)(a->le == 65536 ? 0 : a->le));
      n += 2;
    } else {
      out[n++] = (uint8_t)(a->le == 256 ? 0 : a->le);
    }
  }
  return n;
}

bool cf_rapdu_put(cf_rapdu *r, const void *data, size_t len) {
  if (len > r->cap - r->len) return false;
  if (len) memcpy(r->buf + r->len, data, len);
  r->len += len;
  return true;
}

bool cf_rapdu_put_u8(cf_rapdu *r, uint8_t v) {
  return cf_rapdu_put(r, &v, 1);
}
