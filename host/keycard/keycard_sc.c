/* Keycard secure channel, host side: session keys, command wrapping, response unwrapping, and the
 * one-shot encryption of INIT / ADD ENTROPY. Construction as the public applet's SecureChannel
 * defines it (AES-256-CBC, ISO 9797-1 M2 padding, AES CBC-MAC chained as the next IV). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"

#define SC_BLOCK 16

/* Opens the channel with the 64 bytes SHA-512 gave (ENC key || MAC key) and the IV after the
 * card's salt; the digest is wiped. */
static int sc_open_with(keycard_client_sc *sc, uint8_t keys[64], const uint8_t *card_resp) {
  memcpy(sc->enc_key, keys, 32);
  memcpy(sc->mac_key, keys + 32, 32);
  memcpy(sc->iv, card_resp + KEYCARD_CLIENT_SECRET_LEN, SC_BLOCK);
  cf_wipe(keys, 64);
  sc->open = true;
  return KEYCARD_CLIENT_OK;
}

int keycard_client_sc_derive(keycard_client_sc *sc, const uint8_t secret[32], const uint8_t pairing_key[32],
                             const uint8_t *card_resp, size_t card_resp_len) {
  if (card_resp_len != KEYCARD_CLIENT_SECRET_LEN + SC_BLOCK) return KEYCARD_CLIENT_EPROTO;
  uint8_t keys[64];
  cf_iov parts[3] = {{secret, 32}, {pairing_key, 32}, {card_resp, KEYCARD_CLIENT_SECRET_LEN}};
  if (cf_sha512_v(parts, 3, keys) != 0) return KEYCARD_CLIENT_EINTERNAL;
  return sc_open_with(sc, keys, card_resp);
}

int keycard_client_sc_derive_with(keycard_client_sc *sc, const uint8_t secret[32],
                                  keycard_client_pairing_digest_fn digest, void *ctx,
                                  const uint8_t *card_resp, size_t card_resp_len) {
  if (card_resp_len != KEYCARD_CLIENT_SECRET_LEN + SC_BLOCK) return KEYCARD_CLIENT_EPROTO;
  /* the same SHA-512(secret || pairing key || salt), computed where the pairing key is; the
   * session keys then live in sc (host memory) until keycard_client_sc_close wipes them */
  uint8_t keys[64];
  if (digest(ctx, secret, card_resp, keys) != 0) {
    cf_wipe(keys, sizeof keys);
    return KEYCARD_CLIENT_EINTERNAL;
  }
  return sc_open_with(sc, keys, card_resp);
}

void keycard_client_sc_close(keycard_client_sc *sc) {
  cf_wipe(sc, sizeof *sc);
  sc->open = false;
}

/* MAC over a 16-byte header block followed by the ciphertext, with a zero IV. */
static int sc_mac(const keycard_client_sc *sc, const uint8_t header[SC_BLOCK], const uint8_t *ct,
                  size_t ct_len, uint8_t out[SC_BLOCK]) {
  uint8_t buf[SC_BLOCK + 256];
  if (ct_len > sizeof buf - SC_BLOCK) return -1;
  memcpy(buf, header, SC_BLOCK);
  memcpy(buf + SC_BLOCK, ct, ct_len);
  return cf_aes_cbc_mac(sc->mac_key, 32, NULL, buf, SC_BLOCK + ct_len, out);
}

int keycard_client_sc_wrap(keycard_client_sc *sc, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                           const uint8_t *plain, size_t len, uint8_t *out, size_t cap, size_t *out_len) {
  if (!sc->open) return KEYCARD_CLIENT_ESTATE;
  if (len > KEYCARD_CLIENT_MAX_PLAIN) return KEYCARD_CLIENT_EARG;
  uint8_t buf[KEYCARD_CLIENT_MAX_PLAIN + SC_BLOCK];
  if (len) memcpy(buf, plain, len);
  size_t padded = cf_pad_iso9797_m2(buf, len, SC_BLOCK, sizeof buf);
  if (padded == 0 || cap < SC_BLOCK + padded) {
    cf_wipe(buf, sizeof buf);
    return KEYCARD_CLIENT_EARG;
  }
  int rc = cf_aes_cbc_encrypt(sc->enc_key, 32, sc->iv, buf, out + SC_BLOCK, padded);
  cf_wipe(buf, sizeof buf);
  if (rc != 0) return KEYCARD_CLIENT_EINTERNAL;
  uint8_t header[SC_BLOCK] = {cla, ins, p1, p2, (uint8_t)(padded + SC_BLOCK)};
  uint8_t mac[SC_BLOCK];
  if (sc_mac(sc, header, out + SC_BLOCK, padded, mac) != 0) return KEYCARD_CLIENT_EINTERNAL;
  memcpy(out, mac, SC_BLOCK);
  memcpy(sc->iv, mac, SC_BLOCK);
  *out_len = SC_BLOCK + padded;
  return KEYCARD_CLIENT_OK;
}

