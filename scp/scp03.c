/* SCP03 (GP Amendment D): the AES-CMAC counter-mode KDF, session keys, cryptograms, challenge, in
 * S8 and S16 modes (8- or 16-byte challenges and cryptograms, i b1). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/scp.h"

int cf_scp03_kdf(const uint8_t *key, size_t klen, uint8_t constant, const uint8_t *context, size_t ctx_len,
                 uint8_t *out, size_t out_len) {
  uint8_t in[16 + 64], block[16];
  if (ctx_len > 64 || out_len == 0 || out_len > 64) return -1;
  memset(in, 0, 11);
  in[11] = constant;
  in[12] = 0x00;
  cf_put_be16(in + 13, (uint16_t)(out_len * 8));
  if (ctx_len) memcpy(in + 16, context, ctx_len);
  for (size_t done = 0, n = 1; done < out_len; n++) {
    in[15] = (uint8_t)n;
    if (cf_aes_cmac(key, klen, in, 16 + ctx_len, block) != 0) return -1;
    size_t take = out_len - done < 16 ? out_len - done : 16;
    memcpy(out + done, block, take);
    done += take;
  }
  cf_wipe(block, sizeof block);
  return 0;
}

size_t cf_scp03_s_len(uint8_t i) {
  return (i & CF_SCP03_I_S16) ? 16 : 8;
}

int cf_scp03_session_init(cf_scp_session *s, const cf_scp_keys *k, const uint8_t *host_challenge,
                          const uint8_t *card_challenge, uint8_t i) {
  uint8_t ctx[32];
  size_t n = cf_scp03_s_len(i);
  if (k->klen != 16 && k->klen != 24 && k->klen != 32) return -1;
  memset(s, 0, sizeof *s);
  s->scp = 0x03;
  s->i = i;
  s->klen = k->klen;
  s->s_len = n;
  memcpy(ctx, host_challenge, n);
  memcpy(ctx + n, card_challenge, n);
  if (cf_scp03_kdf(k->enc, k->klen, CF_SCP03_CONST_S_ENC, ctx, 2 * n, s->s_enc, k->klen) != 0 ||
      cf_scp03_kdf(k->mac, k->klen, CF_SCP03_CONST_S_MAC, ctx, 2 * n, s->s_mac, k->klen) != 0 ||
      cf_scp03_kdf(k->mac, k->klen, CF_SCP03_CONST_S_RMAC, ctx, 2 * n, s->s_rmac, k->klen) != 0) {
    cf_scp_session_wipe(s);
    return -1;
  }
  memcpy(s->dek, k->dek, k->klen); /* SCP03 has no session DEK */
  s->dek_len = k->klen;
  return 0;
}

int cf_scp03_cryptograms(const cf_scp_session *s, const uint8_t *host_challenge,
                         const uint8_t *card_challenge, uint8_t *card_cryptogram, uint8_t *host_cryptogram) {
  uint8_t ctx[32];
  size_t n = s->s_len;
  if (n != 8 && n != 16) return -1;
  memcpy(ctx, host_challenge, n);
  memcpy(ctx + n, card_challenge, n);
  if (card_cryptogram &&
      cf_scp03_kdf(s->s_mac, s->klen, CF_SCP03_CONST_CARD_CRYPTOGRAM, ctx, 2 * n, card_cryptogram, n) != 0)
    return -1;
  if (host_cryptogram &&
      cf_scp03_kdf(s->s_mac, s->klen, CF_SCP03_CONST_HOST_CRYPTOGRAM, ctx, 2 * n, host_cryptogram, n) != 0)
    return -1;
  return 0;
}

int cf_scp03_pseudo_challenge(const uint8_t *enc, size_t klen, uint32_t counter, const uint8_t *aid,
                              size_t aid_len, uint8_t *challenge, size_t len) {
  uint8_t ctx[3 + 16];
  if (aid_len > 16 || counter > 0xFFFFFF || (len != 8 && len != 16)) return -1;
  ctx[0] = (uint8_t)(counter >> 16);
  ctx[1] = (uint8_t)(counter >> 8);
  ctx[2] = (uint8_t)counter;
  memcpy(ctx + 3, aid, aid_len);
  return cf_scp03_kdf(enc, klen, CF_SCP03_CONST_CARD_CHALLENGE, ctx, 3 + aid_len, challenge, len);
}
