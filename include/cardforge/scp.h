/* GlobalPlatform Secure Channel Protocols '02' and '03': the constructions both the card
 * (applets/gp) and the host (host/gp) use, so that each side is tested against the same published
 * vectors. GP Card Specification 2.3.1 Annex E (SCP02) and Amendment D (SCP03), S8 and S16 modes.
 *
 * One cf_scp_session holds a channel's session keys and chaining state; the host wraps commands
 * and unwraps responses, the card does the reverse, with the same code and the same state. */
#ifndef CARDFORGE_SCP_H
#define CARDFORGE_SCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/apdu.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

/* Security level bits (EXTERNAL AUTHENTICATE P1). */
#define CF_SCP_C_MAC 0x01
#define CF_SCP_C_DEC 0x02
#define CF_SCP_R_MAC 0x10
#define CF_SCP_R_ENC 0x20

/* Key types (GP key type coding). */
#define CF_GP_KEY_DES 0x80
#define CF_GP_KEY_AES 0x88

/* SCP02 "i" bits (GP 2.3.1 Table E-1). */
#define CF_SCP02_I_3KEYS 0x01
#define CF_SCP02_I_UNMODIFIED 0x02 /* C-MAC over the unmodified APDU */
#define CF_SCP02_I_ICV_ENC 0x10    /* ICV encrypted for each C-MAC after the first */
#define CF_SCP02_I_PSEUDO 0x40     /* well-known pseudo-random card challenge */
/* SCP03 "i" bits (Amendment D Table 5-1; b1 S16 since v1.2, GlobalPlatformPro issue 362). */
#define CF_SCP03_I_S16 0x01 /* 16-byte challenges, cryptograms and MACs */
#define CF_SCP03_I_PSEUDO 0x10
#define CF_SCP03_I_RMAC 0x20
#define CF_SCP03_I_RENC 0x40

/* SCP02 derivation constants (E.4.1). */
#define CF_SCP02_CONST_CMAC 0x0101
#define CF_SCP02_CONST_RMAC 0x0102
#define CF_SCP02_CONST_DEK 0x0181
#define CF_SCP02_CONST_ENC 0x0182
/* SCP03 derivation constants (Amendment D Table 4-1). */
#define CF_SCP03_CONST_CARD_CRYPTOGRAM 0x00
#define CF_SCP03_CONST_HOST_CRYPTOGRAM 0x01
#define CF_SCP03_CONST_CARD_CHALLENGE 0x02
#define CF_SCP03_CONST_S_ENC 0x04
#define CF_SCP03_CONST_S_MAC 0x06
#define CF_SCP03_CONST_S_RMAC 0x07

/* The static keys of one key set (ENC = id 1, MAC = id 2, DEK = id 3). */
typedef struct cf_scp_keys {
  uint8_t kvn;
  size_t klen; /* 16 for SCP02 (two-key 3DES); 16, 24 or 32 for SCP03 */
  uint8_t enc[32], mac[32], dek[32];
} cf_scp_keys;

typedef struct cf_scp_session {
  uint8_t scp;   /* 0x02 or 0x03 */
  uint8_t i;     /* implementation option */
  uint8_t level; /* CF_SCP_* bits in force */
  size_t klen;   /* session key length */
  uint8_t s_enc[32], s_mac[32], s_rmac[32];
  /* Key that encrypts PUT KEY key values: SCP02 session DEK, SCP03 static DEK. */
  uint8_t dek[32];
  size_t dek_len;
  /* SCP02: last C-MAC (8 bytes), none yet when !have_mac; SCP03: MAC chaining value (16). */
  uint8_t mac_chain[16];
  bool have_mac;
  uint8_t rmac_chain[8]; /* SCP02 R-MAC chaining value: EXTERNAL AUTHENTICATE's C-MAC, then the last R-MAC */
  uint32_t enc_counter;  /* SCP03 command encryption counter */
  size_t s_len;          /* SCP03: 8 (S8 mode) or 16 (S16): challenges, cryptograms and MACs */
} cf_scp_session;

/* ---- key check values ---- */
/* DES: first 3 bytes of 3DES-ECB(key, 8 x 00); AES: first 3 bytes of AES-ECB(key, 16 x 01). */
int cf_scp_kcv(uint8_t type, const uint8_t *key, size_t klen, uint8_t kcv[3]);

/* ---- SCP02 ---- */
/* 3DES-CBC(key, constant || counter || 00 x 12) with a zero IV. */
int cf_scp02_derive(const uint8_t key[16], uint16_t constant, uint16_t counter, uint8_t out[16]);
/* Derives every session key from the static keys; level and chaining start empty. */
int cf_scp02_session_init(cf_scp_session *s, const cf_scp_keys *k, uint16_t counter, uint8_t i);
/* Card cryptogram = full 3DES MAC (S-ENC) over host challenge || counter || card challenge;
 * host cryptogram over counter || card challenge || host challenge. */
int cf_scp02_cryptograms(const cf_scp_session *s, const uint8_t host_challenge[8], uint16_t counter,
                         const uint8_t card_challenge[6], uint8_t card_cryptogram[8],
                         uint8_t host_cryptogram[8]);
/* Well-known pseudo-random card challenge: first 6 bytes of the retail MAC (C-MAC session key,
 * zero ICV) over the Security Domain AID. */
int cf_scp02_pseudo_challenge(const cf_scp_session *s, const uint8_t *aid, size_t aid_len,
                              uint8_t challenge[6]);

/* ---- SCP03 ---- */
/* NIST SP 800-108 counter-mode KDF with AES-CMAC: 00 x 11 || constant || 00 || L || i || context. */
int cf_scp03_kdf(const uint8_t *key, size_t klen, uint8_t constant, const uint8_t *context, size_t ctx_len,
                 uint8_t *out, size_t out_len);