int keycard_client_sc_unwrap(keycard_client_sc *sc, const uint8_t *data, size_t len, uint8_t *plain,
                             size_t cap, size_t *plain_len, uint16_t *inner_sw) {
  if (!sc->open) return KEYCARD_CLIENT_ESTATE;
  /* At least MAC + one block; whole blocks; the header's length byte must hold the size. */
  if (len < 2 * SC_BLOCK || (len - SC_BLOCK) % SC_BLOCK != 0 || len > 255) {
    keycard_client_sc_close(sc);
    return KEYCARD_CLIENT_EPROTO;
  }
  const uint8_t *ct = data + SC_BLOCK;
  size_t ct_len = len - SC_BLOCK;
  uint8_t header[SC_BLOCK] = {(uint8_t)len};
  uint8_t mac[SC_BLOCK];
  if (sc_mac(sc, header, ct, ct_len, mac) != 0) return KEYCARD_CLIENT_EINTERNAL;
  if (!cf_ct_equal(mac, data, SC_BLOCK)) {
    keycard_client_sc_close(sc);
    return KEYCARD_CLIENT_EVERIFY;
  }
  uint8_t buf[256];
  if (cf_aes_cbc_decrypt(sc->enc_key, 32, sc->iv, ct, buf, ct_len) != 0) return KEYCARD_CLIENT_EINTERNAL;
  memcpy(sc->iv, mac, SC_BLOCK);
  long unpadded = cf_unpad_iso9797_m2(buf, ct_len);
  if (unpadded < 2) {
    cf_wipe(buf, sizeof buf);
    keycard_client_sc_close(sc);
    return KEYCARD_CLIENT_EPROTO;
  }
  size_t n = (size_t)unpadded - 2;
  if (n > cap) {
    cf_wipe(buf, sizeof buf);
    return KEYCARD_CLIENT_EARG;
  }
  if (n) memcpy(plain, buf, n);
  *plain_len = n;
  *inner_sw = cf_be16(buf + n);
  cf_wipe(buf, sizeof buf);
  return KEYCARD_CLIENT_OK;
}

int keycard_client_one_shot_encrypt(const uint8_t card_pub[65], const uint8_t host_priv[32],
                                    const uint8_t host_pub[65], const uint8_t *iv, const uint8_t *plain,
                                    size_t len, uint8_t *out, size_t cap, size_t *out_len) {
  uint8_t buf[KEYCARD_CLIENT_MAX_PLAIN + SC_BLOCK];
  if (len > KEYCARD_CLIENT_MAX_PLAIN) return KEYCARD_CLIENT_EARG;
  if (len) memcpy(buf, plain, len);
  size_t padded = cf_pad_iso9797_m2(buf, len, SC_BLOCK, sizeof buf);
  const size_t head = 1 + 65 + SC_BLOCK;
  if (padded == 0 || cap < head + padded || head + padded > 255) {
    cf_wipe(buf, sizeof buf);
    return KEYCARD_CLIENT_EARG;
  }
  uint8_t key[32];
  int rc = KEYCARD_CLIENT_EINTERNAL;
  if (cf_ec_ecdh_x(host_priv, card_pub, 65, key) != 0) goto out;
  out[0] = 65;
  memcpy(out + 1, host_pub, 65);
  if (iv)
    memcpy(out + 66, iv, SC_BLOCK);
  else if (cf_rand(out + 66, SC_BLOCK) != 0)
    goto out;
  if (cf_aes_cbc_encrypt(key, 32, out + 66, buf, out + head, padded) != 0) goto out;
  *out_len = head + padded;
  rc = KEYCARD_CLIENT_OK;
out:
  cf_wipe(key, sizeof key);
  cf_wipe(buf, sizeof buf);
  return rc;
}
