/* Parsers for Keycard answers (SELECT, GET STATUS, SIGN, EXPORT KEY) and key-path text. Every parser
 * takes untrusted card bytes: it checks each length before reading and fails cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"
#include "cardforge/tlv.h"

#define TAG_SIGNATURE 0xA0
#define TAG_KEY 0xA1
#define TAG_STATUS 0xA3
#define TAG_APP_INFO 0xA4
#define TAG_PUB 0x80
#define TAG_PRIV 0x81
#define TAG_CHAIN 0x82
#define TAG_INT 0x02
#define TAG_BOOL 0x01
#define TAG_UID 0x8F
#define TAG_KEY_UID 0x8E
#define TAG_CAPS 0x8D
#define TAG_DER_SEQ 0x30

const uint8_t keycard_client_aid[9] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x01, 0x01};

/* Reads the next TLV of a sequence and checks its tag. */
static bool next_tag(const uint8_t *buf, size_t len, size_t *pos, uint32_t tag, cf_tlv *out) {
  bool err = false;
  return cf_tlv_next(buf, len, pos, out, &err) && out->tag == tag;
}

/* A BER INTEGER of 1..2 bytes, as the applet writes versions and counters. */
static bool small_int(const cf_tlv *t, unsigned *v) {
  if (t->len < 1 || t->len > 2) return false;
  *v = t->len == 1 ? t->value[0] : (unsigned)cf_be16(t->value);
  return true;
}

static bool pub_key_ok(const cf_tlv *t) {
  return t->len == 65 && t->value[0] == 0x04;
}

int keycard_client_parse_info(const uint8_t *data, size_t len, keycard_client_info *info) {
  memset(info, 0, sizeof *info);
  cf_tlv top, t;
  if (!cf_tlv_read(data, len, &top)) return KEYCARD_CLIENT_EPROTO;
  if (top.tag == TAG_PUB) {
    if (!pub_key_ok(&top)) return KEYCARD_CLIENT_EPROTO;
    memcpy(info->sc_pub, top.value, 65);
    info->capabilities = 0xFF;
    return KEYCARD_CLIENT_OK;
  }
  if (top.tag != TAG_APP_INFO) return KEYCARD_CLIENT_EPROTO;
  const uint8_t *v = top.value;
  size_t vlen = top.len, pos = 0;
  unsigned num;
  if (!next_tag(v, vlen, &pos, TAG_UID, &t) || t.len != KEYCARD_CLIENT_UID_LEN) return KEYCARD_CLIENT_EPROTO;
  memcpy(info->instance_uid, t.value, KEYCARD_CLIENT_UID_LEN);
  if (!next_tag(v, vlen, &pos, TAG_PUB, &t) || !pub_key_ok(&t)) return KEYCARD_CLIENT_EPROTO;
  memcpy(info->sc_pub, t.value, 65);
  if (!next_tag(v, vlen, &pos, TAG_INT, &t) || !small_int(&t, &num)) return KEYCARD_CLIENT_EPROTO;
  info->version = (uint16_t)num;
  if (!next_tag(v, vlen, &pos, TAG_INT, &t) || !small_int(&t, &num) || num > 255)
    return KEYCARD_CLIENT_EPROTO;
  info->free_slots = (uint8_t)num;
  if (!next_tag(v, vlen, &pos, TAG_KEY_UID, &t) || (t.len != 0 && t.len != KEYCARD_CLIENT_KEY_UID_LEN))
    return KEYCARD_CLIENT_EPROTO;
  info->has_key = t.len == KEYCARD_CLIENT_KEY_UID_LEN;
  if (info->has_key) memcpy(info->key_uid, t.value, KEYCARD_CLIENT_KEY_UID_LEN);
  /* Applets before 2.1 have no capabilities tag: they can do everything. */
  info->capabilities = 0xFF;
  if (pos < vlen) {
    if (!next_tag(v, vlen, &pos, TAG_CAPS, &t) || t.len != 1) return KEYCARD_CLIENT_EPROTO;
    info->capabilities = t.value[0];
  }
  info->initialized = true;
  return KEYCARD_CLIENT_OK;
}

