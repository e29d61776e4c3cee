/* Secure channel wrapping for SCP02 and SCP03: command C-MAC and C-DECRYPTION, response R-MAC and
 * R-ENCRYPTION. The host calls the wrap_command/unwrap_response pair, the card the
 * unwrap_command/wrap_response pair; both keep the same chaining state in cf_scp_session. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/scp.h"
#include "cardforge/sw.h"

/* Short APDUs only: GP secure messaging is defined on them, and the SCP02 R-MAC codes lengths in
 * one byte. */
#define SCP_MAX_CMD_DATA 255
#define SCP_MAX_RESP 4096

static bool sw_protected(uint16_t sw) {
  return sw == SW_OK || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}

/* Which responses carry an R-MAC: in SCP02 every one (GP Card Specification Annex E generates the
 * R-MAC for each response; kaoh/globalplatform and GlobalPlatformPro check one on every response);
 * in SCP03 only 9000, 62xx and 63xx (Amendment D: no protection on an error status word). */
static bool sw_gets_rmac(const cf_scp_session *s, uint16_t sw) {
  return s->scp == 0x02 || sw_protected(sw);
}

/* ---- SCP02 ---- */

/* The ICV for the next C-MAC: zero for the session's first, then the last C-MAC, encrypted with
 * single DES under the left half of the C-MAC key when "i" asks for it. */
static int scp02_icv(const cf_scp_session *s, uint8_t icv[8]) {
  if (!s->have_mac) {
    memset(icv, 0, 8);
    return 0;
  }
  if (s->i & CF_SCP02_I_ICV_ENC) return cf_des3_ecb_encrypt(s->s_mac, 8, s->mac_chain, icv, 8);
  memcpy(icv, s->mac_chain, 8);
  return 0;
}

/* The C-MAC over the command the way "i" b2 says: modified (CLA with b3 set, Lc counting the MAC)
 * or unmodified. data is the plain command data. */
static int scp02_cmac(const cf_scp_session *s, uint8_t cla, const cf_apdu *cmd, const uint8_t *data,
                      size_t lc, uint8_t mac[8]) {
  uint8_t in[5 + SCP_MAX_CMD_DATA], icv[8];
  size_t n = 0;
  bool unmodified = (s->i & CF_SCP02_I_UNMODIFIED) != 0;
  in[n++] = unmodified ? (uint8_t)(cla & ~0x04) : (uint8_t)(cla | 0x04);
  in[n++] = cmd->ins;
  in[n++] = cmd->p1;
  in[n++] = cmd->p2;
  if (!unmodified) {
    in[n++] = (uint8_t)(lc + 8);
  } else if (lc > 0) {
    in[n++] = (uint8_t)lc;
  }
  if (lc) memcpy(in + n, data, lc);
  n += lc;
  if (scp02_icv(s, icv) != 0) return -1;
  return cf_mac_alg3(s->s_mac, icv, in, n, mac);
}

/* Keeps a verified or sent C-MAC as the next ICV. The session's first C-MAC (EXTERNAL
 * AUTHENTICATE's) also starts the R-MAC chain: real cards and both public hosts take it as the
 * first R-MAC's ICV (docs/gp.md 2.2.1). */
static void scp02_chain_cmac(cf_scp_session *s, const uint8_t mac[8]) {
  if (!s->have_mac) memcpy(s->rmac_chain, mac, 8);
  memcpy(s->mac_chain, mac, 8);
  s->have_mac = true;
}

/* The wrapped command: plain's header with the SM class, buf (data || MAC) as its data. */
static int wrapped_command(const cf_apdu *plain, uint8_t cla, uint8_t *buf, size_t n, const uint8_t *mac,
                           size_t mac_len, cf_apdu *out) {
  memcpy(buf + n, mac, mac_len);
  *out = *plain;
  out->cla = cla;
  out->data = buf;
  out->lc = n + mac_len;
  out->extended = false;
  return 0;
}

