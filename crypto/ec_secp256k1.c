/* secp256k1 keys, ECDH and ECDSA over libsecp256k1. */
#include <cardforge/crypto.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#include <pthread.h>
#include <string.h>

static secp256k1_context *g_ctx;
static pthread_once_t g_ctx_once = PTHREAD_ONCE_INIT;

/* libsecp256k1 aborts on API misuse by default. Inputs are checked before every call, but a
 * call that slips through must fail (the function returns 0) rather than kill the card. */
static void ignore_illegal_argument(const char *msg, void *data) {
  (void)msg;
  (void)data;
}

/* One context for the process, randomized once: blinding protects key generation and signing
 * against side channels, and a context is safe to share between threads once set up. */
static void ctx_init(void) {
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (!ctx) return;
  secp256k1_context_set_illegal_callback(ctx, ignore_illegal_argument, NULL);
  uint8_t seed[32];
  int ok = cf_rand(seed, sizeof seed) == 0 && secp256k1_context_randomize(ctx, seed);
  cf_wipe(seed, sizeof seed);
  if (!ok) {
    secp256k1_context_destroy(ctx);
    return;
  }
  g_ctx = ctx;
}

static const secp256k1_context *ec_ctx(void) {
  pthread_once(&g_ctx_once, ctx_init);
  return g_ctx;
}

/* Only the standard encodings: 02/03 || X or 04 || X || Y. libsecp256k1 would also take the
 * "hybrid" 06/07 form, which no protocol here sends. */
static bool parse_pub(const secp256k1_context *ctx, const uint8_t *pub, size_t len, secp256k1_pubkey *out) {
  if (!pub) return false;
  if (!((len == 33 && (pub[0] == 0x02 || pub[0] == 0x03)) || (len == 65 && pub[0] == 0x04))) return false;
  return secp256k1_ec_pubkey_parse(ctx, out, pub, len) == 1;
}

static void serialize_pub(const secp256k1_context *ctx, const secp256k1_pubkey *pk, uint8_t *out,
                          size_t len) {
  size_t outlen = len;
  (void)secp256k1_ec_pubkey_serialize(ctx, out, &outlen, pk,
                                      len == 65 ? SECP256K1_EC_UNCOMPRESSED : SECP256K1_EC_COMPRESSED);
}

bool cf_ec_priv_valid(const uint8_t priv[32]) {
  const secp256k1_context *ctx = ec_ctx();
  return ctx && priv && secp256k1_ec_seckey_verify(ctx, priv) == 1;
}

int cf_ec_pub_from_priv(const uint8_t priv[32], uint8_t pub[65]) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_pubkey pk;
  if (!ctx || !priv || !pub || !secp256k1_ec_pubkey_create(ctx, &pk, priv)) return -1;
  serialize_pub(ctx, &pk, pub, 65);
  return 0;
}

int cf_ec_keygen(uint8_t priv[32], uint8_t pub[65]) {
  if (!priv || !pub || !ec_ctx()) return -1;
  /* A random 32-byte string is a valid key except with probability about 2^-128. */
  for (int attempt = 0; attempt < 16; attempt++) {
    if (cf_rand(priv, 32) != 0) break;
    if (cf_ec_priv_valid(priv)) return cf_ec_pub_from_priv(priv, pub);
  }
  cf_wipe(priv, 32);
  return -1;
}

int cf_ec_pub_normalize(const uint8_t *pub, size_t len, uint8_t out65[65], uint8_t out33[33]) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_pubkey pk;
  if (!ctx || !parse_pub(ctx, pub, len, &pk)) return -1;
  if (out65) serialize_pub(ctx, &pk, out65, 65);
  if (out33) serialize_pub(ctx, &pk, out33, 33);
  return 0;
}

static int ecdh_copy_x(unsigned char *output, const unsigned char *x32, const unsigned char *y32,
                       void *data) {
  (void)y32;
  (void)data;
  memcpy(output, x32, 32);
  return 1;
}

int cf_ec_ecdh_x(const uint8_t priv[32], const uint8_t *peer, size_t peer_len, uint8_t out[32]) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_pubkey pk;
  if (!ctx || !priv || !out || !parse_pub(ctx, peer, peer_len, &pk)) return -1;
  uint8_t x[32];
  int ok = secp256k1_ecdh(ctx, x, &pk, priv, ecdh_copy_x, NULL);
  if (ok) memcpy(out, x, 32);
  cf_wipe(x, sizeof x);
  return ok ? 0 : -1;
}

