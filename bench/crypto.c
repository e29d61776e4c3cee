/* The floor itself: what each cryptographic primitive costs on this machine, through the crypto
 * module's wrappers (include/cardforge/crypto.h) and called raw on libcrypto / libsecp256k1
 * (bench_floor.h). The ratio column is the wrappers' own overhead. */
#include "bench_floor.h"
#include "bench_harness.h"

#include "cardforge/crypto.h"

static const char usage[] =
    "usage: bench_crypto [options]\n"
    "Cost of each cryptographic primitive: crypto.h wrapper (op) against the raw library "
    "call (floor).\n";

typedef struct prim_ctx {
  uint8_t key[32], iv[16], priv[32], pub[65], peer_priv[32], peer_pub[65], hash[32], sig[64];
  int recid;
  uint8_t in[512], out[512];
  size_t len;
} prim_ctx;

static prim_ctx P;

/* ---- wrapper side ---- */
static int w_ecdh(void *c) {
  return cf_ec_ecdh_x(P.priv, P.peer_pub, 65, P.out);
}
static int w_keygen(void *c) {
  return cf_ec_keygen(P.out, P.out + 32);
}
static int w_sign(void *c) {
  return cf_ec_sign(P.priv, P.hash, P.out, &P.recid);
}
static int w_recover(void *c) {
  return cf_ec_recover(P.hash, P.sig, P.recid, P.out);
}
static int w_sha512(void *c) {
  return cf_sha512(P.in, P.len, P.out);
}
static int w_sha256(void *c) {
  return cf_sha256(P.in, P.len, P.out);
}
static int w_aes256_cbc(void *c) {
  return cf_aes_cbc_encrypt(P.key, 32, P.iv, P.in, P.out, P.len);
}
static int w_aes128_ecb(void *c) {
  return cf_aes_ecb_encrypt(P.key, 16, P.in, P.out, P.len);
}
static int w_cmac(void *c) {
  return cf_aes_cmac(P.key, 16, P.in, P.len, P.out);
}
static int w_des3_ecb(void *c) {
  return cf_des3_ecb_encrypt(P.key, 16, P.in, P.out, P.len);
}
static int w_des3_cbc(void *c) {
  return cf_des3_cbc_encrypt(P.key, 16, P.iv, P.in, P.out, P.len);
}
static int w_retail(void *c) {
  return cf_mac_alg3(P.key, P.iv, P.in, P.len, P.out);
}
static int w_rand4(void *c) {
  return cf_rand(P.out, 4);
}
static int w_pbkdf2_256(void *c) {
  return cf_pbkdf2_sha256("KeycardDefaultPairing", 21, "Keycard Pairing Password Salt", 29, 50000, P.out, 32);
}
static int w_pbkdf2_512(void *c) {
  static const char mnemonic[] = "abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                                 "abandon abandon about";
  return cf_pbkdf2_sha512(mnemonic, sizeof mnemonic - 1, "mnemonic", 8, 2048, P.out, 64);
}

/* ---- raw side ---- */
static int r_ecdh(void *c) {
  floor_ecdh(P.priv, P.peer_pub, P.out);
  return 0;
}
static int r_keygen(void *c) {
  floor_ec_keygen(P.out, P.out + 32);
  return 0;
}
static int r_sign(void *c) {
  int recid;
  floor_ecdsa_sign(P.priv, P.hash, P.out, &recid);
  return 0;
}
static int r_recover(void *c) {
  floor_ecdsa_recover(P.hash, P.sig, P.recid, P.out);
  return 0;
}
static int r_sha512(void *c) {
  floor_sha512(P.in, P.len, P.out);
  return 0;
}
static int r_sha256(void *c) {
  floor_sha256(P.in, P.len, P.out);
  return 0;
}
static int r_aes256_cbc(void *c) {
  floor_aes_cbc(P.key, 32, P.iv, 1, P.in, P.out, P.len);
  return 0;
}
static int r_aes128_ecb(void *c) {
  floor_aes_ecb(P.key, 16, 1, P.in, P.out, P.len);
  return 0;
}
static int r_cmac(void *c) {
  floor_aes_cmac(P.key, 16, P.in, P.len, P.out);
  return 0;
}
static int r_des3_ecb(void *c) {
  floor_des3(P.key, false, NULL, 1, P.in, P.out, P.len);
  return 0;
}
static int r_des3_cbc(void *c) {
  floor_des3(P.key, true, P.iv, 1, P.in, P.out, P.len);
  return 0;
}
/* The wrapper pads (method 2) itself; the raw side gets the padded message. */
static int r_retail(void *c) {
  uint8_t padded[520];
  size_t n = P.len;
  memcpy(padded, P.in, n);
  padded[n++] = 0x80;
  while (n % 8)
    padded[n++] = 0;
  floor_retail_mac(P.key, P.iv, padded, n, P.out);
  return 0;
}
static int r_rand4(void *c) {
  return RAND_bytes(P.out, 4) == 1 ? 0 : -1;
}
static int r_pbkdf2_256(void *c) {
  floor_pbkdf2_sha256("KeycardDefaultPairing", "Keycard Pairing Password Salt", 50000, P.out, 32);
  return 0;
}
static int r_pbkdf2_512(void *c) {
  floor_pbkdf2_sha512(
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
      "mnemonic", 2048, P.out, 64);
  return 0;
}

