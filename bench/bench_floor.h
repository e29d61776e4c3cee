/* The cryptographic floor: the primitives the protocols need, called straight on OpenSSL
 * libcrypto and libsecp256k1 in their cheapest ordinary form (algorithms fetched once, contexts
 * reused, one key setup per primitive call, nothing else). A scenario's floor is the sequence of
 * these calls its protocol cannot avoid, host and card together; operation time / floor time says
 * how much the runtime, the store, the applet, the client and the transport add on top.
 *
 * Single DES (the retail MAC's chain) comes from OpenSSL's legacy provider, loaded into a private
 * library context so nothing else in the process sees it; without that provider the floor uses
 * DES-EDE3 with K,K,K, as the crypto module does (then the floor is 3x too high for those blocks).
 * Header only: every C file in bench/ is a program of its own. */
#ifndef CF_BENCH_FLOOR_H
#define CF_BENCH_FLOOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#define FLOOR_CIPHERS 12

static struct {
  bool ready;
  /* one context per cipher, set up once: re-keying it keeps the provider context, so the floor
   * pays the key schedule and the blocks, never an algorithm switch or a padding parameter */
  const EVP_CIPHER *ctx_cipher[FLOOR_CIPHERS];
  EVP_CIPHER_CTX *ctx[FLOOR_CIPHERS];
  EVP_MD_CTX *md_ctx;
  EVP_MAC_CTX *cmac[3]; /* AES-128/192/256 */
  EVP_CIPHER *aes_ecb[3], *aes_cbc[3], *des3_ecb, *des3_cbc, *des_cbc, *des_ecb;
  EVP_MD *sha256, *sha512;
  OSSL_LIB_CTX *legacy_ctx;
  secp256k1_context *secp;
} floor_g;

static inline void floor_fail(const char *what) {
  fprintf(stderr, "bench floor: %s failed\n", what);
  exit(3);
}

static inline void floor_init(void) {
  if (floor_g.ready) return;
  static const char *const ecb[3] = {"AES-128-ECB", "AES-192-ECB", "AES-256-ECB"};
  static const char *const cbc[3] = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};
  for (int i = 0; i < 3; i++) {
    floor_g.aes_ecb[i] = EVP_CIPHER_fetch(NULL, ecb[i], NULL);
    floor_g.aes_cbc[i] = EVP_CIPHER_fetch(NULL, cbc[i], NULL);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    floor_g.cmac[i] = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);
    OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cbc[i], 0),
                       OSSL_PARAM_construct_end()};
    if (!floor_g.aes_ecb[i] || !floor_g.aes_cbc[i] || !floor_g.cmac[i] ||
        !EVP_MAC_CTX_set_params(floor_g.cmac[i], p))
      floor_fail("AES setup");
  }
  floor_g.des3_ecb = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
  floor_g.des3_cbc = EVP_CIPHER_fetch(NULL, "DES-EDE3-CBC", NULL);
  floor_g.legacy_ctx = OSSL_LIB_CTX_new();
  if (floor_g.legacy_ctx && OSSL_PROVIDER_load(floor_g.legacy_ctx, "legacy") &&
      OSSL_PROVIDER_load(floor_g.legacy_ctx, "default")) {
    floor_g.des_cbc = EVP_CIPHER_fetch(floor_g.legacy_ctx, "DES-CBC", NULL);
    floor_g.des_ecb = EVP_CIPHER_fetch(floor_g.legacy_ctx, "DES-ECB", NULL);
  }
  floor_g.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  floor_g.sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
  floor_g.md_ctx = EVP_MD_CTX_new();
  floor_g.secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  uint8_t seed[32];
  if (!floor_g.des3_ecb || !floor_g.des3_cbc || !floor_g.sha256 || !floor_g.sha512 || !floor_g.md_ctx ||
      !floor_g.secp || RAND_bytes(seed, 32) != 1 || !secp256k1_context_randomize(floor_g.secp, seed))
    floor_fail("setup");
  floor_g.ready = true;
}

/* True when single DES is the real thing (legacy provider), not DES-EDE3 with K,K,K. */
static inline bool floor_has_single_des(void) {
  floor_init();
  return floor_g.des_cbc != NULL;
}

static inline int floor_key_index(size_t klen) {
  return klen == 16 ? 0 : klen == 24 ? 1 : 2;
}

