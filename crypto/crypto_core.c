/* Process-wide algorithm cache, per-thread OpenSSL contexts, randomness and memory helpers. */
#include "crypto_internal.h"

#include <cardforge/crypto.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const cipher_names[CF_CIPHER_COUNT] = {
    [CF_CIPHER_AES128_ECB] = "AES-128-ECB", [CF_CIPHER_AES192_ECB] = "AES-192-ECB",
    [CF_CIPHER_AES256_ECB] = "AES-256-ECB", [CF_CIPHER_AES128_CBC] = "AES-128-CBC",
    [CF_CIPHER_AES192_CBC] = "AES-192-CBC", [CF_CIPHER_AES256_CBC] = "AES-256-CBC",
    [CF_CIPHER_DES3_ECB] = "DES-EDE3-ECB",  [CF_CIPHER_DES3_CBC] = "DES-EDE3-CBC",
};

static struct {
  EVP_CIPHER *cipher[CF_CIPHER_COUNT];
  EVP_MD *sha256, *sha512;
  EVP_MAC *hmac, *cmac;
  EVP_KDF *pbkdf2;
  pthread_key_t tls_key;
  bool tls_key_ok;
} g;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

struct cf_crypto_tls {
  EVP_CIPHER_CTX *cipher_ctx;
  /* The cipher cipher_ctx was last initialised with: re-keying the same cipher keeps the
   * provider context instead of freeing and recreating it. */
  const EVP_CIPHER *cipher_loaded;
  EVP_MD_CTX *md_ctx;
  EVP_MAC_CTX *mac[CF_MACCTX_COUNT];
};

static _Thread_local struct cf_crypto_tls *tls;

static void tls_free(void *p) {
  struct cf_crypto_tls *t = p;
  if (!t) return;
  EVP_CIPHER_CTX_free(t->cipher_ctx);
  EVP_MD_CTX_free(t->md_ctx);
  for (int i = 0; i < CF_MACCTX_COUNT; i++)
    EVP_MAC_CTX_free(t->mac[i]);
  free(t);
  /* Runs in the exiting thread itself: a later call from another destructor starts afresh. */
  tls = NULL;
}

/* Algorithms are fetched once and kept for the life of the process: fetching by name takes
 * locks and walks the provider store, far too slow for every card command. */
