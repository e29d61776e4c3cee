/* SCP03 (GP Amendment D): the AES-CMAC counter-mode KDF, session keys, cryptograms, challenge. */
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

int cf_scp03_session_init(cf_scp_session *s, const cf_scp_keys *k, const uint8_t host_challenge[8],
                          const uint8_t card_challenge[8], uint8_t i) {
  uint8_t ctx[16];
  if (k->klen != 16 && k->klen != 24 && k->klen != 32) return -1;
  memset(s, 0, sizeof *s);
  s->scp = 0x03;
  s->i = i;
  s->klen = k->klen;
  memcpy(ctx, host_challenge, 8);
  memcpy(ctx + 8, card_challenge, 8);
  if (cf_scp03_kdf(k->enc, k->klen, CF_SCP03_CONST_S_ENC, ctx, 16, s->s_enc, k->klen) != 0 ||
      cf_scp03_kdf(k->mac, k->klen, CF_SCP03_CONST_S_MAC, ctx, 16, s->s_mac, k->klen) != 0 ||
      cf_scp03_kdf(k->mac, k->klen, CF_SCP03_CONST_S_RMAC, ctx, 16, s->s_rmac, k->klen) != 0) {
    cf_scp_session_wipe(s);
    return -1;
  }
  memcpy(s->dek, k->dek, k->klen); /* SCP03 has no session DEK */
  s->dek_len = k->klen;
  return 0;
}

int cf_scp03_cryptograms(const cf_scp_session *s, const uint8_t host_challenge[8],
                         const uint8_t card_challenge[8], uint8_t card_cryptogram[8],
                         uint8_t host_cryptogram[8]) {
  uint8_t ctx[16];
  memcpy(ctx, host_challenge, 8);
  memcpy(ctx + 8, card_challenge, 8);
  if (card_cryptogram &&
      cf_scp03_kdf(s->s_mac, s->klen, CF_SCP03_CONST_CARD_CRYPTOGRAM, ctx, 16, card_cryptogram, 8) != 0)
    return -1;
  if (host_cryptogram &&
      cf_scp03_kdf(s->s_mac, s->klen, CF_SCP03_CONST_HOST_CRYPTOGRAM, ctx, 16, host_cryptogram, 8) != 0)
    return -1;
  return 0;
}

int cf_scp03_pseudo_challenge(const uint8_t *enc, size_t klen, uint32_t counter, const uint8_t *aid,
                              size_t aid_len, uint8_t challenge[8]) {
  uint8_t ctx[3 + 16];
  if (aid_len > 16 || counter > 0xFFFFFF) return -1;
  ctx[0] = (uint8_t)(counter >> 16);
  ctx[1] = (uint8_t)(counter >> 8);
  ctx[2] = (uint8_t)counter;
  memcpy(ctx + 3, aid, aid_len);
  return cf_scp03_kdf(enc, klen, CF_SCP03_CONST_CARD_CHALLENGE, ctx, 3 + aid_len, challenge, 8);
}
