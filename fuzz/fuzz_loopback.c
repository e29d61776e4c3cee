/* Fuzz harness: the loopback test card, T=1 and T=0 response styles (start states 0 and 1). It
 * exercises the runtime itself: APDU parsing, chaining, GET RESPONSE, 61XX/6CXX, transactions. */
#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/loopback.h"
#include "cardforge/registry.h"
#include "fuzz_driver.h"
#include "fuzz_entry.h"

static rb_state loopback_states[2];

static const cf_card_profile *loopback_profile_of(unsigned state) {
  (void)state;
  return cf_card_profile_find("loopback");
}

static const char *loopback_params_of(unsigned state) {
  return state ? "mode=t0" : "mode=t1";
}

static const rb_state *loopback_snapshot_of(unsigned state) {
  return &loopback_states[state];
}

static void loopback_resume(fz_session *s) {
  (void)s;
}

/* INS 03 answers the status word the command carries, 6581 included. */
static bool loopback_chosen_status(const cf_apdu *cmd) {
  return (cmd->cla == 0x00 || cmd->cla == 0x80) && cmd->ins == LOOPBACK_INS_STATUS;
}

static const fz_harness fz_loopback = {
    .name = "loopback",
    .profile = loopback_profile_of,
    .params = loopback_params_of,
    .snapshot = loopback_snapshot_of,
    .nstates = 2,
    .resume = loopback_resume,
    .secure = NULL,
    .chosen_status = loopback_chosen_status,
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  for (unsigned i = 0; i < 2; i++)
    if (fz_prepare_state(loopback_profile_of(i), loopback_params_of(i), NULL, NULL, &loopback_states[i]) != 0)
      fz_fail("loopback: cannot prepare start state %u", i);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run(&fz_loopback, data, size);
  return 0;
}
