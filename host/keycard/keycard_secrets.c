/* Secrets a Keycard host derives from text: the pairing secret from a pairing password and the BIP39
 * seed from a mnemonic. Both texts are NFKD-normalised first, as the Keycard SDKs and BIP39 require. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"

#ifdef CF_HAVE_ICU
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#endif

#define PAIRING_SALT "Keycard Pairing Password Salt"
#define PAIRING_ITERATIONS 50000
#define BIP39_ITERATIONS 2048
#define TEXT_MAX 1024

bool keycard_client_digits_ok(const char *s, size_t n) {
  if (!s || strlen(s) != n) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static bool is_ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80) return false;
  return true;
}

/* Writes NFKD(in) as UTF-8 into out. ASCII text is its own NFKD form, so it needs no library. */
static int nfkd(const char *in, char *out, size_t cap, size_t *out_len) {
  size_t n = strlen(in);
  if (is_ascii(in)) {
    if (n >= cap) return KEYCARD_CLIENT_EARG;
    memcpy(out, in, n + 1);
    *out_len = n;
    return KEYCARD_CLIENT_OK;
  }
#ifdef CF_HAVE_ICU
  UErrorCode st = U_ZERO_ERROR;
  const UNormalizer2 *norm = unorm2_getNFKDInstance(&st);
  if (U_FAILURE(st)) return KEYCARD_CLIENT_EINTERNAL;
  UChar src[TEXT_MAX], dst[2 * TEXT_MAX];
  int32_t src_len = 0, dst_len = 0, utf8_len = 0;
  int rc = KEYCARD_CLIENT_EARG; /* not UTF-8, or too long */
  u_strFromUTF8(src, TEXT_MAX, &src_len, in, (int32_t)n, &st);
  if (U_FAILURE(st)) goto out;
  dst_len = unorm2_normalize(norm, src, src_len, dst, 2 * TEXT_MAX, &st);
  if (U_FAILURE(st)) goto out;
  u_strToUTF8(out, (int32_t)cap, &utf8_len, dst, dst_len, &st);
  if (U_FAILURE(st) || (size_t)utf8_len >= cap) goto out;
  out[utf8_len] = 0;
  *out_len = (size_t)utf8_len;
  rc = KEYCARD_CLIENT_OK;
out:
  cf_wipe(src, sizeof src);
  cf_wipe(dst, sizeof dst);
  return rc;
#else
  (void)out;
  (void)cap;
  (void)out_len;
  return KEYCARD_CLIENT_EARG; /* without ICU a non-ASCII text cannot be normalised correctly */
#endif
}

int keycard_client_pairing_secret(const char *password, uint8_t out[32]) {
  if (!password || !*password) return KEYCARD_CLIENT_EARG;
  char norm[4 * TEXT_MAX];
  size_t len;
  int rc = nfkd(password, norm, sizeof norm, &len);
  if (rc == KEYCARD_CLIENT_OK &&
      cf_pbkdf2_sha256(norm, len, PAIRING_SALT, strlen(PAIRING_SALT), PAIRING_ITERATIONS, out, 32) != 0)
    rc = KEYCARD_CLIENT_EINTERNAL;
  cf_wipe(norm, sizeof norm);
  return rc;
}

/* Folds runs of white space into one space and trims both ends. */
static void fold_spaces(const char *in, char *out, size_t cap) {
  size_t n = 0;
  bool pending = false;
  for (; *in && n + 2 < cap; in++) {
    if (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r') {
      pending = n > 0;
      continue;
    }
    if (pending) out[n++] = ' ';
    pending = false;
    out[n++] = *in;
  }
  out[n] = 0;
}

int keycard_client_mnemonic_to_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64]) {
  if (!mnemonic) return KEYCARD_CLIENT_EARG;
  if (!passphrase) passphrase = "";
  if (strlen(mnemonic) >= TEXT_MAX || strlen(passphrase) >= TEXT_MAX) return KEYCARD_CLIENT_EARG;
  char folded[TEXT_MAX], words[4 * TEXT_MAX], salt[8 + 4 * TEXT_MAX];
  size_t words_len, pass_len;
  int rc;
  fold_spaces(mnemonic, folded, sizeof folded);
  if (!*folded) {
    rc = KEYCARD_CLIENT_EARG;
    goto out;
  }
  rc = nfkd(folded, words, sizeof words, &words_len);
  if (rc != KEYCARD_CLIENT_OK) goto out;
  memcpy(salt, "mnemonic", 8);
  rc = nfkd(passphrase, salt + 8, sizeof salt - 8, &pass_len);
  if (rc != KEYCARD_CLIENT_OK) goto out;
  if (cf_pbkdf2_sha512(words, words_len, salt, 8 + pass_len, BIP39_ITERATIONS, seed, 64) != 0)
    rc = KEYCARD_CLIENT_EINTERNAL;
out:
  cf_wipe(folded, sizeof folded);
  cf_wipe(words, sizeof words);
  cf_wipe(salt, sizeof salt);
  return rc;
}
