/* Cryptographic wrappers: thin calls into OpenSSL libcrypto and libsecp256k1, plus the block
 * constructions built on them (ISO 9797-1 padding and MACs). No primitive is implemented here.
 * Every function returns 0 on success and -1 on failure unless stated. */
#ifndef CARDFORGE_CRYPTO_H
#define CARDFORGE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- randomness, wiping, comparison ---- */
int cf_rand(void *buf, size_t len);
void cf_wipe(void *buf, size_t len);
/* true if equal; time depends on len only */
bool cf_ct_equal(const void *a, const void *b, size_t len);

/* ---- hashes and MACs ---- */
/* The digests return 0, or -1 (out zeroed) when OpenSSL cannot compute them (no memory, no
 * provider): a caller must not go on with the hash then. */
#define CF_MUST_CHECK __attribute__((warn_unused_result))
CF_MUST_CHECK int cf_sha256(const void *data, size_t len, uint8_t out[32]);
CF_MUST_CHECK int cf_sha512(const void *data, size_t len, uint8_t out[64]);
/* Hashes the concatenation of n parts without copying them. */
typedef struct cf_iov {
  const void *p;
  size_t len;
} cf_iov;
CF_MUST_CHECK int cf_sha256_v(const cf_iov *parts, size_t n, uint8_t out[32]);
CF_MUST_CHECK int cf_sha512_v(const cf_iov *parts, size_t n, uint8_t out[64]);
int cf_hmac_sha256(const void *key, size_t klen, const void *data, size_t len, uint8_t out[32]);
int cf_hmac_sha512(const void *key, size_t klen, const void *data, size_t len, uint8_t out[64]);
int cf_pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen, unsigned iter,
                     uint8_t *out, size_t outlen);
int cf_pbkdf2_sha512(const void *pw, size_t pwlen, const void *salt, size_t saltlen, unsigned iter,
                     uint8_t *out, size_t outlen);
/* AES-CMAC (NIST SP 800-38B) with a 16, 24 or 32-byte key. */
int cf_aes_cmac(const uint8_t *key, size_t klen, const void *data, size_t len, uint8_t out[16]);

/* ---- block ciphers (len a multiple of the block; in and out may be the same buffer) ---- */
/* AES with a 16, 24 or 32-byte key. */
int cf_aes_ecb_encrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len);
int cf_aes_ecb_decrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len);
int cf_aes_cbc_encrypt(const uint8_t *key, size_t klen, const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                       size_t len);
int cf_aes_cbc_decrypt(const uint8_t *key, size_t klen, const uint8_t iv[16], const uint8_t *in, uint8_t *out,
                       size_t len);
/* Triple DES (EDE) with an 8-byte (single DES: K,K,K), 16-byte (K1,K2,K1) or 24-byte key. */
int cf_des3_ecb_encrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len);
int cf_des3_ecb_decrypt(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len);
int cf_des3_cbc_encrypt(const uint8_t *key, size_t klen, const uint8_t iv[8], const uint8_t *in, uint8_t *out,
                        size_t len);
int cf_des3_cbc_decrypt(const uint8_t *key, size_t klen, const uint8_t iv[8], const uint8_t *in, uint8_t *out,
                        size_t len);

/* ---- ISO/IEC 9797-1 ---- */
/* Padding method 2: appends 80 then 00 up to a multiple of block. buf must hold the result.
 * Returns the padded length, or 0 if cap is too small. */
size_t cf_pad_iso9797_m2(uint8_t *buf, size_t len, size_t block, size_t cap);
/* Removes method-2 padding; returns the unpadded length or -1 if the padding is malformed. */
long cf_unpad_iso9797_m2(const uint8_t *buf, size_t len);
/* MAC algorithm 1 (CBC-MAC) with DES or 3DES (klen 8/16/24), padding method 2, IV iv (NULL =
 * zeros). out receives the full last block (8 bytes); truncate as the protocol says. */
int cf_mac_alg1_des(const uint8_t *key, size_t klen, const uint8_t *iv, const void *data, size_t len,
                    uint8_t out[8]);
/* MAC algorithm 3 (retail MAC, ANSI X9.19) with a 16-byte key KL||KR, padding method 2. */
int cf_mac_alg3(const uint8_t key[16], const uint8_t *iv, const void *data, size_t len, uint8_t out[8]);
/* AES CBC-MAC (ISO 9797-1 alg 1 with AES), data already a multiple of 16, IV iv (NULL = zeros). */
int cf_aes_cbc_mac(const uint8_t *key, size_t klen, const uint8_t *iv, const void *data, size_t len,
                   uint8_t out[16]);

/* ---- secp256k1 ---- */
/* Public keys are 65-byte uncompressed (04 || X || Y) unless stated. */
int cf_ec_keygen(uint8_t priv[32], uint8_t pub[65]);
bool cf_ec_priv_valid(const uint8_t priv[32]);
int cf_ec_pub_from_priv(const uint8_t priv[32], uint8_t pub[65]);
/* Parses a 33 or 65-byte public key and writes it in the other forms (either out may be NULL). */
int cf_ec_pub_normalize(const uint8_t *pub, size_t len, uint8_t out65[65], uint8_t out33[33]);
/* ECDH: the X coordinate of priv * peer (no hashing). */
int cf_ec_ecdh_x(const uint8_t priv[32], const uint8_t *peer, size_t peer_len, uint8_t out[32]);
/* Signs a 32-byte hash (RFC 6979 nonce, low S). sig64 = r || s; recid 0..3. */
int cf_ec_sign(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig64[64], int *recid);
/* DER encoding of r || s; returns its length (at most 72) or 0. */
size_t cf_ec_sig_to_der(const uint8_t sig64[64], uint8_t *der, size_t cap);
int cf_ec_sig_from_der(const uint8_t *der, size_t len, uint8_t sig64[64]);
bool cf_ec_verify(const uint8_t *pub, size_t pub_len, const uint8_t hash[32], const uint8_t sig64[64]);
int cf_ec_recover(const uint8_t hash[32], const uint8_t sig64[64], int recid, uint8_t pub[65]);
/* BIP32 helpers: priv = (priv + tweak) mod n; pub = pub + tweak*G. -1 if the result is invalid. */
int cf_ec_priv_tweak_add(uint8_t priv[32], const uint8_t tweak[32]);
int cf_ec_pub_tweak_add(uint8_t pub65[65], const uint8_t tweak[32]);

#endif