int cf_ec_sign(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig64[64], int *recid) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_ecdsa_recoverable_signature sig;
  if (!ctx || !priv || !hash || !sig64) return -1;
  /* NULL nonce function = RFC 6979; the library always emits the low-S form and adjusts the
   * recovery id to match. */
  if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, hash, priv, NULL, NULL)) return -1;
  int id = 0;
  (void)secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig64, &id, &sig);
  if (recid) *recid = id;
  return 0;
}

static bool is_zero32(const uint8_t *p) {
  uint8_t acc = 0;
  for (int i = 0; i < 32; i++)
    acc |= p[i];
  return acc == 0;
}

size_t cf_ec_sig_to_der(const uint8_t sig64[64], uint8_t *der, size_t cap) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_ecdsa_signature sig;
  if (!ctx || !sig64 || !der || is_zero32(sig64) || is_zero32(sig64 + 32)) return 0;
  if (!secp256k1_ecdsa_signature_parse_compact(ctx, &sig, sig64)) return 0;
  size_t len = cap;
  if (!secp256k1_ecdsa_signature_serialize_der(ctx, der, &len, &sig)) return 0;
  return len;
}

int cf_ec_sig_from_der(const uint8_t *der, size_t len, uint8_t sig64[64]) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_ecdsa_signature sig;
  if (!ctx || !der || !sig64 || !secp256k1_ecdsa_signature_parse_der(ctx, &sig, der, len)) return -1;
  uint8_t tmp[64];
  (void)secp256k1_ecdsa_signature_serialize_compact(ctx, tmp, &sig);
  /* The parser turns r or s >= n into zero: such a signature is not one. */
  if (is_zero32(tmp) || is_zero32(tmp + 32)) return -1;
  memcpy(sig64, tmp, 64);
  return 0;
}

bool cf_ec_verify(const uint8_t *pub, size_t pub_len, const uint8_t hash[32], const uint8_t sig64[64]) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_pubkey pk;
  secp256k1_ecdsa_signature sig;
  if (!ctx || !hash || !sig64 || !parse_pub(ctx, pub, pub_len, &pk)) return false;
  if (!secp256k1_ecdsa_signature_parse_compact(ctx, &sig, sig64)) return false;
  /* libsecp256k1 rejects high S to stop malleability; plain ECDSA (other cards, other
   * signers) accepts both halves, so compare in the low-S form. */
  (void)secp256k1_ecdsa_signature_normalize(ctx, &sig, &sig);
  return secp256k1_ecdsa_verify(ctx, &sig, hash, &pk) == 1;
}

int cf_ec_recover(const uint8_t hash[32], const uint8_t sig64[64], int recid, uint8_t pub[65]) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_ecdsa_recoverable_signature sig;
  secp256k1_pubkey pk;
  if (!ctx || !hash || !sig64 || !pub || recid < 0 || recid > 3) return -1;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, sig64, recid)) return -1;
  if (!secp256k1_ecdsa_recover(ctx, &pk, &sig, hash)) return -1;
  serialize_pub(ctx, &pk, pub, 65);
  return 0;
}

int cf_ec_priv_tweak_add(uint8_t priv[32], const uint8_t tweak[32]) {
  const secp256k1_context *ctx = ec_ctx();
  if (!ctx || !priv || !tweak || !secp256k1_ec_seckey_verify(ctx, priv)) return -1;
  /* Work on a copy: on failure the library leaves its argument unspecified, and the caller's
   * key must stay as it was. */
  uint8_t tmp[32];
  memcpy(tmp, priv, 32);
  int ok = secp256k1_ec_seckey_tweak_add(ctx, tmp, tweak);
  if (ok) memcpy(priv, tmp, 32);
  cf_wipe(tmp, sizeof tmp);
  return ok ? 0 : -1;
}

int cf_ec_pub_tweak_add(uint8_t pub65[65], const uint8_t tweak[32]) {
  const secp256k1_context *ctx = ec_ctx();
  secp256k1_pubkey pk;
  if (!ctx || !tweak || !parse_pub(ctx, pub65, 65, &pk)) return -1;
  if (!secp256k1_ec_pubkey_tweak_add(ctx, &pk, tweak)) return -1;
  serialize_pub(ctx, &pk, pub65, 65);
  return 0;
}
