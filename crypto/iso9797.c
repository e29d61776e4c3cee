/* ISO/IEC 9797-1 padding method 2 and the CBC-MAC family built on it (MAC algorithms 1 and 3,
 * AES CBC-MAC). The block ciphers come from block_cipher.c's OpenSSL contexts. */
#include "crypto_internal.h"

#include <cardforge/crypto.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

size_t cf_pad_iso9797_m2(uint8_t *buf, size_t len, size_t block, size_t cap) {
  if (!buf || block == 0 || len > SIZE_MAX - block) return 0;
  size_t padded = len + block - len % block;
  if (padded > cap) return 0;
  buf[len] = 0x80;
  memset(buf + len + 1, 0, padded - len - 1);
  return padded;
}

/* 1 if x (a byte value) is zero, else 0, without a branch. */
static uint32_t byte_is_zero(uint32_t x) {
  return ((x - 1) >> 31) & 1;
}

long cf_unpad_iso9797_m2(const uint8_t *buf, size_t len) {
  if (!buf || len == 0 || len > (size_t)LONG_MAX) return -1;
  /* Scans the whole buffer with the same work whatever the data, so that a card answering
   * "bad padding" faster or slower tells an attacker nothing about the plaintext. */
  uint32_t found = 0, bad = 0;
  size_t marker = 0;
  for (size_t i = len; i-- > 0;) {
    uint32_t b = buf[i];
    uint32_t searching = found ^ 1;
    uint32_t is_marker = byte_is_zero(b ^ 0x80);
    bad |= searching & (byte_is_zero(b) ^ 1) & (is_marker ^ 1);
    uint32_t hit = searching & is_marker;
    size_t mask = (size_t)0 - hit;
    marker = (i & mask) | (marker & ~mask);
    found |= hit;
  }
  if (!found || bad) return -1;
  return (long)marker;
}

/* CBC-encrypts len bytes of data (whole blocks) followed by the optional block extra, and
 * leaves the last ciphertext block in chain, which holds the initial value on entry. Works on
 * a stack slice, so short messages (every APDU) cost a single cipher call and no caller needs
 * an output buffer. */
static int cbc_chain(enum cf_cipher_id id, const uint8_t *key, size_t block, uint8_t *chain,
                     const uint8_t *data, size_t len, const uint8_t *extra) {
  uint8_t slice[512];
  size_t used = 0; /* the part of slice to wipe */
  int rc = 0;
  while (len || extra) {
    size_t n = len > sizeof slice ? sizeof slice : len;
    if (n) {
      memcpy(slice, data, n);
      data += n;
      len -= n;
    }
    if (extra && len == 0 && n + block <= sizeof slice) {
      memcpy(slice + n, extra, block);
      n += block;
      extra = NULL;
    }
    if (n > used) used = n;
    if (cf_crypto_cipher_run(id, key, chain, 1, slice, slice, n) != 0) {
      rc = -1;
      break;
    }
    memcpy(chain, slice + n - block, block);
  }
  cf_wipe(slice, used);
  return rc;
}

/* The final block of method-2 padded data: the tail of data that does not fill a block,
 * then 80 00 .. 00. */
static void last_padded_block(const uint8_t *data, size_t len, size_t block, uint8_t *out) {
  size_t tail = len % block;
  if (tail) memcpy(out, data + len - tail, tail);
  out[tail] = 0x80;
  memset(out + tail + 1, 0, block - tail - 1);
}

/* DES CBC chaining under an 8, 16 or 24-byte key (see cbc_chain). An 8-byte key is single DES:
 * the legacy provider's when loaded, else des-ede3 under K,K,K (the same blocks, three times the
 * work). */
static int des_cbc_chain(const uint8_t *key, size_t klen, uint8_t chain[8], const uint8_t *data, size_t len,
                         const uint8_t *extra) {
  if (klen == 8 && cf_crypto_has_single_des())
    return cbc_chain(CF_CIPHER_DES_CBC, key, 8, chain, data, len, extra);
  uint8_t k24[24];
  if (!cf_crypto_des3_key(key, klen, k24)) return -1;
  int rc = cbc_chain(CF_CIPHER_DES3_CBC, k24, 8, chain, data, len, extra);
  cf_wipe(k24, sizeof k24);
  return rc;
}

static bool des_key_length(size_t klen) {
  return klen == 8 || klen == 16 || klen == 24;
}

int cf_mac_alg1_des(const uint8_t *key, size_t klen, const uint8_t *iv, const void *data, size_t len,
                    uint8_t out[8]) {
  uint8_t chain[8], last[8];
  if ((len && !data) || !out || !key || !des_key_length(klen)) return -1;
  const uint8_t *d = data;
  size_t whole = len - len % 8;
  if (iv)
    memcpy(chain, iv, 8);
  else
    memset(chain, 0, 8);
  last_padded_block(d, len, 8, last);
  int rc = des_cbc_chain(key, klen, chain, d, whole, last);
  if (rc == 0) memcpy(out, chain, 8);
  cf_wipe(last, sizeof last);
  cf_wipe(chain, sizeof chain);
  return rc;
}

int cf_mac_alg3(const uint8_t key[16], const uint8_t *iv, const void *data, size_t len, uint8_t out[8]) {
  uint8_t chain[8], last[8];
  if (!key || (len && !data) || !out) return -1;
  const uint8_t *d = data;
  size_t whole = len - len % 8;
  if (iv)
    memcpy(chain, iv, 8);
  else
    memset(chain, 0, 8);
  last_padded_block(d, len, 8, last);
  /* Single DES under KL over every block but the last. The last block then goes through
   * E_KL, D_KR, E_KL, which is one two-key 3DES encryption under KL||KR. */
  int rc = des_cbc_chain(key, 8, chain, d, whole, NULL);
  if (rc == 0) {
    for (int i = 0; i < 8; i++)
      last[i] ^= chain[i];
    rc = cf_des3_ecb_encrypt(key, 16, last, out, 8);
  }
  cf_wipe(last, sizeof last);
  cf_wipe(chain, sizeof chain);
  return rc;
}

int cf_aes_cbc_mac(const uint8_t *key, size_t klen, const uint8_t *iv, const void *data, size_t len,
                   uint8_t out[16]) {
  enum cf_cipher_id id;
  switch (klen) {
  case 16:
    id = CF_CIPHER_AES128_CBC;
    break;
  case 24:
    id = CF_CIPHER_AES192_CBC;
    break;
  case 32:
    id = CF_CIPHER_AES256_CBC;
    break;
  default:
    return -1;
  }
  /* No padding here: the callers' protocols pad themselves, and an empty message has no MAC. */
  if (!key || !data || !out || len == 0 || len % 16 != 0) return -1;
  uint8_t chain[16];
  if (iv)
    memcpy(chain, iv, 16);
  else
    memset(chain, 0, 16);
  int rc = cbc_chain(id, key, 16, chain, data, len, NULL);
  if (rc == 0) memcpy(out, chain, 16);
  cf_wipe(chain, sizeof chain);
  return rc;
}