int keycard_client_parse_status(const uint8_t *data, size_t len, keycard_client_status *st) {
  memset(st, 0, sizeof *st);
  cf_tlv top, t;
  size_t pos = 0;
  if (!cf_tlv_read(data, len, &top) || top.tag != TAG_STATUS) return KEYCARD_CLIENT_EPROTO;
  if (!next_tag(top.value, top.len, &pos, TAG_INT, &t) || t.len != 1) return KEYCARD_CLIENT_EPROTO;
  st->pin_retries = t.value[0];
  if (!next_tag(top.value, top.len, &pos, TAG_INT, &t) || t.len != 1) return KEYCARD_CLIENT_EPROTO;
  st->puk_retries = t.value[0];
  if (!next_tag(top.value, top.len, &pos, TAG_BOOL, &t) || t.len != 1) return KEYCARD_CLIENT_EPROTO;
  st->key_initialized = t.value[0] != 0;
  return KEYCARD_CLIENT_OK;
}

/* A DER INTEGER holding a positive value of at most 32 bytes, left-padded into out. */
static bool der_uint32(const cf_tlv *t, uint8_t out[32]) {
  const uint8_t *p = t->value;
  size_t n = t->len;
  if (t->tag != TAG_INT || n == 0 || (p[0] & 0x80)) return false;
  while (n > 0 && p[0] == 0) {
    p++;
    n--;
  }
  if (n == 0 || n > 32) return false;
  memset(out, 0, 32 - n);
  memcpy(out + 32 - n, p, n);
  return true;
}

int keycard_client_parse_signature(const uint8_t hash[32], const uint8_t *data, size_t len,
                                   keycard_client_signature *sig) {
  memset(sig, 0, sizeof *sig);
  sig->recid = -1;
  cf_tlv top, t, r, s;
  size_t pos = 0, dpos = 0;
  bool err = false;
  if (!cf_tlv_read(data, len, &top) || top.tag != TAG_SIGNATURE) return KEYCARD_CLIENT_EPROTO;
  if (!next_tag(top.value, top.len, &pos, TAG_PUB, &t) || !pub_key_ok(&t)) return KEYCARD_CLIENT_EPROTO;
  memcpy(sig->pub, t.value, 65);
  if (!next_tag(top.value, top.len, &pos, TAG_DER_SEQ, &t)) return KEYCARD_CLIENT_EPROTO;
  if (!cf_tlv_next(t.value, t.len, &dpos, &r, &err) || !der_uint32(&r, sig->rs)) return KEYCARD_CLIENT_EPROTO;
  if (!cf_tlv_next(t.value, t.len, &dpos, &s, &err) || !der_uint32(&s, sig->rs + 32))
    return KEYCARD_CLIENT_EPROTO;
  if (dpos != t.len) return KEYCARD_CLIENT_EPROTO;
  /* The card does not say which of the (up to four) candidate keys it used: find the one that
   * recovers to the public key it returned. */
  for (int id = 0; id < 4; id++) {
    uint8_t cand[65];
    if (cf_ec_recover(hash, sig->rs, id, cand) == 0 && memcmp(cand, sig->pub, 65) == 0) {
      sig->recid = id;
      return KEYCARD_CLIENT_OK;
    }
  }
  return KEYCARD_CLIENT_EVERIFY;
}

int keycard_client_parse_key_template(const uint8_t *data, size_t len, keycard_client_exported *key) {
  memset(key, 0, sizeof *key);
  cf_tlv top, t;
  size_t pos = 0;
  bool err = false;
  if (!cf_tlv_read(data, len, &top) || top.tag != TAG_KEY) return KEYCARD_CLIENT_EPROTO;
  while (cf_tlv_next(top.value, top.len, &pos, &t, &err)) {
    if (t.tag == TAG_PUB && !key->has_pub) {
      if (cf_ec_pub_normalize(t.value, t.len, key->pub, NULL) != 0) return KEYCARD_CLIENT_EPROTO;
      key->has_pub = true;
    } else if (t.tag == TAG_PRIV && !key->has_priv && t.len == 32) {
      memcpy(key->priv, t.value, 32);
      key->has_priv = true;
    } else if (t.tag == TAG_CHAIN && !key->has_chain && t.len == 32) {
      memcpy(key->chain, t.value, 32);
      key->has_chain = true;
    } else {
      cf_wipe(key, sizeof *key);
      return KEYCARD_CLIENT_EPROTO;
    }
  }
  if (err || pos != top.len || !(key->has_pub || key->has_priv)) {
    cf_wipe(key, sizeof *key);
    return KEYCARD_CLIENT_EPROTO;
  }
  return KEYCARD_CLIENT_OK;
}

