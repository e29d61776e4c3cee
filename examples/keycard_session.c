/* A Keycard session: SELECT, INIT when the card is new, PAIR, secure channel, a wrong and a right
 * PIN, GENERATE KEY, SIGN at a BIP32 path, UNPAIR.
 *   keycard_session            an emulated Keycard in this process
 *   keycard_session READER     the Keycard in a PC/SC reader (its PIN must be 123456 if initialised) */
#include <stdio.h>
#include <string.h>

#include <cardforge/cardforge.h>

#include "example_transport.h"

#define PIN "123456"
#define PUK "123456789012"
#define PAIRING_PASSWORD "KeycardDefaultPairing"

/* Prints a failed step with the library's words for the code and the session's detail. */
static int failed(cf_keycard *kc, const char *step, int rc) {
  fprintf(stderr, "%s: %s (%s): %s\n", step, cf_strerror(rc), cf_err_name(rc), cf_keycard_error_detail(kc));
  return 1;
}

static void print_hex(const char *label, const uint8_t *b, size_t n) {
  printf("%s ", label);
  for (size_t i = 0; i < n; i++)
    printf("%02X", b[i]);
  printf("\n");
}

static int run(cf_keycard *kc) {
  cf_keycard_info info;
  int rc = cf_keycard_select(kc, &info);
  if (rc != CF_OK) return failed(kc, "SELECT", rc);
  if (info.initialized)
    printf("Keycard applet %u.%u, initialised\n", info.version >> 8, info.version & 0xFF);
  else
    printf("Keycard applet, not initialised\n"); /* the version comes with INIT's data */
  if (!info.initialized) {
    if ((rc = cf_keycard_init(kc, PIN, PUK, PAIRING_PASSWORD)) != CF_OK) return failed(kc, "INIT", rc);
    if ((rc = cf_keycard_select(kc, &info)) != CF_OK) return failed(kc, "SELECT", rc);
  }

  uint8_t index, pairing_key[32];
  if ((rc = cf_keycard_pair(kc, PAIRING_PASSWORD, &index, pairing_key)) != CF_OK)
    return failed(kc, "PAIR", rc);
  printf("paired in slot %u\n", index);
  memset(pairing_key, 0, sizeof pairing_key); /* a real program would store it to skip pairing later */
  if ((rc = cf_keycard_open_channel(kc)) != CF_OK) return failed(kc, "OPEN SECURE CHANNEL", rc);

  /* a refused command is CF_ERR_CARD, with the card's status word and the tries left */
  int retries = -1;
  rc = cf_keycard_verify_pin(kc, "000000", &retries);
  if (rc != CF_ERR_CARD) return failed(kc, "VERIFY PIN (wrong PIN)", rc);
  printf("wrong PIN refused: SW %04X, %d tries left\n", cf_keycard_last_sw(kc), retries);
  if ((rc = cf_keycard_verify_pin(kc, PIN, &retries)) != CF_OK) return failed(kc, "VERIFY PIN", rc);

  uint8_t key_uid[32];
  if ((rc = cf_keycard_generate_key(kc, key_uid)) != CF_OK) return failed(kc, "GENERATE KEY", rc);
  print_hex("key UID", key_uid, sizeof key_uid);

  uint8_t hash[32];
  for (size_t i = 0; i < sizeof hash; i++)
    hash[i] = (uint8_t)i;
  cf_keycard_signature sig;
  if ((rc = cf_keycard_sign(kc, hash, "m/44'/60'/0'/0/0", &sig)) != CF_OK) return failed(kc, "SIGN", rc);
  print_hex("signature r||s", sig.rs, sizeof sig.rs);
  printf("recovery id %d\n", sig.recid);

  if ((rc = cf_keycard_unpair(kc, index)) != CF_OK) return failed(kc, "UNPAIR", rc);
  printf("unpaired slot %u\n", index);
  return 0;
}

int main(int argc, char **argv) {
  example_card card;
  cf_transport *t = example_open(&card, argc > 1 ? argv[1] : NULL, "keycard", "");
  if (!t) return 1;
  cf_keycard *kc = NULL;
  int rc = cf_keycard_open(t, &kc);
  int status = rc == CF_OK ? run(kc) : failed(kc, "session", rc);
  cf_keycard_close(kc);
  example_close(&card, t);
  return status;
}
