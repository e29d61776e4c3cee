/* China Mobile key-management constructions on top of the crypto.h wrappers (the profile and its
 * worked examples: docs/cmcc-profile.md). */
#include <cardforge/cmcc_crypto.h>
#include <cardforge/crypto.h>

#include <string.h>

int cmcc_diversify8(const uint8_t key[16], const uint8_t factor[8], uint8_t out[16]) {
  uint8_t blocks[16];
  if (!key || !factor || !out) return -1;
  memcpy(blocks, factor, 8);
  for (int i = 0; i < 8; i++)
    blocks[8 + i] = (uint8_t)~factor[i];
  int rc = cf_des3_ecb_encrypt(key, 16, blocks, out, 16);
  cf_wipe(blocks, sizeof blocks);
  return rc;
}

int cmcc_diversify16(const uint8_t key[16], const uint8_t factor[16], uint8_t out[16]) {
  if (!key || !factor || !out) return -1;
  return cf_des3_ecb_encrypt(key, 16, factor, out, 16);
}

int cmcc_diversify_levels(const uint8_t key[16], const uint8_t *factors, size_t levels, size_t factor_len,
                          uint8_t out[16]) {
  uint8_t k[16];
  if (!key || !out || levels > CMCC_MAX_LEVELS || (factor_len != 8 && factor_len != 16) ||
      (levels && !factors))
    return -1;
  memcpy(k, key, 16);
  int rc = 0;
  /* The command lists the factors with level 1 last, and level 1 applies to the stored key. */
  for (size_t level = 1; level <= levels && rc == 0; level++) {
    const uint8_t *f = factors + (levels - level) * factor_len;
    rc = factor_len == 8 ? cmcc_diversify8(k, f, k) : cmcc_diversify16(k, f, k);
  }
  if (rc == 0) memcpy(out, k, 16);
  cf_wipe(k, sizeof k);
  return rc;
}

int cmcc_session_key(const uint8_t key[16], const uint8_t random[4], uint8_t out[16]) {
  uint8_t factor[8] = {0, 0, 0, 0, 0x80, 0, 0, 0};
  if (!random) return -1;
  memcpy(factor, random, 4);
  return cmcc_diversify8(key, factor, out);
}

int cmcc_generated_key(const uint8_t seed[16], const uint8_t tvia[4], uint8_t out[16]) {
  uint8_t factor[8] = {0};
  if (!tvia) return -1;
  memcpy(factor, tvia, 4);
  return cmcc_diversify8(seed, factor, out);
}

void cmcc_mac_iv(const uint8_t *random, uint8_t iv[8]) {
  memset(iv, 0, 8);
  if (random) memcpy(iv, random, 4);
}

int cmcc_mac(cmcc_mac_alg alg, const uint8_t key[16], const uint8_t *iv, const void *data, size_t len,
             uint8_t mac[4]) {
  uint8_t block[8];
  int rc;
  if (!key || !mac) return -1;
  if (alg == CMCC_MAC_919)
    rc = cf_mac_alg3(key, iv, data, len, block);
  else if (alg == CMCC_MAC_99)
    rc = cf_mac_alg1_des(key, 8, iv, data, len, block);
  else
    return -1;
  if (rc == 0) memcpy(mac, block, 4);
  cf_wipe(block, sizeof block);
  return rc;
}

int cmcc_command_mac(cmcc_mac_alg alg, const uint8_t key[16], const uint8_t *random, const uint8_t cipp[4],
                     const uint8_t *body, size_t body_len, uint8_t mac[4]) {
  uint8_t buf[5 + 251], iv[8];
  if (!cipp || body_len > 251 || (body_len && !body)) return -1;
  memcpy(buf, cipp, 4);
  buf[4] = (uint8_t)(body_len + 4);
  if (body_len) memcpy(buf + 5, body, body_len);
  cmcc_mac_iv(random, iv);
  int rc = cmcc_mac(alg, key, iv, buf, 5 + body_len, mac);
  cf_wipe(buf, sizeof buf);
  return rc;
}

int cmcc_encrypt(const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                 size_t *out_len) {
  if (!key || !out || !out_len || (len && !in)) return -1;
  size_t padded = len + 8 - len % 8;
  if (padded > cap) return -1;
  if (len) memmove(out, in, len);
  if (cf_pad_iso9797_m2(out, len, 8, cap) != padded) return -1;
  if (cf_des3_ecb_encrypt(key, 16, out, out, padded) != 0) {
    cf_wipe(out, padded);
    return -1;
  }
  *out_len = padded;
  return 0;
}

