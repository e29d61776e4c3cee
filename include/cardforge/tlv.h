/* BER-TLV reader and writer with strict bounds (tags up to 3 bytes, lengths up to 0xFFFF). */
#ifndef CARDFORGE_TLV_H
#define CARDFORGE_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

typedef struct cf_tlv {
  uint32_t tag;         /* tag bytes as a big-endian number, e.g. 0x5F20, 0x9F7F */
  const uint8_t *value; /* points into the parsed buffer */
  size_t len;
  size_t total; /* header + value bytes */
} cf_tlv;

/* Reads one TLV at buf[0..len). Returns false if malformed or truncated. */
bool cf_tlv_read(const uint8_t *buf, size_t len, cf_tlv *out);

/* Iterates over consecutive TLVs: *pos advances; returns false at end or on a malformed item
 * (then *err is set true). */
bool cf_tlv_next(const uint8_t *buf, size_t len, size_t *pos, cf_tlv *out, bool *err);

/* Finds the first TLV with tag among consecutive TLVs of buf (one level only). */
bool cf_tlv_find(const uint8_t *buf, size_t len, uint32_t tag, cf_tlv *out);

/* Writer: appends tag/len/value. Returns false on overflow (writer is then marked failed). */
typedef struct cf_tlv_writer {
  uint8_t *buf;
  size_t len;
  size_t cap;
  bool failed;
} cf_tlv_writer;

bool cf_tlv_put(cf_tlv_writer *w, uint32_t tag, const void *value, size_t len);
/* Opens a constructed TLV; returns a mark to close it with. Lengths up to 0xFFFF. */
size_t cf_tlv_open(cf_tlv_writer *w, uint32_t tag);
bool cf_tlv_close(cf_tlv_writer *w, size_t mark);
size_t cf_tlv_len_size(size_t len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
