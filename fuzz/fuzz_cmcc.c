/* Fuzz harness: the China Mobile cards. Start states (first input byte modulo 8):
 *   0  KMC as created                     4  user card
 *   1  KMC, PIN 02, both master keys      5  SAM card
 *   2  authentication card, PIN 02, key 03  6  terminal
 *   3  working card, PIN 02, keys 04, 05  7  KMC with PIN 02 only
 * The security states are reached with the host flows (cmcc_host.h) and an operator HSM holding
 * the cards' default master keys, so Generate Key, Import Key, Export Keys&Data... are fuzzed past
 * their PIN and authentication checks. Records are raw APDUs (the cards have no secure channel). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cardforge/cmcc.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/registry.h"
#include "fuzz_driver.h"
#include "fuzz_entry.h"

enum {
  CM_KMC,
  CM_KMC_AUTH,
  CM_AUTHCARD,
  CM_WORKCARD,
  CM_USERCARD,
  CM_SAM,
  CM_TERMINAL,
  CM_KMC_PIN,
  CM_STATES
};

static const char *const cm_profile_names[CM_STATES] = {"kmc",      "kmc", "authcard", "workcard",
                                                        "usercard", "sam", "terminal", "kmc"};
static const cf_cmcc_role cm_roles[CM_STATES] = {CF_CMCC_KMC,  CF_CMCC_KMC, CF_CMCC_AUTH,     CF_CMCC_WORK,
                                                 CF_CMCC_USER, CF_CMCC_SAM, CF_CMCC_TERMINAL, CF_CMCC_KMC};
static rb_state cm_states[CM_STATES];
static cf_cmcc_hsm *cm_hsm;
static cf_cmcc_host cm_host;

static const cf_card_profile *cm_profile_of(unsigned state) {
  return cf_card_profile_find(cm_profile_names[state]);
}

static const char *cm_params_of(unsigned state) {
  return state == CM_KMC_AUTH ? "keys=0102060708090A0B" : "";
}

static const rb_state *cm_snapshot_of(unsigned state) {
  return &cm_states[state];
}

static void cm_resume(fz_session *s) {
  cf_cmcc_role r = cm_roles[s->state];
  cf_cmcc_host_init(&cm_host);
  cm_host.hsm = cm_hsm;
  cm_host.card[r] = &s->t;
  s->client = &cm_host;
  if (r == CF_CMCC_USER || r == CF_CMCC_SAM || r == CF_CMCC_TERMINAL || s->state == CM_KMC) return;
  if (cf_cmcc_verify_pin(&cm_host, r, CMCC_PIN_APP, (const uint8_t *)"22222222") != 0 ||
      s->state == CM_KMC_PIN)
    return;
  if (r == CF_CMCC_AUTH) {
    cf_cmcc_auth_via_hsm(&cm_host, r, CMCC_AUTH_P2_AUTHCARD, 1, 1);
    return;
  }
  cf_cmcc_auth_via_hsm(&cm_host, r, CMCC_AUTH_P2_OPERATOR, 1, 1);
  cf_cmcc_auth_via_hsm(&cm_host, r, CMCC_AUTH_P2_SECOND, 1, 1);
}

static const fz_harness fz_cmcc = {
    .name = "cmcc",
    .profile = cm_profile_of,
    .params = cm_params_of,
    .snapshot = cm_snapshot_of,
    .nstates = CM_STATES,
    .resume = cm_resume,
    .secure = NULL,
};

/* The HSM holds the master keys 01..05 with the cards' default values (type t: bytes t0..tF). */
static void cm_make_hsm(void) {
  cm_hsm = cf_cmcc_hsm_new();
  if (cm_hsm == NULL) fz_fail("cmcc: no HSM");
  for (uint8_t t = CMCC_KEY_OPERATOR_KMC; t <= CMCC_KEY_WORKCARD; t++) {
    uint8_t attrs[CF_CMCC_ATTR_LEN] = {t, 0x01, 0x01, CMCC_ALG_3DES, 0, 0, CMCC_KEY_USABLE, 0, 0, 0, 0};
    uint8_t value[16];
    for (int i = 0; i < 16; i++)
      value[i] = (uint8_t)((t << 4) | i);
    if (cf_cmcc_hsm_add(cm_hsm, attrs, value, "default") != 0) fz_fail("cmcc: HSM key %02X refused", t);
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  cm_make_hsm();
  for (unsigned i = 0; i < CM_STATES; i++)
    if (fz_prepare_state(cm_profile_of(i), cm_params_of(i), NULL, NULL, &cm_states[i]) != 0)
      fz_fail("cmcc: cannot prepare start state %u", i);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run(&fz_cmcc, data, size);
  return 0;
}
