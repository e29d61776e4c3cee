/* AES and triple-DES in ECB and CBC mode without padding. */
#include "crypto_internal.h"

#include <cardforge/crypto.h>

static int aes_cipher_id(size_t klen, bool cbc, enum cf_cipher_id *id) {
  switch (klen) {
  case 16:
    *id = cbc ? CF_CIPHER_AES128_CBC : CF_CIPHER_AES128_ECB;
    return 0;
  case 24:
    *id = cbc ? CF_CIPHER_AES192_CBC : CF_CIPHER_AES192_ECB;
    return 0;
  case 32:
    *id = cbc ? CF_CIPHER_AES256_CBC : CF_CIPHER_AES256_ECB;
    return 0;
  default:
    return -1;
  }
}

static int aes_run(const uint8_t *key, size_t klen, const uint8_t *iv, bool cbc, int enc, const uint8_t *in,
                   uint8_t *out, size_t len) {
  enum cf_cipher_id id;
  if (!key || aes_cipher_id(klen, cbc, &id) != 0 || len % 16 != 0 || (cbc && !iv)) return -1;
  if (len == 0) return 0;
  if (!in || !out) return -1;
  return cf_crypto_cipher_run(id, key, iv, enc, in, out, len);
}

int cf_aes_ecb_encrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len) {
  return aes_run(key, klen, NULL, false, 1, in, out, len);
}

int cf_aes_ecb_decrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len) {
  return aes_run(key, klen, NULL, false, 0, in, out, len);
}

int cf_aes_cbc_encrypt(const uint8_t *key, size_t klen, const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                       size_t len) {
  return aes_run(key, klen, iv, true, 1, in, out, len);
}

int cf_aes_cbc_decrypt(const uint8_t *key, size_t klen, const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                       size_t len) {
  return aes_run(key, klen, iv, true, 0, in, out, len);
}

/* Two- and three-key DES go through des-ede3 (K1,K2,K1 for two keys). An 8-byte key is single
 * DES: from the legacy provider when it could be loaded, else des-ede3 with K,K,K, which gives
 * the same result (E_K D_K E_K = E_K) for three times the work. */
static int des3_run(const uint8_t *key, size_t klen, const uint8_t *iv, bool cbc, int enc, const uint8_t *in,
                    uint8_t *out, size_t len) {
  if (len % 8 != 0 || (cbc && !iv) || !key) return -1;
  if (len && (!in || !out)) return -1;
  if (klen == 8 && cf_crypto_has_single_des()) {
    return len ? cf_crypto_cipher_run(cbc ? CF_CIPHER_DES_CBC : CF_CIPHER_DES_ECB, key, iv, enc, in, out, len)
               : 0;
  }
  uint8_t k24[24];
  if (!cf_crypto_des3_key(key, klen, k24)) return -1;
  int rc =
      len ? cf_crypto_cipher_run(cbc ? CF_CIPHER_DES3_CBC : CF_CIPHER_DES3_ECB, k24, iv, enc, in, out, len)
          : 0;
  cf_wipe(k24, sizeof k24);
  return rc;
}

int cf_des3_ecb_encrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len) {
  return des3_run(key, klen, NULL, false, 1, in, out, len);
}

int cf_des3_ecb_decrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len) {
  return des3_run(key, klen, NULL, false, 0, in, out, len);
}

int cf_des3_cbc_encrypt(const uint8_t *key, size_t klen, const uint8_t iv[8], const uint8_t *in, uint8_t *out,
                        size_t len) {
  return des3_run(key, klen, iv, true, 1, in, out, len);
}

int cf_des3_cbc_decrypt(const uint8_t *key, size_t klen, const uint8_t iv[8], const uint8_t *in, uint8_t *out,
                        size_t len) {
  return des3_run(key, klen, iv, true, 0, in, out, len);
}