int keycard_client_parse_path(const char *text, keycard_client_path *path) {
  memset(path, 0, sizeof *path);
  if (!text || !*text) return KEYCARD_CLIENT_EARG;
  const char *p = text;
  bool need_slash = true; /* after a prefix, every component follows a '/' */
  path->source = KEYCARD_CLIENT_SOURCE_CURRENT;
  if (p[0] == 'm' && (p[1] == 0 || p[1] == '/')) {
    path->source = KEYCARD_CLIENT_SOURCE_MASTER;
    p += 1;
  } else if (strncmp(p, "..", 2) == 0 && (p[2] == 0 || p[2] == '/')) {
    path->source = KEYCARD_CLIENT_SOURCE_PARENT;
    p += 2;
  } else if (p[0] == '.' && (p[1] == 0 || p[1] == '/')) {
    p += 1;
  } else {
    need_slash = false; /* a relative path starts right away with a component */
  }
  while (*p) {
    if (need_slash && *p++ != '/') return KEYCARD_CLIENT_EARG;
    need_slash = true;
    if (*p < '0' || *p > '9') return KEYCARD_CLIENT_EARG;
    unsigned long v = 0;
    while (*p >= '0' && *p <= '9') {
      v = v * 10 + (unsigned long)(*p - '0');
      if (v >= 0x80000000UL) return KEYCARD_CLIENT_EARG;
      p++;
    }
    if (*p == '\'' || *p == 'h' || *p == 'H') {
      v |= 0x80000000UL;
      p++;
    }
    if (path->len / 4 >= KEYCARD_CLIENT_MAX_PATH_DEPTH) return KEYCARD_CLIENT_EARG;
    uint8_t *c = path->data + path->len;
    c[0] = (uint8_t)(v >> 24);
    c[1] = (uint8_t)(v >> 16);
    c[2] = (uint8_t)(v >> 8);
    c[3] = (uint8_t)v;
    path->len += 4;
  }
  return KEYCARD_CLIENT_OK;
}

int keycard_client_format_path(const uint8_t *data, size_t len, char *out, size_t cap) {
  if (len % 4 != 0 || cap < 2) return KEYCARD_CLIENT_EARG;
  size_t n = 0;
  out[n++] = 'm';
  out[n] = 0;
  for (size_t i = 0; i < len; i += 4) {
    uint32_t v =
        (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 | (uint32_t)data[i + 2] << 8 | data[i + 3];
    int w = snprintf(out + n, cap - n, "/%lu%s", (unsigned long)(v & 0x7FFFFFFFUL),
                     (v & 0x80000000UL) ? "'" : "");
    if (w < 0 || (size_t)w >= cap - n) return KEYCARD_CLIENT_EARG;
    n += (size_t)w;
  }
  return KEYCARD_CLIENT_OK;
}

const char *keycard_client_strerror(int rc) {
  switch (rc) {
  case KEYCARD_CLIENT_OK:
    return "ok";
  case KEYCARD_CLIENT_ETRANSPORT:
    return "transport failure";
  case KEYCARD_CLIENT_ECARD:
    return "card refused the command";
  case KEYCARD_CLIENT_EVERIFY:
    return "verification failed";
  case KEYCARD_CLIENT_EPROTO:
    return "malformed card response";
  case KEYCARD_CLIENT_EARG:
    return "invalid argument";
  case KEYCARD_CLIENT_ESTATE:
    return "wrong state";
  default:
    return "internal error";
  }
}
