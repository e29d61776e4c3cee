/* Shared plumbing of the crypto module: algorithms fetched once per process and OpenSSL
 * contexts reused per thread, so that a card command costs no name lookups and few allocations. */
#ifndef CF_CRYPTO_INTERNAL_H
#define CF_CRYPTO_INTERNAL_H

#include <openssl/evp.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cf_cipher_id {
  CF_CIPHER_AES128_ECB,
  CF_CIPHER_AES192_ECB,
  CF_CIPHER_AES256_ECB,
  CF_CIPHER_AES128_CBC,
  CF_CIPHER_AES192_CBC,
  CF_CIPHER_AES256_CBC,
  CF_CIPHER_DES3_ECB,
  CF_CIPHER_DES3_CBC,
  /* single DES, from OpenSSL's legacy provider when it can be loaded (cf_crypto_has_single_des) */
  CF_CIPHER_DES_ECB,
  CF_CIPHER_DES_CBC,
  CF_CIPHER_COUNT
};

enum cf_mac_ctx_id {
  CF_MACCTX_HMAC_SHA256,
  CF_MACCTX_HMAC_SHA512,
  CF_MACCTX_CMAC_AES128,
  CF_MACCTX_CMAC_AES192,
  CF_MACCTX_CMAC_AES256,
  CF_MACCTX_COUNT
};

/* Algorithms fetched from the default provider on first use (single DES from the legacy
 * provider in a private library context); NULL if that failed. */
const EVP_CIPHER *cf_crypto_cipher(enum cf_cipher_id id);
/* True when CF_CIPHER_DES_ECB and CF_CIPHER_DES_CBC are usable. Without them, single DES runs
 * as DES-EDE3 with K,K,K: the same result for three times the work. */
bool cf_crypto_has_single_des(void);
const EVP_MD *cf_crypto_sha256(void);
const EVP_MD *cf_crypto_sha512(void);
EVP_KDF *cf_crypto_pbkdf2(void);

/* This thread's digest context; callers re-initialise it for every hash. */
EVP_MD_CTX *cf_crypto_tls_md_ctx(void);
/* This thread's MAC context, already bound to its digest or cipher; re-keyed by EVP_MAC_init. */
EVP_MAC_CTX *cf_crypto_tls_mac_ctx(enum cf_mac_ctx_id id);

/* Runs one no-padding block-cipher pass with this thread's context for that cipher. len must be
 * a multiple of the block size (checked by the callers). */
int cf_crypto_cipher_run(enum cf_cipher_id id, const uint8_t *key, const uint8_t *iv, int enc,
                         const uint8_t *in, uint8_t *out, size_t len);

/* Expands an 8/16/24-byte DES key to the 24-byte K1||K2||K3 form des-ede3 takes. */
bool cf_crypto_des3_key(const uint8_t *key, size_t klen, uint8_t out24[24]);

#endif