/* One pass of a no-padding cipher: key setup + the blocks. */
static inline void floor_cipher(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, int enc,
                                const uint8_t *in, uint8_t *out, size_t len) {
  int n = 0, i = 0;
  while (i < FLOOR_CIPHERS && floor_g.ctx_cipher[i] != NULL && floor_g.ctx_cipher[i] != c)
    i++;
  if (i == FLOOR_CIPHERS) floor_fail("cipher table");
  if (floor_g.ctx_cipher[i] == NULL) {
    /* algorithm and padding are set once: they persist across re-keying */
    if ((floor_g.ctx[i] = EVP_CIPHER_CTX_new()) == NULL ||
        !EVP_CipherInit_ex2(floor_g.ctx[i], c, NULL, NULL, enc, NULL) ||
        !EVP_CIPHER_CTX_set_padding(floor_g.ctx[i], 0))
      floor_fail("cipher context");
    floor_g.ctx_cipher[i] = c;
  }
  EVP_CIPHER_CTX *ctx = floor_g.ctx[i];
  if (!EVP_CipherInit_ex2(ctx, NULL, key, iv, enc, NULL) || !EVP_CipherUpdate(ctx, out, &n, in, (int)len))
    floor_fail("cipher");
}

static inline void floor_aes_ecb(const uint8_t *key, size_t klen, int enc, const uint8_t *in, uint8_t *out,
                                 size_t len) {
  floor_init();
  floor_cipher(floor_g.aes_ecb[floor_key_index(klen)], key, NULL, enc, in, out, len);
}

static inline void floor_aes_cbc(const uint8_t *key, size_t klen, const uint8_t iv[16], int enc,
                                 const uint8_t *in, uint8_t *out, size_t len) {
  floor_init();
  floor_cipher(floor_g.aes_cbc[floor_key_index(klen)], key, iv, enc, in, out, len);
}

/* AES CBC-MAC of whole blocks: a CBC pass, keeping the last block. */
static inline void floor_aes_cbc_mac(const uint8_t *key, size_t klen, const uint8_t *in, size_t len,
                                     uint8_t out[16]) {
  uint8_t buf[512], zero[16] = {0};
  if (len > sizeof buf || len % 16 != 0) floor_fail("CBC-MAC length");
  floor_aes_cbc(key, klen, zero, 1, in, buf, len);
  memcpy(out, buf + len - 16, 16);
}

static inline void floor_aes_cmac(const uint8_t *key, size_t klen, const uint8_t *in, size_t len,
                                  uint8_t out[16]) {
  floor_init();
  EVP_MAC_CTX *ctx = floor_g.cmac[floor_key_index(klen)];
  size_t got = 0;
  if (!EVP_MAC_init(ctx, key, klen, NULL) || !EVP_MAC_update(ctx, in, len) ||
      !EVP_MAC_final(ctx, out, &got, 16))
    floor_fail("CMAC");
}

/* Two-key triple DES (K1 K2 K1), ECB or CBC. */
static inline void floor_des3(const uint8_t key16[16], bool cbc, const uint8_t *iv, int enc,
                              const uint8_t *in, uint8_t *out, size_t len) {
  uint8_t k24[24];
  floor_init();
  memcpy(k24, key16, 16);
  memcpy(k24 + 16, key16, 8);
  floor_cipher(cbc ? floor_g.des3_cbc : floor_g.des3_ecb, k24, iv, enc, in, out, len);
}

/* Single DES CBC encryption (the retail MAC's chain). */
static inline void floor_des_cbc(const uint8_t key8[8], const uint8_t iv[8], const uint8_t *in, uint8_t *out,
                                 size_t len) {
  floor_init();
  if (floor_g.des_cbc) {
    floor_cipher(floor_g.des_cbc, key8, iv, 1, in, out, len);
    return;
  }
  uint8_t k24[24];
  memcpy(k24, key8, 8);
  memcpy(k24 + 8, key8, 8);
  memcpy(k24 + 16, key8, 8);
  floor_cipher(floor_g.des3_cbc, k24, iv, 1, in, out, len);
}

/* ISO 9797-1 MAC algorithm 3 over already padded data (nblocks >= 1): single-DES CBC under KL over
 * all blocks but the last, then one two-key 3DES block. */