int cmcc_decrypt(const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                 size_t *out_len) {
  if (!key || !in || !out || !out_len || len == 0 || len % 8 || len > cap) return -1;
  if (cf_des3_ecb_decrypt(key, 16, in, out, len) != 0) return -1;
  long plain = cf_unpad_iso9797_m2(out, len);
  if (plain < 0) {
    cf_wipe(out, len);
    return -2;
  }
  *out_len = (size_t)plain;
  return 0;
}

int cmcc_ext_auth_data(const uint8_t key[16], const uint8_t random[4], uint8_t out[8]) {
  uint8_t block[8] = {0};
  if (!random) return -1;
  memcpy(block, random, 4);
  return cf_des3_ecb_encrypt(key, 16, block, out, 8);
}

int cmcc_key_record_encrypt(const uint8_t key[16], const uint8_t attrs[11], const uint8_t value[16],
                            uint8_t out[32]) {
  uint8_t plain[CMCC_RECORD_PLAIN_LEN];
  size_t len = 0;
  if (!attrs || !value) return -1;
  plain[0] = CMCC_RECORD_LEN_BYTE;
  memcpy(plain + 1, attrs, CMCC_ATTR_LEN);
  memcpy(plain + 1 + CMCC_ATTR_LEN, value, CMCC_KEY_LEN);
  int rc = cmcc_encrypt(key, plain, sizeof plain, out, CMCC_RECORD_CIPHER_LEN, &len);
  cf_wipe(plain, sizeof plain);
  return rc == 0 && len == CMCC_RECORD_CIPHER_LEN ? 0 : -1;
}

int cmcc_key_record_decrypt(const uint8_t key[16], const uint8_t in[32], uint8_t attrs[11],
                            uint8_t value[16]) {
  static const uint8_t tail[4] = {0x80, 0, 0, 0};
  uint8_t plain[CMCC_RECORD_CIPHER_LEN];
  if (!key || !in || !attrs || !value) return -1;
  if (cf_des3_ecb_decrypt(key, 16, in, plain, sizeof plain) != 0) return -1;
  int rc = CMCC_RECORD_OK;
  if (plain[0] != CMCC_RECORD_LEN_BYTE)
    rc = CMCC_RECORD_BAD_LENGTH;
  else if (memcmp(plain + CMCC_RECORD_PLAIN_LEN, tail, sizeof tail) != 0)
    rc = CMCC_RECORD_BAD_PADDING;
  if (rc == CMCC_RECORD_OK) {
    memcpy(attrs, plain + 1, CMCC_ATTR_LEN);
    memcpy(value, plain + 1 + CMCC_ATTR_LEN, CMCC_KEY_LEN);
  }
  cf_wipe(plain, sizeof plain);
  return rc;
}

int cmcc_wrap(const uint8_t key[16], cmcc_mac_alg alg, const uint8_t *random, const uint8_t cipp[4],
              const uint8_t *plain, size_t plain_len, uint8_t *cipher, size_t cap, size_t *cipher_len,
              uint8_t mac[4]) {
  size_t len = 0;
  if (!cipher_len || !mac) return -1;
  if (cmcc_encrypt(key, plain, plain_len, cipher, cap, &len) != 0) return -1;
  if (len > 251 || cmcc_command_mac(alg, key, random, cipp, cipher, len, mac) != 0) {
    cf_wipe(cipher, len);
    return -1;
  }
  *cipher_len = len;
  return 0;
}

int cmcc_unwrap(const uint8_t key[16], cmcc_mac_alg alg, const uint8_t *random, const uint8_t cipp[4],
                const uint8_t *cipher, size_t cipher_len, const uint8_t mac[4], uint8_t *plain, size_t cap,
                size_t *plain_len) {
  uint8_t expect[4];
  if (!cipher || !mac || !plain || !plain_len || cipher_len == 0 || cipher_len % 8 || cipher_len > 248 ||
      cipher_len > cap)
    return -1;
  if (cmcc_command_mac(alg, key, random, cipp, cipher, cipher_len, expect) != 0) return -1;
  bool ok = cf_ct_equal(expect, mac, 4);
  cf_wipe(expect, sizeof expect);
  if (!ok) return CMCC_UNWRAP_BAD_MAC;
  int rc = cmcc_decrypt(key, cipher, cipher_len, plain, cap, plain_len);
  if (rc == -2) return CMCC_UNWRAP_BAD_PADDING;
  return rc == 0 ? CMCC_UNWRAP_OK : -1;
}

void cmcc_terminal_factor(uint8_t sub_app_index, uint8_t key_version, uint8_t factor[8]) {
  factor[0] = sub_app_index;
  factor[1] = key_version;
  factor[2] = 0x80;
  memset(factor + 3, 0, 5);
}
