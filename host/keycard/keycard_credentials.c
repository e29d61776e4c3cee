/* Random credentials for INIT without any given (keycard-go GenerateSecrets, secrets.go): a PIN of
 * 6 digits, a PUK of 12 and a pairing password of 12 random bytes in base64url. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"

/* n decimal digits, uniform over 0 .. 10^n - 1: 8 random bytes at a time, rejecting the top
 * partial range so that no value is likelier than another. */
static int random_digits(char *out, size_t n) {
  uint64_t limit = 1;
  for (size_t i = 0; i < n; i++)
    limit *= 10;
  const uint64_t reject_from = UINT64_MAX - UINT64_MAX % limit;
  uint64_t v = 0;
  int rc = -1;
  for (int tries = 0; tries < 64; tries++) {
    if (cf_rand(&v, sizeof v) != 0) break;
    if (v < reject_from) {
      v %= limit;
      for (size_t i = n; i-- > 0; v /= 10)
        out[i] = (char)('0' + v % 10);
      out[n] = '\0';
      rc = 0;
      break;
    }
  }
  cf_wipe(&v, sizeof v);
  return rc;
}

/* base64url (RFC 4648 section 5) of 12 bytes: 16 characters, no padding needed. */
static void base64url_12(const uint8_t in[12], char out[17]) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t o = 0;
  for (size_t i = 0; i < 12; i += 3) {
    uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    for (int k = 3; k >= 0; k--)
      out[o++] = alphabet[(w >> (6 * k)) & 0x3F];
  }
  out[o] = '\0';
}

int keycard_client_random_credentials(keycard_client_credentials *cred) {
  uint8_t raw[12];
  memset(cred, 0, sizeof *cred);
  int rc = KEYCARD_CLIENT_EINTERNAL;
  if (random_digits(cred->pin, KEYCARD_CLIENT_PIN_LEN) == 0 &&
      random_digits(cred->puk, KEYCARD_CLIENT_PUK_LEN) == 0 && cf_rand(raw, sizeof raw) == 0) {
    base64url_12(raw, cred->pairing_password);
    rc = KEYCARD_CLIENT_OK;
  }
  cf_wipe(raw, sizeof raw);
  if (rc != KEYCARD_CLIENT_OK) cf_wipe(cred, sizeof *cred);
  return rc;
}
