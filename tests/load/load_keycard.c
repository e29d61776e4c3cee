/* Load client for the Keycard (one client per Keycard reader: the card has one secure channel):
 * INIT and PAIR if needed, then a mix of GET STATUS, SIGN (each signature verified against the
 * exported public key), EXPORT KEY, STORE DATA + GET DATA read-back, and new sessions. */
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard_client.h"
#include "load.h"
#include "load_count.h"

#define LOAD_PIN "123456"
#define LOAD_PUK "123456789012"

static int session(keycard_client *kc, load_result *r) {
  if (keycard_client_select(kc, NULL, 0) != 0 || keycard_client_open_channel(kc) != 0 ||
      keycard_client_verify_pin(kc, LOAD_PIN, NULL) != 0) {
    load_fail(r, "session: %s", kc->err);
    return -1;
  }
  return 0;
}

int load_keycard(const load_opts *o, load_result *r) {
  char err[256];
  cf_transport *t = cf_transport_open_pcsc(o->reader, err, sizeof err);
  if (t == NULL) {
    load_fail(r, "%s", err);
    return -1;
  }
  load_count_apdus(t, r);
  keycard_client kc;
  keycard_client_init(&kc, t);
  uint8_t secret[32], seed[64], pub[65], hash[32];
  keycard_client_path path;
  keycard_client_exported key;
  int rc = keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, secret);
  if (rc == 0) rc = keycard_client_select(&kc, NULL, 0);
  if (rc == 0 && !kc.info.initialized) {
    rc = keycard_client_init_card(&kc, LOAD_PIN, LOAD_PUK, secret, 0, 0, NULL);
    if (rc == 0) rc = keycard_client_select(&kc, NULL, 0);
  }
  if (rc == 0) rc = keycard_client_pair(&kc, secret);
  if (rc == 0) rc = session(&kc, r);
  if (rc == 0 && !kc.info.has_key) {
    rc = keycard_client_mnemonic_to_seed(
        "legal winner thank year wave sausage worth useful legal winner thank yellow", "", seed);
    if (rc == 0) rc = keycard_client_load_seed(&kc, seed, NULL);
  }
  if (rc == 0) rc = keycard_client_parse_path("m/44'/60'/0'/0/0", &path);
  if (rc == 0) rc = keycard_client_export_key(&kc, KEYCARD_CLIENT_EXPORT_PUBLIC, &path, false, &key);
  if (rc != 0) {
    load_fail(r, "set-up: %s", kc.err);
    cf_transport_close(t);
    return -1;
  }
  memcpy(pub, key.pub, 65);
  uint32_t rs = 0x51ED270Bu ^ o->id;
  double end = load_now() + o->seconds;
  while (load_now() < end) {
    r->operations++;
    unsigned op = load_rand(&rs) % 10;
    if (op < 2) {
      keycard_client_status st;
      if (keycard_client_get_status(&kc, &st) != 0 || st.pin_retries != 3 || !st.key_initialized)
        load_fail(r, "GET STATUS: %s", kc.err);
    } else if (op < 5) {
      keycard_client_signature sig;
      for (size_t i = 0; i < 32; i += 4) {
        uint32_t v = load_rand(&rs);
        memcpy(hash + i, &v, 4);
      }
      if (keycard_client_sign(&kc, hash, &path, false, &sig) != 0 || !cf_ec_verify(pub, 65, hash, sig.rs) ||
          memcmp(sig.pub, pub, 65) != 0)
        load_fail(r, "SIGN: %s", kc.err);
    } else if (op < 7) {
      if (keycard_client_export_key(&kc, KEYCARD_CLIENT_EXPORT_PUBLIC, &path, false, &key) != 0 ||
          memcmp(key.pub, pub, 65) != 0)
        load_fail(r, "EXPORT KEY: %s", kc.err);
    } else if (op < 9) {
      char text[64];
      uint8_t back[128];
      size_t n = 0;
      int len =
          snprintf(text, sizeof text, "load client %u update %llu", o->id, (unsigned long long)r->updates);
      if (keycard_client_store_data(&kc, KEYCARD_CLIENT_DATA_PUBLIC, (const uint8_t *)text, (size_t)len) !=
              0 ||
          keycard_client_get_data(&kc, KEYCARD_CLIENT_DATA_PUBLIC, back, sizeof back, &n) != 0 ||
          n != (size_t)len || memcmp(back, text, n) != 0) {
        load_fail(r, "STORE DATA / GET DATA: %s", kc.err);
      } else {
        r->updates++;
      }
    } else {
      session(&kc, r);
    }
  }
  keycard_client_wipe(&kc);
  cf_transport_close(t);
  return 0;
}