/* The challenge, cryptogram and MAC length "i" asks for: 16 with CF_SCP03_I_S16, else 8. */
size_t cf_scp03_s_len(uint8_t i);
/* Session keys from the static keys, host challenge and card challenge (context = host || card),
 * each cf_scp03_s_len(i) bytes. */
int cf_scp03_session_init(cf_scp_session *s, const cf_scp_keys *k, const uint8_t *host_challenge,
                          const uint8_t *card_challenge, uint8_t i);
/* Cryptograms of s->s_len bytes (KDF L = 64 or 128 bits). */
int cf_scp03_cryptograms(const cf_scp_session *s, const uint8_t *host_challenge,
                         const uint8_t *card_challenge, uint8_t *card_cryptogram, uint8_t *host_cryptogram);
/* Pseudo-random card challenge = KDF(static ENC, 02, len * 8 bits, counter (3 bytes) || SD AID); len 8
 * or 16. */
int cf_scp03_pseudo_challenge(const uint8_t *enc, size_t klen, uint32_t counter, const uint8_t *aid,
                              size_t aid_len, uint8_t *challenge, size_t len);

/* ---- channel (both protocols) ---- */
/* Largest command data the wrapper may add: padding (16) + MAC (16 in S16 mode). */
#define CF_SCP_OVERHEAD 32

/* Host: wraps a plain command at the session's level. The wrapped command's data goes into buf.
 * EXTERNAL AUTHENTICATE is wrapped with level = C-MAC (the caller sets s->level first). Returns 0, or -1
 * if the command cannot be wrapped (too long). */
int cf_scp_wrap_command(cf_scp_session *s, const cf_apdu *plain, uint8_t *buf, size_t cap, cf_apdu *out);
/* Card: verifies and strips the protection of a command that carries the SM bit (CLA b3). The plain
 * data goes into buf. Returns SW_OK (9000), or the status word to answer (6982 for a bad MAC or
 * padding). */
uint16_t cf_scp_unwrap_command(cf_scp_session *s, const cf_apdu *wrapped, uint8_t *buf, size_t cap,
                               cf_apdu *plain);
/* Card: protects a response when the level asks: SCP02 R-MAC on every response whatever sw
 * (give an error no data), SCP03 R-ENC and R-MAC on 9000, 62xx and 63xx only. plain_cmd is the
 * command as the application saw it (SCP02's R-MAC covers it). Writes the new data into out.
 * Returns 0 or -1 (no room). */
int cf_scp_wrap_response(cf_scp_session *s, const cf_apdu *plain_cmd, const uint8_t *data, size_t len,
                         uint16_t sw, uint8_t *out, size_t cap, size_t *out_len);
/* Host: verifies and strips the response protection. Returns 0, CF_SCP_UNPROTECTED_ERROR for an
 * SCP02 error status word with no data at all (no R-MAC: the card ended the session, so the
 * caller must too; the status word is unauthenticated), or -1 if the R-MAC does not verify or the
 * response is malformed (an SCP02 9000/62xx/63xx without an R-MAC included). */
#define CF_SCP_UNPROTECTED_ERROR 1
int cf_scp_unwrap_response(cf_scp_session *s, const cf_apdu *plain_cmd, const uint8_t *data, size_t len,
                           uint16_t sw, uint8_t *out, size_t cap, size_t *out_len);

/* PUT KEY key values: SCP02 3DES-ECB under the session DEK, SCP03 AES-CBC (zero IV) under the
 * static DEK. len must be a multiple of the block (8 or 16). */
int cf_scp_dek_encrypt(const cf_scp_session *s, const uint8_t *in, size_t len, uint8_t *out);
int cf_scp_dek_decrypt(const cf_scp_session *s, const uint8_t *in, size_t len, uint8_t *out);
size_t cf_scp_dek_block(const cf_scp_session *s);

/* ---- card key diversification (scp_diversify.c) ---- */
/* Methods: EMV CPS 1.1 and VISA2 (two-key 3DES masters), KDF3 (AES-CMAC counter mode, SCP03
 * masters of 16, 24 or 32 bytes), as GlobalPlatformPro's emv, visa2 and kdf3. */
#define CF_SCP_DIV_NONE 0
#define CF_SCP_DIV_EMV 1
#define CF_SCP_DIV_VISA2 2
#define CF_SCP_DIV_KDF3 3
/* "emv", "visa2", "kdf3" or "none" to a method; -1 for anything else. */
int cf_scp_diversify_parse(const char *name);
const char *cf_scp_diversify_name(int method);
/* The card's key of key_id (1 ENC, 2 MAC, 3 DEK) from master (klen bytes) and the 10-byte KDD
 * (INITIALIZE UPDATE's first bytes); out gets klen bytes. -1 for a method/length mismatch. */
int cf_scp_diversify_key(int method, const uint8_t *master, size_t klen, uint8_t key_id,
                         const uint8_t kdd[10], uint8_t *out);
/* The 16 bytes EMV CPS 1.1 / VISA2 encrypt under the two-key 3DES master for key_id: D || F0 || id
 * || D || 0F || id, D six bytes of the KDD (4..9 for EMV; 0, 1, 4..7 for VISA2). For a token that
 * derives the key itself (C_DeriveKey with 3DES-ECB of this data). */
void cf_scp_diversify_data(int method, uint8_t key_id, const uint8_t kdd[10], uint8_t out[16]);
/* All three: master->enc with id 1, ->mac with 2, ->dek with 3; kvn and klen kept. */
int cf_scp_diversify_keys(int method, const cf_scp_keys *master, const uint8_t kdd[10], cf_scp_keys *out);

void cf_scp_session_wipe(cf_scp_session *s);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
