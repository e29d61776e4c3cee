/* Builds CAP files for the tests: a load file data block with a Header component (package AID),
 * an Applet component (applet AIDs) and a Method component of filler bytes, and a ZIP around its
 * components (PKWARE APPNOTE.TXT 4.3: local headers, central directory, end record), each entry
 * stored or deflated (zlib, raw). */
#ifndef GP_CAP_BUILDER_H
#define GP_CAP_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "gp_test_util.h"

typedef struct cap_part {
  const char *name; /* "Header", "Applet", ... */
  uint8_t bytes[512];
  size_t len;
} cap_part;

/* Header component: tag 01, size, DECAFFED, CAP 2.2 (minor 02 major 02), flags 04 (applets),
 * package 1.0, AID. */
static inline size_t cap_header(const char *package_hex, uint8_t *out) {
  uint8_t aid[16];
  size_t n = hx(package_hex, aid, sizeof aid);
  size_t size = 10 + n;
  uint8_t head[] = {0x01, 0x00, (uint8_t)size, 0xDE, 0xCA, 0xFF,      0xED,
                    0x02, 0x02, 0x04,          0x00, 0x01, (uint8_t)n};
  memcpy(out, head, sizeof head);
  memcpy(out + sizeof head, aid, n);
  return sizeof head + n;
}

/* Applet component: tag 03, size, count, per applet AID length, AID, install method offset. */
static inline size_t cap_applets(const char *const *applet_hex, size_t count, uint8_t *out) {
  size_t pos = 4;
  out[0] = 0x03;
  out[3] = (uint8_t)count;
  for (size_t i = 0; i < count; i++) {
    size_t n = hx(applet_hex[i], out + pos + 1, 16);
    out[pos] = (uint8_t)n;
    out[pos + 1 + n] = 0x00;
    out[pos + 2 + n] = (uint8_t)(0x10 + i);
    pos += 3 + n;
  }
  out[1] = (uint8_t)((pos - 3) >> 8);
  out[2] = (uint8_t)(pos - 3);
  return pos;
}

/* Method component of n filler bytes. */
static inline size_t cap_method(size_t n, uint8_t *out) {
  out[0] = 0x07;
  out[1] = (uint8_t)(n >> 8);
  out[2] = (uint8_t)n;
  for (size_t i = 0; i < n; i++)
    out[3 + i] = (uint8_t)(i * 7 + 1);
  return 3 + n;
}

static inline void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static inline void put32(uint8_t *p, unsigned long v) {
  put16(p, (unsigned)(v & 0xFFFF)), put16(p + 2, (unsigned)(v >> 16));
}

/* A ZIP of the parts as <dir>/javacard/<name>.cap, in the order given; deflated chooses method 8.
 * Returns its length in out. */
static inline size_t cap_zip(const char *dir, const cap_part *parts, size_t count, int deflated, uint8_t *out,
                             size_t cap) {
  size_t pos = 0, cd_len = 0;
  uint8_t cd[4096];
  for (size_t i = 0; i < count; i++) {
    char name[128];
    int nl = snprintf(name, sizeof name, "%s/javacard/%s.cap", dir, parts[i].name);
    uint8_t packed[1024];
    size_t plen = parts[i].len;
    unsigned long crc = crc32(0L, parts[i].bytes, (uInt)parts[i].len);
    if (deflated) {
      z_stream zs = {0};
      assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
      zs.next_in = (Bytef *)(uintptr_t)parts[i].bytes;
      zs.avail_in = (uInt)parts[i].len;
      zs.next_out = packed;
      zs.avail_out = sizeof packed;
      assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
      plen = zs.total_out;
      deflateEnd(&zs);
    } else {
      memcpy(packed, parts[i].bytes, plen);
    }
    assert_true(pos + 30 + (size_t)nl + plen < cap);
    uint8_t *lh = out + pos;
    memset(lh, 0, 30);
    put32(lh, 0x04034b50), put16(lh + 4, 20), put16(lh + 8, deflated ? 8 : 0);
    put32(lh + 14, crc), put32(lh + 18, plen), put32(lh + 22, parts[i].len), put16(lh + 26, (unsigned)nl);
    memcpy(lh + 30, name, (size_t)nl);
    memcpy(lh + 30 + nl, packed, plen);
    uint8_t *c = cd + cd_len;
    memset(c, 0, 46);
    put32(c, 0x02014b50), put16(c + 4, 20), put16(c + 6, 20), put16(c + 10, deflated ? 8 : 0);
    put32(c + 16, crc), put32(c + 20, plen), put32(c + 24, parts[i].len), put16(c + 28, (unsigned)nl);
    put32(c + 42, pos);
    memcpy(c + 46, name, (size_t)nl);
    cd_len += 46 + (size_t)nl;
    pos += 30 + (size_t)nl + plen;
  }
  assert_true(pos + cd_len + 22 < cap);
  memcpy(out + pos, cd, cd_len);
  uint8_t *e = out + pos + cd_len;
  memset(e, 0, 22);
  put32(e, 0x06054b50), put16(e + 8, (unsigned)count), put16(e + 10, (unsigned)count);
  put32(e + 12, cd_len), put32(e + 16, pos);
  return pos + cd_len + 22;
}

#endif