static int scp02_wrap(cf_scp_session *s, const cf_apdu *plain, uint8_t *buf, size_t cap, cf_apdu *out) {
  uint8_t mac[8];
  size_t lc = plain->lc;
  if (lc + 8 + 8 > SCP_MAX_CMD_DATA || cap < lc + 16) return -1;
  if (scp02_cmac(s, plain->cla, plain, plain->data, lc, mac) != 0) return -1;
  scp02_chain_cmac(s, mac);
  size_t n = lc;
  if (lc) memcpy(buf, plain->data, lc);
  if ((s->level & CF_SCP_C_DEC) && lc > 0) {
    static const uint8_t zero_iv[8];
    n = cf_pad_iso9797_m2(buf, lc, 8, cap);
    if (n == 0 || cf_des3_cbc_encrypt(s->s_enc, 16, zero_iv, buf, buf, n) != 0) return -1;
  }
  return wrapped_command(plain, (uint8_t)(plain->cla | 0x04), buf, n, mac, 8, out);
}

static uint16_t scp02_unwrap(cf_scp_session *s, const cf_apdu *w, uint8_t *buf, size_t cap, cf_apdu *plain) {
  uint8_t mac[8];
  if (w->lc < 8 || w->lc > SCP_MAX_CMD_DATA) return SW_SECURITY_STATUS_NOT_SATISFIED;
  size_t body = w->lc - 8, lc = body;
  if (cap < body) return SW_WRONG_LENGTH;
  if (body) memcpy(buf, w->data, body);
  if ((s->level & CF_SCP_C_DEC) && body > 0) {
    static const uint8_t zero_iv[8];
    if (body % 8 != 0 || cf_des3_cbc_decrypt(s->s_enc, 16, zero_iv, buf, buf, body) != 0)
      return SW_SECURITY_STATUS_NOT_SATISFIED;
    long unpadded = cf_unpad_iso9797_m2(buf, body);
    if (unpadded < 0 || body - (size_t)unpadded > 8) return SW_SECURITY_STATUS_NOT_SATISFIED;
    lc = (size_t)unpadded;
  }
  if (scp02_cmac(s, w->cla, w, buf, lc, mac) != 0) return SW_UNKNOWN;
  if (!cf_ct_equal(mac, w->data + body, 8)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  scp02_chain_cmac(s, mac);
  *plain = *w;
  plain->cla = (uint8_t)(w->cla & ~0x04);
  plain->data = lc ? buf : NULL;
  plain->lc = lc;
  return SW_OK;
}

/* The SCP02 R-MAC: retail MAC under the R-MAC key over the plain command (CLA without channel and
 * SM bits, INS, P1, P2, Lc, data; no Le) and the response (length, data, SW), padded once, chained
 * on the previous R-MAC (EXTERNAL AUTHENTICATE's C-MAC for the first), never encrypted. */
static int scp02_rmac(cf_scp_session *s, const cf_apdu *cmd, const uint8_t *data, size_t len, uint16_t sw,
                      uint8_t rmac[8]) {
  uint8_t in[5 + SCP_MAX_CMD_DATA + 1 + SCP_MAX_CMD_DATA + 2];
  size_t n = 0;
  if (cmd->lc > SCP_MAX_CMD_DATA || len > SCP_MAX_CMD_DATA - 8) return -1;
  in[n++] = (uint8_t)(cmd->cla & ~0x07);
  in[n++] = cmd->ins;
  in[n++] = cmd->p1;
  in[n++] = cmd->p2;
  in[n++] = (uint8_t)cmd->lc;
  if (cmd->lc) memcpy(in + n, cmd->data, cmd->lc);
  n += cmd->lc;
  in[n++] = (uint8_t)len;
  if (len) memcpy(in + n, data, len);
  n += len;
  cf_put_be16(in + n, sw);
  n += 2;
  if (cf_mac_alg3(s->s_rmac, s->rmac_chain, in, n, rmac) != 0) return -1;
  memcpy(s->rmac_chain, rmac, 8);
  return 0;
}

/* ---- SCP03 ---- */

/* The encryption ICV: AES(S-ENC) of the counter as a 16-byte big-endian number, with the first byte
 * set to 80 for responses. */
static int scp03_icv(const cf_scp_session *s, bool response, uint8_t icv[16]) {
  uint8_t block[16] = {0};
  block[12] = (uint8_t)(s->enc_counter >> 24);
  block[13] = (uint8_t)(s->enc_counter >> 16);
  block[14] = (uint8_t)(s->enc_counter >> 8);
  block[15] = (uint8_t)s->enc_counter;
  if (response) block[0] = 0x80;
  return cf_aes_ecb_encrypt(s->s_enc, s->klen, block, icv, 16);
}

/* C-MAC = AES-CMAC(S-MAC, chaining value || CLA INS P1 P2 Lc || data), data as sent; the first
 * s_len bytes go on the wire (8 in S8 mode, all 16 in S16). */
static int scp03_cmac(const cf_scp_session *s, const cf_apdu *cmd, uint8_t cla, const uint8_t *data, size_t n,
                      uint8_t mac[16]) {
  uint8_t in[16 + 5 + SCP_MAX_CMD_DATA];
  if (n + s->s_len > SCP_MAX_CMD_DATA) return -1;
  memcpy(in, s->mac_chain, 16);
  in[16] = cla;
  in[17] = cmd->ins;
  in[18] = cmd->p1;
  in[19] = cmd->p2;
  in[20] = (uint8_t)(n + s->s_len);
  if (n) memcpy(in + 21, data, n);
  return cf_aes_cmac(s->s_mac, s->klen, in, 21 + n, mac);
}

static int scp03_wrap(cf_scp_session *s, const cf_apdu *plain, uint8_t *buf, size_t cap, cf_apdu *out) {
  uint8_t mac[16];
  size_t lc = plain->lc, n = lc;
  if (lc > SCP_MAX_CMD_DATA || cap < lc + 16 + s->s_len) return -1;
  if (lc) memcpy(buf, plain->data, lc);
  if (s->level & CF_SCP_C_DEC) {
    s->enc_counter++;
    if (lc > 0) {
      uint8_t icv[16];
      n = cf_pad_iso9797_m2(buf, lc, 16, cap);
      if (n == 0 || scp03_icv(s, false, icv) != 0 ||
          cf_aes_cbc_encrypt(s->s_enc, s->klen, icv, buf, buf, n) != 0)
        return -1;
    }
  }
  uint8_t cla = (uint8_t)(plain->cla | 0x04);
  if (scp03_cmac(s, plain, cla, buf, n, mac) != 0) return -1;
  memcpy(s->mac_chain, mac, 16);
  s->have_mac = true;
  return wrapped_command(plain, cla, buf, n, mac, s->s_len, out);
}

static uint16_t scp03_unwrap(cf_scp_session *s, const cf_apdu *w, uint8_t *buf, size_t cap, cf_apdu *plain) {
  uint8_t mac[16];
  if (w->lc < s->s_len || w->lc > SCP_MAX_CMD_DATA || w->extended) return SW_SECURITY_STATUS_NOT_SATISFIED;
  size_t body = w->lc - s->s_len, lc = body;
  if (cap < body) return SW_WRONG_LENGTH;
  if (scp03_cmac(s, w, w->cla, w->data, body, mac) != 0) return SW_UNKNOWN;
  if (!cf_ct_equal(mac, w->data + body, s->s_len)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  memcpy(s->mac_chain, mac, 16);
  s->have_mac = true;
  if (body) memcpy(buf, w->data, body);
  if (s->level & CF_SCP_C_DEC) {
    s->enc_counter++;
    if (body > 0) {
      uint8_t icv[16];
      if (body % 16 != 0 || scp03_icv(s, false, icv) != 0 ||
          cf_aes_cbc_decrypt(s->s_enc, s->klen, icv, buf, buf, body) != 0)
        return SW_SECURITY_STATUS_NOT_SATISFIED;
      long unpadded = cf_unpad_iso9797_m2(buf, body);
      if (unpadded < 0 || body - (size_t)unpadded > 16) return SW_SECURITY_STATUS_NOT_SATISFIED;
      lc = (size_t)unpadded;
    }
  }
  *plain = *w;
  plain->cla = (uint8_t)(w->cla & ~0x04);
  plain->data = lc ? buf : NULL;
  plain->lc = lc;
  return SW_OK;
}

static int scp03_rmac(const cf_scp_session *s, const uint8_t *data, size_t len, uint16_t sw,
                      uint8_t rmac[16]) {
  uint8_t in[16 + SCP_MAX_RESP + 16 + 2];
  if (len > SCP_MAX_RESP + 16) return -1;
  memcpy(in, s->mac_chain, 16);
  if (len) memcpy(in + 16, data, len);
  cf_put_be16(in + 16 + len, sw);
  return cf_aes_cmac(s->s_rmac, s->klen, in, 16 + len + 2, rmac);
}

/* ---- both ---- */

int cf_scp_wrap_command(cf_scp_session *s, const cf_apdu *plain, uint8_t *buf, size_t cap, cf_apdu *out) {
  if (!(s->level & CF_SCP_C_MAC)) {
    *out = *plain;
    return 0;
  }
  return s->scp == 0x03 ? scp03_wrap(s, plain, buf, cap, out) : scp02_wrap(s, plain, buf, cap, out);
}

uint16_t cf_scp_unwrap_command(cf_scp_session *s, const cf_apdu *wrapped, uint8_t *buf, size_t cap,
                               cf_apdu *plain) {
  if (!(wrapped->cla & 0x04)) return SW_SECURITY_STATUS_NOT_SATISFIED;
  return s->scp == 0x03 ? scp03_unwrap(s, wrapped, buf, cap, plain)
                        : scp02_unwrap(s, wrapped, buf, cap, plain);
}

int cf_scp_wrap_response(cf_scp_session *s, const cf_apdu *plain_cmd, const uint8_t *data, size_t len,
                         uint16_t sw, uint8_t *out, size_t cap, size_t *out_len) {
  uint8_t mac[16];
  if (!(s->level & CF_SCP_R_MAC) || !sw_gets_rmac(s, sw)) {
    if (len > cap) return -1;
    if (len) memmove(out, data, len);
    *out_len = len;
    return 0;
  }
  if (s->scp == 0x02) {
    if (len + 8 > cap || scp02_rmac(s, plain_cmd, data, len, sw, mac) != 0) return -1;
    if (len) memmove(out, data, len);
    memcpy(out + len, mac, 8);
    *out_len = len + 8;
    return 0;
  }
  size_t n = len;
  if (len > SCP_MAX_RESP || len + 16 + s->s_len > cap) return -1;
  if (len) memmove(out, data, len);
  if ((s->level & CF_SCP_R_ENC) && len > 0) {
    uint8_t icv[16];
    n = cf_pad_iso9797_m2(out, len, 16, cap);
    if (n == 0 || scp03_icv(s, true, icv) != 0 ||
        cf_aes_cbc_encrypt(s->s_enc, s->klen, icv, out, out, n) != 0)
      return -1;
  }
  if (scp03_rmac(s, out, n, sw, mac) != 0) return -1;
  memcpy(out + n, mac, s->s_len);
  *out_len = n + s->s_len;
  return 0;
}

int cf_scp_unwrap_response(cf_scp_session *s, const cf_apdu *plain_cmd, const uint8_t *data, size_t len,
                           uint16_t sw, uint8_t *out, size_t cap, size_t *out_len) {
  uint8_t mac[16];
  if (!(s->level & CF_SCP_R_MAC) || !sw_gets_rmac(s, sw)) {
    if (len > cap) return -1;
    if (len) memmove(out, data, len);
    *out_len = len;
    return 0;
  }
  /* An SCP02 error with nothing after it: the card ended the session instead of answering inside
   * it (a C-MAC that failed), or the reader's stack answered. Nothing to verify; the session is
   * over either way. */
  if (s->scp == 0x02 && len == 0 && !sw_protected(sw)) {
    *out_len = 0;
    return CF_SCP_UNPROTECTED_ERROR;
  }
  size_t mac_len = s->scp == 0x02 ? 8 : s->s_len;
  if (len < mac_len) return -1;
  size_t n = len - mac_len;
  if (s->scp == 0x02) {
    if (n > cap || scp02_rmac(s, plain_cmd, data, n, sw, mac) != 0) return -1;
    if (!cf_ct_equal(mac, data + n, 8)) return -1;
    if (n) memmove(out, data, n);
    *out_len = n;
    return 0;
  }
  if (scp03_rmac(s, data, n, sw, mac) != 0 || !cf_ct_equal(mac, data + n, mac_len)) return -1;
  if (n > cap) return -1;
  if (n) memmove(out, data, n);
  if ((s->level & CF_SCP_R_ENC) && n > 0) {
    uint8_t icv[16];
    if (n % 16 != 0 || scp03_icv(s, true, icv) != 0 ||
        cf_aes_cbc_decrypt(s->s_enc, s->klen, icv, out, out, n) != 0)
      return -1;
    long unpadded = cf_unpad_iso9797_m2(out, n);
    if (unpadded < 0) return -1;
    n = (size_t)unpadded;
  }
  *out_len = n;
  return 0;
}
