/* Process-wide algorithm cache, per-thread OpenSSL contexts, randomness and memory helpers. */
#include "crypto_internal.h"

#include <cardforge/crypto.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/provider.h>
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
    [CF_CIPHER_DES_ECB] = "DES-ECB",        [CF_CIPHER_DES_CBC] = "DES-CBC",
};

static struct {
  EVP_CIPHER *cipher[CF_CIPHER_COUNT];
  EVP_MD *sha256, *sha512;
  EVP_MAC *hmac, *cmac;
  EVP_KDF *pbkdf2;
  /* OpenSSL 3 keeps single DES in its legacy provider. It is loaded into a library context of
   * our own, so the rest of the process (and its default algorithm choices) never sees it. */
  OSSL_LIB_CTX *legacy_ctx;
  OSSL_PROVIDER *legacy;
  pthread_key_t tls_key;
  bool tls_key_ok;
} g;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* cf_rand serves requests of up to CF_RAND_POOL_MAX bytes from a per-thread pool (see there). */
#define CF_RAND_POOL_LEN 512
#define CF_RAND_POOL_MAX 64

struct cf_crypto_tls {
  /* One context per cipher, bound to its algorithm with padding off once: later passes only
   * re-key it, with no provider context to recreate and no padding parameter to look up. */
  EVP_CIPHER_CTX *cipher_ctx[CF_CIPHER_COUNT];
  EVP_MD_CTX *md_ctx;
  EVP_MAC_CTX *mac[CF_MACCTX_COUNT];
  size_t rand_left; /* unserved bytes, at the end of rand_pool */
  uint8_t rand_pool[CF_RAND_POOL_LEN];
};

static _Thread_local struct cf_crypto_tls *tls;

static void tls_free(void *p) {
  struct cf_crypto_tls *t = p;
  if (!t) return;
  for (int i = 0; i < CF_CIPHER_COUNT; i++)
    EVP_CIPHER_CTX_free(t->cipher_ctx[i]);
  EVP_MD_CTX_free(t->md_ctx);
  for (int i = 0; i < CF_MACCTX_COUNT; i++)
    EVP_MAC_CTX_free(t->mac[i]);
  OPENSSL_cleanse(t->rand_pool, sizeof t->rand_pool);
  free(t);
  /* Runs in the exiting thread itself: a later call from another destructor starts afresh. */
  tls = NULL;
}

/* In a child process only the thread that called fork() exists, and this handler runs in it:
 * forgetting that thread's pool is enough for the child never to serve bytes its parent also
 * serves (or served). The other threads' pools vanish with the threads. */
static void rand_pool_forget_in_child(void) {
  if (tls) {
    OPENSSL_cleanse(tls->rand_pool, sizeof tls->rand_pool);
    tls->rand_left = 0;
  }
}

static void legacy_des_init(void) {
  /* A missing legacy module is not an error (single DES then runs as K,K,K): keep its failure
   * off the error queue, where it would mislead whoever reports the next OpenSSL error. */
  ERR_set_mark();
  g.legacy_ctx = OSSL_LIB_CTX_new();
  if (g.legacy_ctx) g.legacy = OSSL_PROVIDER_load(g.legacy_ctx, "legacy");
  if (g.legacy) {
    g.cipher[CF_CIPHER_DES_ECB] = EVP_CIPHER_fetch(g.legacy_ctx, cipher_names[CF_CIPHER_DES_ECB], NULL);
    g.cipher[CF_CIPHER_DES_CBC] = EVP_CIPHER_fetch(g.legacy_ctx, cipher_names[CF_CIPHER_DES_CBC], NULL);
  }
  if (!g.cipher[CF_CIPHER_DES_ECB] || !g.cipher[CF_CIPHER_DES_CBC]) {
    EVP_CIPHER_free(g.cipher[CF_CIPHER_DES_ECB]);
    EVP_CIPHER_free(g.cipher[CF_CIPHER_DES_CBC]);
    g.cipher[CF_CIPHER_DES_ECB] = g.cipher[CF_CIPHER_DES_CBC] = NULL;
    if (g.legacy) OSSL_PROVIDER_unload(g.legacy);
    OSSL_LIB_CTX_free(g.legacy_ctx);
    g.legacy = NULL;
    g.legacy_ctx = NULL;
  }
  ERR_pop_to_mark();
}

