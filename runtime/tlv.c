/* BER-TLV with strict bounds: every length is checked against the enclosing buffer. */
#include <string.h>

#include "cardforge/tlv.h"

bool cf_tlv_read(const uint8_t *buf, size_t len, cf_tlv *out) {
  size_t i = 0;
  if (len < 2) return false;
  uint32_t tag = buf[i++];
  if ((tag & 0x1F) == 0x1F) { /* multi-byte tag: at most two more bytes */
    for (int k = 0;; k++) {
      if (k == 2 || i >= len) return false;
      uint8_t b = buf[i++];
      tag = (tag << 8) | b;
      if (!(b & 0x80)) break;
    }
  }
  if (i >= len) return false;
  size_t vlen = buf[i++];
  if (vlen == 0x81) {
    if (i + 1 > len) return false;
    vlen = buf[i++];
  } else if (vlen == 0x82) {
    if (i + 2 > len) return false;
    vlen = (size_t)buf[i] << 8 | buf[i + 1];
    i += 2;
  } else if (vlen > 0x80) {
    return false;
  } else if (vlen == 0x80) {
    return false; /* indefinite length is not used by any card here */
  }
  if (vlen > len - i) return false;
  out->tag = tag;
  out->value = buf + i;
  out->len = vlen;
  out->total = i + vlen;
  return true;
}

bool cf_tlv_next(const uint8_t *buf, size_t len, size_t *pos, cf_tlv *out, bool *err) {
  if (err) *err = false;
  if (*pos >= len) return false;
  if (!cf_tlv_read(buf + *pos, len - *pos, out)) {
    if (err) *err = true;
    return false;
  }
  *pos += out->total;
  return true;
}

bool cf_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, cf_tlv *out) {
  size_t pos = 0;
  cf_tlv t;
  while (cf_tlv_next(buf, len, &pos, &t, NULL)) {
    if (t.tag == tag) {
      *out = t;
      return true;
    }
  }
  return false;
}

size_t cf_tlv_len_size(size_t len) {
  return len < 0x80 ? 1 : len <= 0xFF ? 2 : 3;
}

static size_t tag_size(uint32_t tag) {
  return tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1;
}

static bool put_header(cf_tlv_writer *w, uint32_t tag, size_t len) {
  size_t ts = tag_size(tag), ls = cf_tlv_len_size(len);
  if (w->failed || len > 0xFFFF || ts + ls > w->cap - w->len) return w->failed = true, false;
  for (size_t k = ts; k-- > 0;)
    w->buf[w->len++] = (uint8_t)(tag >> (8 * k));
  if (ls == 2) w->buf[w->len++] = 0x81;
  if (ls == 3) {
    w->buf[w->len++] = 0x82;
    w->buf[w->len++] = (uint8_t)(len >> 8);
  }
  w->buf[w->len++] = (uint8_t)len;
  return true;
}

bool cf_tlv_put(cf_tlv_writer *w, uint32_t tag, const void *value, size_t len) {
  size_t mark = w->len;
  if (!put_header(w, tag, len)) return false;
  if (len > w->cap - w->len) {
    w->len = mark;
    return w->failed = true, false;
  }
  if (len) memcpy(w->buf + w->len, value, len);
  w->len += len;
  return true;
}

/* A constructed TLV is opened with a 3-byte length field reserved, then shrunk at close. */
size_t cf_tlv_open(cf_tlv_writer *w, uint32_t tag) {
  size_t mark = w->len;
  if (!put_header(w, tag, 0x100)) return mark;
  return mark;
}

bool cf_tlv_close(cf_tlv_writer *w, size_t mark) {
  if (w->failed) return false;
  uint32_t first = w->buf[mark];
  size_t ts = 1;
  if ((first & 0x1F) == 0x1F) {
    ts++;
    if (w->buf[mark + 1] & 0x80) ts++;
  }
  size_t start = mark + ts + 3; /* where the value begins with the reserved length */
  size_t vlen = w->len - start;
  if (vlen > 0xFFFF) return w->failed = true, false;
  size_t ls = cf_tlv_len_size(vlen);
  size_t hdr = mark + ts;
  if (ls != 3) memmove(w->buf + hdr + ls, w->buf + start, vlen);
  if (ls == 1) {
    w->buf[hdr] = (uint8_t)vlen;
  } else if (ls == 2) {
    w->buf[hdr] = 0x81;
    w->buf[hdr + 1] = (uint8_t)vlen;
  } else {
    w->buf[hdr] = 0x82;
    w->buf[hdr + 1] = (uint8_t)(vlen >> 8);
    w->buf[hdr + 2] = (uint8_t)vlen;
  }
  w->len = hdr + ls + vlen;
  return true;
}
