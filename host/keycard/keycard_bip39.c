/* BIP39 on the host: the word list (read from a file, as no list is compiled in), word lookup and
 * the checksum carried by the last word. The seed itself is keycard_secrets.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"

#define WORDLIST_MAX_BYTES (64 * 1024) /* the English list is about 13 KB */
#define WORD_MAX 32

bool keycard_client_bip39_count_ok(size_t words) {
  return words >= 12 && words <= KEYCARD_CLIENT_BIP39_MAX_WORDS && words % 3 == 0;
}

/* n words carry 11n bits: entropy of 32n/3 bits, then a checksum of n/3 bits = the first bits of
 * SHA-256(entropy). */
bool keycard_client_bip39_checksum_ok(const uint16_t *indexes, size_t n) {
  if (!keycard_client_bip39_count_ok(n)) return false;
  uint8_t bits[33] = {0}, hash[32];
  for (size_t w = 0; w < n; w++) {
    if (indexes[w] >= KEYCARD_CLIENT_BIP39_WORDS) return false;
    for (size_t b = 0; b < 11; b++) {
      size_t bit = w * 11 + b;
      if ((indexes[w] >> (10 - b)) & 1u) bits[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
    }
  }
  size_t cs = n / 3, ent_len = cs * 4;
  uint8_t mask = (uint8_t)(0xFFu << (8 - cs));
  bool ok = cf_sha256(bits, ent_len, hash) == 0 && ((bits[ent_len] ^ hash[0]) & mask) == 0;
  cf_wipe(bits, sizeof bits);
  cf_wipe(hash, sizeof hash);
  return ok;
}

static int load_fail(keycard_client_wordlist *wl, char *err, size_t errlen, const char *fmt, const char *path,
                     long arg) {
  snprintf(err, errlen, fmt, path, arg);
  keycard_client_wordlist_free(wl);
  return KEYCARD_CLIENT_EARG;
}

int keycard_client_wordlist_load(keycard_client_wordlist *wl, const char *path, char *err, size_t errlen) {
  memset(wl, 0, sizeof *wl);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot read the word list %s: %s", path, strerror(errno));
    return KEYCARD_CLIENT_EARG;
  }
  wl->text = malloc(WORDLIST_MAX_BYTES + 1);
  size_t n = wl->text ? fread(wl->text, 1, WORDLIST_MAX_BYTES + 1, f) : 0;
  fclose(f);
  if (!wl->text || n > WORDLIST_MAX_BYTES)
    return load_fail(wl, err, errlen, "the word list %s is too large (over %ld bytes)", path,
                     WORDLIST_MAX_BYTES);
  wl->text[n] = 0;
  size_t count = 0;
  for (char *line = wl->text; *line;) {
    size_t len = strcspn(line, "\n");
    char *next = line + len + (line[len] == '\n');
    line[len] = 0;
    if (len && line[len - 1] == '\r') line[--len] = 0;
    if (count >= KEYCARD_CLIENT_BIP39_WORDS)
      return load_fail(wl, err, errlen, "the word list %s has more than %ld words", path,
                       KEYCARD_CLIENT_BIP39_WORDS);
    if (len == 0 || len > WORD_MAX || strpbrk(line, " \t\v\f") != NULL)
      return load_fail(wl, err, errlen, "the word list %s: line %ld is not one word", path, (long)count + 1);
    wl->words[count++] = line;
    line = next;
  }
  if (count != KEYCARD_CLIENT_BIP39_WORDS)
    return load_fail(wl, err, errlen, "the word list %s has %ld words, not 2048", path, (long)count);
  return KEYCARD_CLIENT_OK;
}

void keycard_client_wordlist_free(keycard_client_wordlist *wl) {
  free(wl->text);
  memset(wl, 0, sizeof *wl);
}

int keycard_client_wordlist_find(keycard_client_wordlist *wl, char *err, size_t errlen) {
  memset(wl, 0, sizeof *wl);
  const char *path = getenv("CARDFORGE_BIP39_WORDLIST");
  if (!path || !*path) {
    path = KEYCARD_CLIENT_BIP39_DEFAULT_WORDLIST;
    FILE *f = fopen(path, "rb");
    if (!f) return 0; /* the package is not installed: no list on this host */
    fclose(f);
  }
  return keycard_client_wordlist_load(wl, path, err, errlen) == KEYCARD_CLIENT_OK ? 1 : -1;
}

static int word_index(const keycard_client_wordlist *wl, const char *word, size_t len) {
  for (int i = 0; i < KEYCARD_CLIENT_BIP39_WORDS; i++)
    if (strlen(wl->words[i]) == len && memcmp(wl->words[i], word, len) == 0) return i;
  return -1;
}

int keycard_client_bip39_check(const keycard_client_wordlist *wl, const char *mnemonic, char *err,
                               size_t errlen) {
  static const char space[] = " \t\r\n";
  uint16_t idx[KEYCARD_CLIENT_BIP39_MAX_WORDS];
  size_t n = 0;
  int rc = KEYCARD_CLIENT_OK;
  for (const char *p = mnemonic + strspn(mnemonic, space); *p; p += strspn(p, space)) {
    size_t len = strcspn(p, space);
    int i = n < KEYCARD_CLIENT_BIP39_MAX_WORDS ? word_index(wl, p, len) : 0;
    if (i < 0) {
      snprintf(err, errlen, "word %zu of the mnemonic is not in the BIP39 word list", n + 1);
      rc = KEYCARD_CLIENT_EARG;
      goto out;
    }
    if (n < KEYCARD_CLIENT_BIP39_MAX_WORDS) idx[n] = (uint16_t)i;
    n++;
    p += len;
  }
  if (!keycard_client_bip39_count_ok(n)) {
    snprintf(err, errlen, "a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, not %zu", n);
    rc = KEYCARD_CLIENT_EARG;
  } else if (!keycard_client_bip39_checksum_ok(idx, n)) {
    snprintf(err, errlen, "the mnemonic's BIP39 checksum does not match (a word is wrong or out of order)");
    rc = KEYCARD_CLIENT_EARG;
  }
out:
  cf_wipe(idx, sizeof idx);
  return rc;
}