static void global_init(void) {
  for (int i = 0; i < CF_CIPHER_COUNT; i++)
    g.cipher[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
  g.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  g.sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
  g.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  g.cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
  g.pbkdf2 = EVP_KDF_fetch(NULL, "PBKDF2", NULL);
  g.tls_key_ok = pthread_key_create(&g.tls_key, tls_free) == 0;
}

static void ensure_init(void) {
  pthread_once(&g_once, global_init);
}

const EVP_CIPHER *cf_crypto_cipher(enum cf_cipher_id id) {
  ensure_init();
  return (unsigned)id < CF_CIPHER_COUNT ? g.cipher[id] : NULL;
}

const EVP_MD *cf_crypto_sha256(void) {
  ensure_init();
  return g.sha256;
}

const EVP_MD *cf_crypto_sha512(void) {
  ensure_init();
  return g.sha512;
}

EVP_KDF *cf_crypto_pbkdf2(void) {
  ensure_init();
  return g.pbkdf2;
}

static struct cf_crypto_tls *tls_get(void) {
  if (tls) return tls;
  ensure_init();
  struct cf_crypto_tls *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  /* Registering with the key makes the destructor free the contexts when the thread ends. */
  if (g.tls_key_ok) (void)pthread_setspecific(g.tls_key, t);
  tls = t;
  return t;
}

EVP_MD_CTX *cf_crypto_tls_md_ctx(void) {
  struct cf_crypto_tls *t = tls_get();
  if (!t) return NULL;
  if (!t->md_ctx) t->md_ctx = EVP_MD_CTX_new();
  return t->md_ctx;
}

static EVP_MAC_CTX *mac_ctx_new(enum cf_mac_ctx_id id) {
  static const char *const algo_names[CF_MACCTX_COUNT] = {"SHA256", "SHA512", "AES-128-CBC", "AES-192-CBC",
                                                          "AES-256-CBC"};
  bool is_hmac = id == CF_MACCTX_HMAC_SHA256 || id == CF_MACCTX_HMAC_SHA512;
  EVP_MAC *mac = is_hmac ? g.hmac : g.cmac;
  if (!mac) return NULL;
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
  if (!ctx) return NULL;
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(is_hmac ? OSSL_MAC_PARAM_DIGEST : OSSL_MAC_PARAM_CIPHER,
                                       (char *)algo_names[id], 0),
      OSSL_PARAM_construct_end(),
  };
  if (!EVP_MAC_CTX_set_params(ctx, params)) {
    EVP_MAC_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

EVP_MAC_CTX *cf_crypto_tls_mac_ctx(enum cf_mac_ctx_id id) {
  if ((unsigned)id >= CF_MACCTX_COUNT) return NULL;
  struct cf_crypto_tls *t = tls_get();
  if (!t) return NULL;
  if (!t->mac[id]) t->mac[id] = mac_ctx_new(id);
  return t->mac[id];
}

int cf_crypto_cipher_run(enum cf_cipher_id id, const uint8_t *key, const uint8_t *iv, int enc,
                         const uint8_t *in, uint8_t *out, size_t len) {
  const EVP_CIPHER *cipher = cf_crypto_cipher(id);
  struct cf_crypto_tls *t = tls_get();
  if (!cipher || !t) return -1;
  if (!t->cipher_ctx) {
    t->cipher_ctx = EVP_CIPHER_CTX_new();
    if (!t->cipher_ctx) return -1;
    t->cipher_loaded = NULL;
  }
  EVP_CIPHER_CTX *ctx = t->cipher_ctx;
  const EVP_CIPHER *init_with = cipher == t->cipher_loaded ? NULL : cipher;
  if (!EVP_CipherInit_ex2(ctx, init_with, key, iv, enc, NULL)) goto fail;
  t->cipher_loaded = cipher;
  if (!EVP_CIPHER_CTX_set_padding(ctx, 0)) goto fail;
  size_t done = 0;
  while (done < len) {
    /* EVP lengths are int; split huge inputs on a block boundary (1 GiB is one). */
    size_t chunk = len - done > (1u << 30) ? (1u << 30) : len - done;
    int outl = 0;
    if (!EVP_CipherUpdate(ctx, out + done, &outl, in + done, (int)chunk) || (size_t)outl != chunk) goto fail;
    done += chunk;
  }
  int finl = 0;
  if (!EVP_CipherFinal_ex(ctx, out + done, &finl) || finl != 0) goto fail;
  return 0;
fail:
  /* An error may leave the context half set up: start afresh next time. */
  EVP_CIPHER_CTX_reset(ctx);
  t->cipher_loaded = NULL;
  return -1;
}

bool cf_crypto_des3_key(const uint8_t *key, size_t klen, uint8_t out24[24]) {
  if (!key) return false;
  switch (klen) {
  case 8:
    memcpy(out24, key, 8);
    memcpy(out24 + 8, key, 8);
    memcpy(out24 + 16, key, 8);
    return true;
  case 16:
    memcpy(out24, key, 16);
    memcpy(out24 + 16, key, 8);
    return true;
  case 24:
    memcpy(out24, key, 24);
    return true;
  default:
    return false;
  }
}

int cf_rand(void *buf, size_t len) {
  uint8_t *p = buf;
  if (len && !buf) return -1;
  while (len) {
    int chunk = len > INT_MAX ? INT_MAX : (int)len;
    if (RAND_bytes(p, chunk) != 1) return -1;
    p += chunk;
    len -= (size_t)chunk;
  }
  return 0;
}

void cf_wipe(void *buf, size_t len) {
  if (buf && len) OPENSSL_cleanse(buf, len);
}

bool cf_ct_equal(const void *a, const void *b, size_t len) {
  if (len == 0) return true;
  if (!a || !b) return false;
  return CRYPTO_memcmp(a, b, len) == 0;
}
