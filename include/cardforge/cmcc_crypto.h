/* China Mobile E-Card Pass key-management constructions, shared by the emulated cards and the
 * host tools (library cf_cmcc_crypto, folder cmcc_crypto/): PBOC-style 3DES diversification,
 * session keys, the X9.19 / X9.9 command MACs with the profile's initial vectors, key-record and
 * Export Keys&Data wrapping, external-auth data.
 *
 * docs/cmcc-profile.md states the profile everything here follows and has the worked examples.
 * Keys are two-key 3DES (KL || KR, 16 bytes); no parity adjustment anywhere. Functions return 0
 * on success and -1 on a bad argument or a crypto failure unless stated. */
#ifndef CARDFORGE_CMCC_CRYPTO_H
#define CARDFORGE_CMCC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMCC_KEY_LEN 16
#define CMCC_MAC_LEN 4
#define CMCC_RANDOM_LEN 4
#define CMCC_ATTR_LEN 11         /* key attributes: type ver idx alg ie div status counter[4] */
#define CMCC_RECORD_PLAIN_LEN 28 /* 1B || attributes || key value */
#define CMCC_RECORD_LEN_BYTE 0x1B
#define CMCC_RECORD_CIPHER_LEN 32 /* the plain record padded (ISO 9797-1 method 2) */
#define CMCC_AUTH_DATA_LEN 8
#define CMCC_MAX_LEVELS 3 /* diversification levels a card accepts in one command */

/* P1 b8 of Export Keys&Data / Inst_MAC Generate. */
typedef enum { CMCC_MAC_919 = 0, CMCC_MAC_99 = 1 } cmcc_mac_alg;

/* ---- diversification ---- */
/* One level, 8-byte factor F: 3DES_K(F) || 3DES_K(F XOR FF..FF). */
int cmcc_diversify8(const uint8_t key[16], const uint8_t factor[8], uint8_t out[16]);
/* One level, 16-byte factor F1 || F2: 3DES_K(F1) || 3DES_K(F2). */
int cmcc_diversify16(const uint8_t key[16], const uint8_t factor[16], uint8_t out[16]);
/* levels levels (0..CMCC_MAX_LEVELS); factors holds them as the command sends them, level 1 LAST,
 * each factor_len (8 or 16) bytes. Level 1 is applied first. levels 0 copies the key. */
int cmcc_diversify_levels(const uint8_t key[16], const uint8_t *factors, size_t levels, size_t factor_len,
                          uint8_t out[16]);
/* Session key for a command with the 4-byte random R: diversify8(K, R || 80 00 00 00). */
int cmcc_session_key(const uint8_t key[16], const uint8_t random[4], uint8_t out[16]);
/* Key value of Generate Key: diversify8(seed, type || version || index || algorithm || 00000000),
 * tvia = the first four attribute bytes. */
int cmcc_generated_key(const uint8_t seed[16], const uint8_t tvia[4], uint8_t out[16]);

/* ---- MACs ---- */
/* The MAC initial vector: random || 00 00 00 00, or 8 zero bytes when random is NULL. */
void cmcc_mac_iv(const uint8_t *random, uint8_t iv[8]);
/* MAC over data (ISO 9797-1 padding method 2): 9.19 = ISO 9797-1 alg 3 (retail MAC); 9.9 = DES
 * CBC-MAC under KL only. iv 8 bytes (NULL = zeros). Writes the first 4 bytes of the last block. */
int cmcc_mac(cmcc_mac_alg alg, const uint8_t key[16], const uint8_t *iv, const void *data, size_t len,
             uint8_t mac[4]);
/* The MAC of a command to be sent as CIPP || Lc || body || MAC: computed over
 * CIPP || Lc || body with Lc = body_len + 4, IV from random (NULL = zeros). body_len <= 251. */
int cmcc_command_mac(cmcc_mac_alg alg, const uint8_t key[16], const uint8_t *random, const uint8_t cipp[4],
                     const uint8_t *body, size_t body_len, uint8_t mac[4]);

/* ---- encryption ---- */
/* 3DES-ECB of in padded with ISO 9797-1 method 2 (always at least one byte). out_len = padded
 * length; -1 if cap is too small. */
int cmcc_encrypt(const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                 size_t *out_len);
/* 3DES-ECB decryption and removal of method-2 padding. Returns 0, -1 if len is not a non-zero
 * multiple of 8 or cap too small, -2 if the padding is malformed (out is then wiped). */
int cmcc_decrypt(const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                 size_t *out_len);
/* External Authentication data: 3DES_K(R || 00 00 00 00). */
int cmcc_ext_auth_data(const uint8_t key[16], const uint8_t random[4], uint8_t out[8]);

/* ---- key records (Import Key, CopyExport Key, the auth card's Encrypt Data) ---- */
/* out = 3DES-ECB(1B || attrs || value || 80 00 00 00). */
int cmcc_key_record_encrypt(const uint8_t key[16], const uint8_t attrs[11], const uint8_t value[16],
                            uint8_t out[32]);
enum {
  CMCC_RECORD_OK = 0,
  CMCC_RECORD_BAD_LENGTH = 1,  /* the record length byte is not 1B (cards answer 6C1B) */
  CMCC_RECORD_BAD_PADDING = 2, /* bytes 28..31 are not 80 00 00 00 */
};
/* Decrypts a 32-byte record; returns CMCC_RECORD_* or -1. attrs/value are written only on OK. */
int cmcc_key_record_decrypt(const uint8_t key[16], const uint8_t in[32], uint8_t attrs[11],
                            uint8_t value[16]);

/* ---- wrapped commands (Export Keys&Data output, Import Key, Update Info, target cards) ---- */
/* cipher = cmcc_encrypt(key, plain); mac = cmcc_command_mac(alg, key, random, cipp, cipher).
 * So CIPP || (cipher_len + 4) || cipher || mac is the command the receiving card accepts. */
int cmcc_wrap(const uint8_t key[16], cmcc_mac_alg alg, const uint8_t *random, const uint8_t cipp[4],
              const uint8_t *plain, size_t plain_len, uint8_t *cipher, size_t cap, size_t *cipher_len,
              uint8_t mac[4]);
enum {
  CMCC_UNWRAP_OK = 0,
  CMCC_UNWRAP_BAD_MAC = 1,     /* cards answer 6988 */
  CMCC_UNWRAP_BAD_PADDING = 2, /* MAC right, plaintext padding malformed */
};
/* The receiving side: checks the MAC (constant time) over cipp || Lc || cipher (Lc = cipher_len
 * + 4), then decrypts. Returns CMCC_UNWRAP_* or -1 (bad lengths). plain is written only on OK. */
int cmcc_unwrap(const uint8_t key[16], cmcc_mac_alg alg, const uint8_t *random, const uint8_t cipp[4],
                const uint8_t *cipher, size_t cipher_len, const uint8_t mac[4], uint8_t *plain, size_t cap,
                size_t *plain_len);

/* ---- the working card's terminal protocol (spec 4.1.7) ---- */
/* Sub-application index factor: index || version || 80 00 00 00 00 00. */
void cmcc_terminal_factor(uint8_t sub_app_index, uint8_t key_version, uint8_t factor[8]);

#endif
