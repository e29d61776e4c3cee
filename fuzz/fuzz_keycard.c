/* Fuzz harness: the Keycard application. Start states (first input byte modulo 12): 0..3 an applet
 * 3.1 card, 4..7 the same as 2.2.1, 8..11 as 3.0, each version in these four (state modulo 4):
 *   0  factory-fresh card (not initialized), selected
 *   1  initialized, paired (slot 0), a BIP39 key loaded; selected, no secure channel
 *   2  as 1 with the secure channel open (host client keycard_client)
 *   3  as 2 with the PIN verified
 * FZ_SECURE records (INS P1 P2 data; the CLA byte is the client's own, 80) travel through the
 * open channel, so the fuzzer reaches every command handler past the MAC check. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cardforge/keycard.h"
#include "cardforge/keycard_client.h"
#include "fuzz_driver.h"
#include "fuzz_entry.h"

#define KC_FUZZ_PIN "111111" /* the seed flows' PIN: traces redact it to this digit */
#define KC_FUZZ_PUK "111111111111"
#define KC_FUZZ_MNEMONIC "legal winner thank year wave sausage worth useful legal winner thank yellow"

enum { KC_STATE_FRESH, KC_STATE_READY, KC_STATE_CHANNEL, KC_STATE_PIN, KC_STATES };

/* 3.1 first, so that states 0..3 are what they were before the other versions joined */
static const char *const kc_version_params[] = {"version=3.1", "version=2.2.1", "version=3.0"};
#define KC_VERSIONS (sizeof kc_version_params / sizeof kc_version_params[0])

static rb_state kc_fresh[KC_VERSIONS], kc_ready[KC_VERSIONS];
static uint8_t kc_secret[32];
static uint8_t kc_pair_index[KC_VERSIONS], kc_pair_key[KC_VERSIONS][32];
static keycard_client kc_client;

static const cf_card_profile *kc_profile_of(unsigned state) {
  (void)state;
  return &keycard_profile;
}

static const char *kc_params_of(unsigned state) {
  return kc_version_params[state / KC_STATES];
}

static const rb_state *kc_snapshot_of(unsigned state) {
  unsigned v = state / KC_STATES;
  return state % KC_STATES == KC_STATE_FRESH ? &kc_fresh[v] : &kc_ready[v];
}

static void kc_resume(fz_session *s) {
  unsigned v = s->state / KC_STATES, sub = s->state % KC_STATES;
  keycard_client_init(&kc_client, &s->t);
  s->client = &kc_client;
  if (keycard_client_select(&kc_client, NULL, 0) != KEYCARD_CLIENT_OK || sub < KC_STATE_CHANNEL) return;
  keycard_client_set_pairing(&kc_client, kc_pair_index[v], kc_pair_key[v]);
  if (keycard_client_open_channel(&kc_client) != KEYCARD_CLIENT_OK || sub < KC_STATE_PIN) return;
  keycard_client_verify_pin(&kc_client, KC_FUZZ_PIN, NULL);
}

static void kc_secure(fz_session *s, const uint8_t *body, size_t len) {
  static uint8_t resp[256];
  size_t rlen = 0;
  if (len < 4) return;
  keycard_client_secure_exchange(s->client, body[1], body[2], body[3], body + 4, len - 4, false, resp,
                                 sizeof resp, &rlen);
}

static const fz_harness fz_keycard = {
    .name = "keycard",
    .profile = kc_profile_of,
    .params = kc_params_of,
    .snapshot = kc_snapshot_of,
    .nstates = KC_STATES * KC_VERSIONS,
    .resume = kc_resume,
    .secure = kc_secure,
};

/* INIT, PAIR, PIN, LOAD KEY (seed): the state every deep start state shares. */
static int kc_prepare_ready(cf_transport *t, void *arg) {
  size_t v = *(const size_t *)arg;
  keycard_client kc;
  keycard_client_init(&kc, t);
  uint8_t seed[64];
  int rc = keycard_client_select(&kc, NULL, 0);
  if (rc == KEYCARD_CLIENT_OK)
    rc = keycard_client_init_card(&kc, KC_FUZZ_PIN, KC_FUZZ_PUK, kc_secret, 0, 0, NULL);
  if (rc == KEYCARD_CLIENT_OK) rc = keycard_client_select(&kc, NULL, 0);
  if (rc == KEYCARD_CLIENT_OK) rc = keycard_client_pair(&kc, kc_secret);
  if (rc == KEYCARD_CLIENT_OK) rc = keycard_client_open_channel(&kc);
  if (rc == KEYCARD_CLIENT_OK) rc = keycard_client_verify_pin(&kc, KC_FUZZ_PIN, NULL);
  if (rc == KEYCARD_CLIENT_OK) rc = keycard_client_mnemonic_to_seed(KC_FUZZ_MNEMONIC, "", seed);
  if (rc == KEYCARD_CLIENT_OK) rc = keycard_client_load_seed(&kc, seed, NULL);
  if (rc != KEYCARD_CLIENT_OK) fz_fail("keycard: set-up failed: %s", kc.err);
  kc_pair_index[v] = kc.pairing_index;
  memcpy(kc_pair_key[v], kc.pairing_key, sizeof kc_pair_key[v]);
  keycard_client_wipe(&kc);
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  if (keycard_client_pairing_secret(KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, kc_secret) != KEYCARD_CLIENT_OK)
    fz_fail("keycard: cannot derive the pairing secret");
  static size_t versions[KC_VERSIONS];
  for (size_t v = 0; v < KC_VERSIONS; v++) {
    versions[v] = v;
    if (fz_prepare_state(&keycard_profile, kc_version_params[v], NULL, NULL, &kc_fresh[v]) != 0 ||
        fz_prepare_state(&keycard_profile, kc_version_params[v], kc_prepare_ready, &versions[v],
                         &kc_ready[v]) != 0)
      fz_fail("keycard: cannot prepare the start states");
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run(&fz_keycard, data, size);
  return 0;
}
