/* Key check values and the DEK that protects PUT KEY key values, for both protocols. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/scp.h"

int cf_scp_kcv(uint8_t type, const uint8_t *key, size_t klen, uint8_t kcv[3]) {
  uint8_t block[16], out[16];
  int rc = -1;
  if (key == NULL || kcv == NULL) return -1;
  if (type == CF_GP_KEY_DES && (klen == 8 || klen == 16 || klen == 24)) {
    memset(block, 0x00, 8);
    rc = cf_des3_ecb_encrypt(key, klen, block, out, 8);
  } else if (type == CF_GP_KEY_AES && (klen == 16 || klen == 24 || klen == 32)) {
    memset(block, 0x01, 16);
    rc = cf_aes_ecb_encrypt(key, klen, block, out, 16);
  }
  if (rc == 0) memcpy(kcv, out, 3);
  cf_wipe(out, sizeof out);
  return rc;
}

size_t cf_scp_dek_block(const cf_scp_session *s) {
  return s->scp == 0x03 ? 16 : 8;
}

int cf_scp_dek_encrypt(const cf_scp_session *s, const uint8_t *in, size_t len, uint8_t *out) {
  static const uint8_t zero_iv[16];
  if (len == 0 || len % cf_scp_dek_block(s) != 0 || s->dek_len == 0) return -1;
  if (s->scp == 0x03) return cf_aes_cbc_encrypt(s->dek, s->dek_len, zero_iv, in, out, len);
  return cf_des3_ecb_encrypt(s->dek, s->dek_len, in, out, len);
}

int cf_scp_dek_decrypt(const cf_scp_session *s, const uint8_t *in, size_t len, uint8_t *out) {
  static const uint8_t zero_iv[16];
  if (len == 0 || len % cf_scp_dek_block(s) != 0 || s->dek_len == 0) return -1;
  if (s->scp == 0x03) return cf_aes_cbc_decrypt(s->dek, s->dek_len, zero_iv, in, out, len);
  return cf_des3_ecb_decrypt(s->dek, s->dek_len, in, out, len);
}

void cf_scp_session_wipe(cf_scp_session *s) {
  cf_wipe(s, sizeof *s);
}