typedef struct prim {
  const char *name;
  size_t len;
  bench_fn wrapper, raw;
} prim;

int main(int argc, char **argv) {
  bench_cfg cfg;
  bench_parse(&cfg, "bench_crypto", usage, argc, argv, NULL, NULL);
  for (size_t i = 0; i < sizeof P.in; i++)
    P.in[i] = (uint8_t)(i * 7 + 1);
  for (int i = 0; i < 32; i++)
    P.key[i] = (uint8_t)(0x40 + i);
  memset(P.iv, 0, sizeof P.iv);
  floor_init();
  floor_ec_keygen(P.priv, P.pub);
  floor_ec_keygen(P.peer_priv, P.peer_pub);
  floor_sha256("hash me", 7, P.hash);
  floor_ecdsa_sign(P.priv, P.hash, P.sig, &P.recid);
  const prim prims[] = {
      {"crypto secp256k1 ECDH", 0, w_ecdh, r_ecdh},
      {"crypto secp256k1 key pair", 0, w_keygen, r_keygen},
      {"crypto secp256k1 ECDSA sign", 0, w_sign, r_sign},
      {"crypto secp256k1 ECDSA recover", 0, w_recover, r_recover},
      {"crypto SHA-512 96 B", 96, w_sha512, r_sha512},
      {"crypto SHA-256 64 B", 64, w_sha256, r_sha256},
      {"crypto AES-256-CBC 16 B", 16, w_aes256_cbc, r_aes256_cbc},
      {"crypto AES-256-CBC 256 B", 256, w_aes256_cbc, r_aes256_cbc},
      {"crypto AES-128-ECB 16 B", 16, w_aes128_ecb, r_aes128_ecb},
      {"crypto AES-128-CMAC 37 B", 37, w_cmac, r_cmac},
      {"crypto 3DES-ECB 16 B", 16, w_des3_ecb, r_des3_ecb},
      {"crypto 3DES-CBC 256 B", 256, w_des3_cbc, r_des3_cbc},
      {"crypto retail MAC (9797-1 alg 3) 36 B", 36, w_retail, r_retail},
      {"crypto random 4 B (GET CHALLENGE)", 0, w_rand4, r_rand4},
      {"crypto PBKDF2-SHA256 x50000 (Keycard pairing)", 0, w_pbkdf2_256, r_pbkdf2_256},
      {"crypto PBKDF2-SHA512 x2048 (BIP39 seed)", 0, w_pbkdf2_512, r_pbkdf2_512},
  };
  if (!cfg.list) bench_header();
  int rc = 0;
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
    if (!bench_selected(&cfg, prims[i].name)) continue;
    P.len = prims[i].len;
    const char *note = strstr(prims[i].name, "retail") && !floor_has_single_des()
                           ? "floor single DES emulated by DES-EDE3 K-K-K (no legacy provider)"
                           : "op = crypto.h wrapper; floor = raw library call";
    if (bench_run(&cfg, prims[i].name, "inproc", "call", prims[i].wrapper, NULL, prims[i].raw, NULL, NULL,
                  note) != 0)
      rc = 3;
  }
  return rc;
}