/* Algorithms are fetched once and kept for the life of the process: fetching by name takes
 * locks and walks the provider store, far too slow for every card command. */
static void global_init(void) {
  for (int i = 0; i <= CF_CIPHER_DES3_CBC; i++)
    g.cipher[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
  legacy_des_init();
  g.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  g.sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
  g.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  g.cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
  g.pbkdf2 = EVP_KDF_fetch(NULL, "PBKDF2", NULL);
  g.tls_key_ok = pthread_key_create(&g.tls_key, tls_free) == 0;
  /* before any pool exists: pools live in the per-thread state, made after this */
  (void)pthread_atfork(NULL, NULL, rand_pool_forget_in_child);
}

static void ensure_init(void) {
  pthread_once(&g_once, global_init);
}

const EVP_CIPHER *cf_crypto_cipher(enum cf_cipher_id id) {
  ensure_init();
  return (unsigned)id < CF_CIPHER_COUNT ? g.cipher[id] : NULL;
}

bool cf_crypto_has_single_des(void) {
  ensure_init();
  return g.cipher[CF_CIPHER_DES_CBC] != NULL;
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
  EVP_CIPHER_CTX *ctx = t->cipher_ctx[id];
  if (!ctx) {
    /* The algorithm and the padding setting survive every later re-keying of the context. */
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return -1;
    if (!EVP_CipherInit_ex2(ctx, cipher, NULL, NULL, enc, NULL) || !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
      EVP_CIPHER_CTX_free(ctx);
      return -1;
    }
    t->cipher_ctx[id] = ctx;
  }
  if (!EVP_CipherInit_ex2(ctx, NULL, key, iv, enc, NULL)) goto fail;
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
  /* An error may leave the context half set up: the next call starts from a new one. */
  EVP_CIPHER_CTX_free(ctx);
  t->cipher_ctx[id] = NULL;
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

/* Small requests (challenges, nonces, keys: up to 64 bytes) come from a per-thread pool of
 * RAND_bytes output, refilled 512 bytes at a time. OpenSSL 3.0's DRBG costs ~6,700 instructions
 * per call whatever the length (it re-keys through its parameter machinery), 85 % of a GET
 * CHALLENGE. Why this is as good as calling RAND_bytes each time:
 * - the pool holds RAND_bytes output, a CSPRNG stream: any slice of it is as unpredictable as
 *   a fresh call, and knowing one slice tells nothing about the others;
 * - every byte is served once: served bytes are wiped from the pool and never handed out again;
 * - the pool is per thread, so no lock and no sharing between threads;
 * - a fork empties the child's pool (rand_pool_forget_in_child), so parent and child never
 *   serve the same bytes; OpenSSL reseeds its own DRBG in the child for the next refill;
 * - the unserved bytes are wiped when the thread ends. */
int cf_rand(void *buf, size_t len) {
  uint8_t *p = buf;
  if (len == 0) return 0;
  if (!buf) return -1;
  struct cf_crypto_tls *t = len <= CF_RAND_POOL_MAX ? tls_get() : NULL;
  if (t) {
    if (t->rand_left < len) {
      /* the unserved remainder is overwritten: never served */
      if (RAND_bytes(t->rand_pool, (int)sizeof t->rand_pool) != 1) {
        OPENSSL_cleanse(t->rand_pool, sizeof t->rand_pool);
        t->rand_left = 0;
        return -1;
      }
      t->rand_left = sizeof t->rand_pool;
    }
    uint8_t *src = t->rand_pool + sizeof t->rand_pool - t->rand_left;
    memcpy(p, src, len);
    OPENSSL_cleanse(src, len);
    t->rand_left -= len;
    return 0;
  }
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
