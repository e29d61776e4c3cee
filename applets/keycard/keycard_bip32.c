/* BIP32 private derivation on top of the crypto wrappers (HMAC-SHA512, secp256k1 tweaks). */
#include <string.h>

#include "cardforge/crypto.h"
#include "keycard_internal.h"

static const char kc_bip32_seed_key[] = "Bitcoin seed";

int kc_bip32_master(const uint8_t *seed, size_t len, uint8_t priv[32], uint8_t chain[32]) {
  uint8_t i[64];
  if (cf_hmac_sha512(kc_bip32_seed_key, sizeof kc_bip32_seed_key - 1, seed, len, i) != 0) return -1;
  int rc = cf_ec_priv_valid(i) ? 0 : -1;
  if (rc == 0) {
    memcpy(priv, i, 32);
    memcpy(chain, i + 32, 32);
  }
  cf_wipe(i, sizeof i);
  return rc;
}

/* CKDpriv along path (4-byte big-endian indexes, bit 31 = hardened). A child whose I_L is not
 * below n or whose key is zero makes the whole derivation fail, as BIP32 says. */
int kc_bip32_derive(const uint8_t priv[32], const uint8_t chain[32], const uint8_t *path, size_t path_len,
                    uint8_t out_priv[32], uint8_t out_chain[32]) {
  if (path_len % 4 != 0) return -1;
  uint8_t k[32], c[32], data[37], i[64];
  memcpy(k, priv, 32);
  memcpy(c, chain, 32);
  int rc = 0;
  for (size_t off = 0; off < path_len && rc == 0; off += 4) {
    if (path[off] & 0x80) {
      data[0] = 0;
      memcpy(data + 1, k, 32);
    } else {
      uint8_t pub[65];
      rc = cf_ec_pub_from_priv(k, pub) == 0 && cf_ec_pub_normalize(pub, 65, NULL, data) == 0 ? 0 : -1;
      if (rc != 0) break;
    }
    memcpy(data + 33, path + off, 4);
    if (cf_hmac_sha512(c, 32, data, sizeof data, i) != 0 || cf_ec_priv_tweak_add(k, i) != 0) {
      rc = -1;
      break;
    }
    memcpy(c, i + 32, 32);
  }
  if (rc == 0) {
    memcpy(out_priv, k, 32);
    memcpy(out_chain, c, 32);
  }
  cf_wipe(k, sizeof k);
  cf_wipe(c, sizeof c);
  cf_wipe(data, sizeof data);
  cf_wipe(i, sizeof i);
  return rc;
}
