/* SHA-2 digests, HMAC, PBKDF2 and AES-CMAC over OpenSSL's EVP interfaces. */
#include "crypto_internal.h"

#include <cardforge/crypto.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>

/* A digest fails only when OpenSSL itself is unusable (no memory, no default provider). The
 * caller gets -1 and a zeroed output, never a partial hash it could mistake for a real one. */
static int digest_v(const EVP_MD *md, const cf_iov *parts, size_t n, uint8_t *out, size_t out_len) {
  EVP_MD_CTX *ctx = cf_crypto_tls_md_ctx();
  bool ok = md && ctx && EVP_DigestInit_ex2(ctx, md, NULL);
  for (size_t i = 0; ok && i < n; i++)
    ok = !parts[i].len || EVP_DigestUpdate(ctx, parts[i].p, parts[i].len);
  ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
  if (!ok) {
    cf_wipe(out, out_len);
    return -1;
  }
  return 0;
}

int cf_sha256(const void *data, size_t len, uint8_t out[32]) {
  cf_iov part = {data, len};
  return digest_v(cf_crypto_sha256(), &part, 1, out, 32);
}

int cf_sha512(const void *data, size_t len, uint8_t out[64]) {
  cf_iov part = {data, len};
  return digest_v(cf_crypto_sha512(), &part, 1, out, 64);
}

int cf_sha256_v(const cf_iov *parts, size_t n, uint8_t out[32]) {
  return digest_v(cf_crypto_sha256(), parts, n, out, 32);
}

int cf_sha512_v(const cf_iov *parts, size_t n, uint8_t out[64]) {
  return digest_v(cf_crypto_sha512(), parts, n, out, 64);
}

static int mac_run(enum cf_mac_ctx_id id, const void *key, size_t klen, const void *data, size_t len,
                   uint8_t *out, size_t outlen) {
  if ((len && !data) || (klen && !key) || !out) return -1;
  EVP_MAC_CTX *ctx = cf_crypto_tls_mac_ctx(id);
  if (!ctx) return -1;
  /* A NULL key would make EVP_MAC_init keep the previous call's key: an empty key must be
   * passed as a real (zero-length) buffer. */
  static const unsigned char empty_key[1];
  if (!EVP_MAC_init(ctx, key ? key : empty_key, klen, NULL)) return -1;
  if (len && !EVP_MAC_update(ctx, data, len)) return -1;
  size_t got = 0;
  if (!EVP_MAC_final(ctx, out, &got, outlen) || got != outlen) return -1;
  return 0;
}

int cf_hmac_sha256(const void *key, size_t klen, const void *data, size_t len, uint8_t out[32]) {
  return mac_run(CF_MACCTX_HMAC_SHA256, key, klen, data, len, out, 32);
}

int cf_hmac_sha512(const void *key, size_t klen, const void *data, size_t len, uint8_t out[64]) {
  return mac_run(CF_MACCTX_HMAC_SHA512, key, klen, data, len, out, 64);
}

int cf_aes_cmac(const uint8_t *key, size_t klen, const void *data, size_t len, uint8_t out[16]) {
  enum cf_mac_ctx_id id;
  switch (klen) {
  case 16:
    id = CF_MACCTX_CMAC_AES128;
    break;
  case 24:
    id = CF_MACCTX_CMAC_AES192;
    break;
  case 32:
    id = CF_MACCTX_CMAC_AES256;
    break;
  default:
    return -1;
  }
  if (!key) return -1;
  return mac_run(id, key, klen, data, len, out, 16);
}

static int pbkdf2(const char *digest, const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                  unsigned iter, uint8_t *out, size_t outlen) {
  if ((pwlen && !pw) || (saltlen && !salt) || !out || outlen == 0 || iter == 0) return -1;
  EVP_KDF *kdf = cf_crypto_pbkdf2();
  if (!kdf) return -1;
  EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
  if (!ctx) return -1;
  uint64_t iterations = iter;
  /* pkcs5 = 1 turns off the SP 800-132 minimums (salt, iterations, key length): BIP39 and the
   * published vectors use values below them. */
  int pkcs5_mode = 1;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)(pw ? pw : ""), pwlen),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(salt ? salt : ""), saltlen),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iterations),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5_mode),
      OSSL_PARAM_construct_end(),
  };
  int ok = EVP_KDF_derive(ctx, out, outlen, params);
  EVP_KDF_CTX_free(ctx);
  return ok == 1 ? 0 : -1;
}

int cf_pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen, unsigned iter,
                     uint8_t *out, size_t outlen) {
  return pbkdf2("SHA256", pw, pwlen, salt, saltlen, iter, out, outlen);
}

int cf_pbkdf2_sha512(const void *pw, size_t pwlen, const void *salt, size_t saltlen, unsigned iter,
                     uint8_t *out, size_t outlen) {
  return pbkdf2("SHA512", pw, pwlen, salt, saltlen, iter, out, outlen);
}