static inline void floor_retail_mac(const uint8_t key16[16], const uint8_t iv[8], const uint8_t *padded,
                                    size_t len, uint8_t out[8]) {
  uint8_t chain[8], buf[512], last[8];
  if (len % 8 != 0 || len == 0 || len > sizeof buf) floor_fail("retail MAC length");
  memcpy(chain, iv, 8);
  if (len > 8) {
    floor_des_cbc(key16, chain, padded, buf, len - 8);
    memcpy(chain, buf + len - 16, 8);
  }
  for (int i = 0; i < 8; i++)
    last[i] = padded[len - 8 + i] ^ chain[i];
  floor_des3(key16, false, NULL, 1, last, out, 8);
}

static inline void floor_sha256(const void *in, size_t len, uint8_t out[32]) {
  floor_init();
  if (!EVP_DigestInit_ex2(floor_g.md_ctx, floor_g.sha256, NULL) ||
      !EVP_DigestUpdate(floor_g.md_ctx, in, len) || !EVP_DigestFinal_ex(floor_g.md_ctx, out, NULL))
    floor_fail("SHA-256");
}

static inline void floor_sha512(const void *in, size_t len, uint8_t out[64]) {
  floor_init();
  if (!EVP_DigestInit_ex2(floor_g.md_ctx, floor_g.sha512, NULL) ||
      !EVP_DigestUpdate(floor_g.md_ctx, in, len) || !EVP_DigestFinal_ex(floor_g.md_ctx, out, NULL))
    floor_fail("SHA-512");
}

static inline void floor_pbkdf2_sha256(const char *pw, const char *salt, unsigned iter, uint8_t *out,
                                       size_t len) {
  if (!PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), (const unsigned char *)salt, (int)strlen(salt), (int)iter,
                         EVP_sha256(), (int)len, out))
    floor_fail("PBKDF2");
}

static inline void floor_pbkdf2_sha512(const char *pw, const char *salt, unsigned iter, uint8_t *out,
                                       size_t len) {
  if (!PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), (const unsigned char *)salt, (int)strlen(salt), (int)iter,
                         EVP_sha512(), (int)len, out))
    floor_fail("PBKDF2");
}

/* secp256k1: a key pair (public key computed and serialized uncompressed). */
static inline void floor_ec_keygen(uint8_t priv[32], uint8_t pub65[65]) {
  floor_init();
  secp256k1_pubkey pk;
  size_t n = 65;
  do {
    if (RAND_bytes(priv, 32) != 1) floor_fail("random");
  } while (!secp256k1_ec_seckey_verify(floor_g.secp, priv));
  if (!secp256k1_ec_pubkey_create(floor_g.secp, &pk, priv) ||
      !secp256k1_ec_pubkey_serialize(floor_g.secp, pub65, &n, &pk, SECP256K1_EC_UNCOMPRESSED))
    floor_fail("EC keygen");
}

static int floor_ecdh_x_only(unsigned char *out, const unsigned char *x, const unsigned char *y, void *data) {
  (void)y;
  (void)data;
  memcpy(out, x, 32);
  return 1;
}

/* ECDH: parse the peer's 65-byte key, X of priv * peer. */
static inline void floor_ecdh(const uint8_t priv[32], const uint8_t peer65[65], uint8_t out[32]) {
  floor_init();
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_parse(floor_g.secp, &pk, peer65, 65) ||
      !secp256k1_ecdh(floor_g.secp, out, &pk, priv, floor_ecdh_x_only, NULL))
    floor_fail("ECDH");
}

/* ECDSA signature of a 32-byte hash (RFC 6979), recoverable form. */
static inline void floor_ecdsa_sign(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig64[64],
                                    int *recid) {
  floor_init();
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_sign_recoverable(floor_g.secp, &sig, hash, priv, NULL, NULL) ||
      !secp256k1_ecdsa_recoverable_signature_serialize_compact(floor_g.secp, sig64, recid, &sig))
    floor_fail("ECDSA sign");
}

/* Public key recovery from (hash, r, s, recid): what a host does to learn the recovery id. */
static inline void floor_ecdsa_recover(const uint8_t hash[32], const uint8_t sig64[64], int recid,
                                       uint8_t pub65[65]) {
  floor_init();
  secp256k1_ecdsa_recoverable_signature sig;
  secp256k1_pubkey pk;
  size_t n = 65;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(floor_g.secp, &sig, sig64, recid) ||
      !secp256k1_ecdsa_recover(floor_g.secp, &pk, &sig, hash) ||
      !secp256k1_ec_pubkey_serialize(floor_g.secp, pub65, &n, &pk, SECP256K1_EC_UNCOMPRESSED))
    floor_fail("ECDSA recover");
}

#endif
