/* SCP02 (GP Card Specification 2.3.1 Annex E): session keys, cryptograms, card challenge. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/scp.h"

int cf_scp02_derive(const uint8_t key[16], uint16_t constant, uint16_t counter, uint8_t out[16]) {
  static const uint8_t zero_iv[8];
  uint8_t block[16] = {0};
  cf_put_be16(block, constant);
  cf_put_be16(block + 2, counter);
  return cf_des3_cbc_encrypt(key, 16, zero_iv, block, out, 16);
}

int cf_scp02_session_init(cf_scp_session *s, const cf_scp_keys *k, uint16_t counter, uint8_t i) {
  if (k->klen != 16) return -1;
  memset(s, 0, sizeof *s);
  s->scp = 0x02;
  s->i = i;
  s->klen = 16;
  s->dek_len = 16;
  /* With one base key ("i" b1 = 0) every session key comes from the ENC slot. */
  const uint8_t *mac = (i & CF_SCP02_I_3KEYS) ? k->mac : k->enc;
  const uint8_t *dek = (i & CF_SCP02_I_3KEYS) ? k->dek : k->enc;
  if (cf_scp02_derive(k->enc, CF_SCP02_CONST_ENC, counter, s->s_enc) != 0 ||
      cf_scp02_derive(mac, CF_SCP02_CONST_CMAC, counter, s->s_mac) != 0 ||
      cf_scp02_derive(mac, CF_SCP02_CONST_RMAC, counter, s->s_rmac) != 0 ||
      cf_scp02_derive(dek, CF_SCP02_CONST_DEK, counter, s->dek) != 0) {
    cf_scp_session_wipe(s);
    return -1;
  }
  return 0;
}

int cf_scp02_cryptograms(const cf_scp_session *s, const uint8_t host_challenge[8], uint16_t counter,
                         const uint8_t card_challenge[6], uint8_t card_cryptogram[8],
                         uint8_t host_cryptogram[8]) {
  uint8_t in[16];
  if (card_cryptogram) {
    memcpy(in, host_challenge, 8);
    cf_put_be16(in + 8, counter);
    memcpy(in + 10, card_challenge, 6);
    if (cf_mac_alg1_des(s->s_enc, 16, NULL, in, 16, card_cryptogram) != 0) return -1;
  }
  if (host_cryptogram) {
    cf_put_be16(in, counter);
    memcpy(in + 2, card_challenge, 6);
    memcpy(in + 8, host_challenge, 8);
    if (cf_mac_alg1_des(s->s_enc, 16, NULL, in, 16, host_cryptogram) != 0) return -1;
  }
  return 0;
}

int cf_scp02_pseudo_challenge(const cf_scp_session *s, const uint8_t *aid, size_t aid_len,
                              uint8_t challenge[6]) {
  uint8_t mac[8];
  if (cf_mac_alg3(s->s_mac, NULL, aid, aid_len, mac) != 0) return -1;
  memcpy(challenge, mac, 6);
  return 0;
}
