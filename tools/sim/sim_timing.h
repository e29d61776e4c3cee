/* The card timing model: how long an emulated card takes to answer, so that a batch over emulated
 * cards behaves like one over real silicon. Off unless asked for.
 *
 * A model is a floor per command: the card answers no sooner than
 *   apdu + ecdh * (ECDH computations) + keygen * (key pairs generated) + sign * (signatures)
 *        + derive * (public keys computed from private ones) + write * (1 if the command wrote)
 * after the command arrived. The emulator's own time counts towards it (it is microseconds).
 *
 * Text form (`cardforge sim --timing`, the IFD handler's `timing=`): a profile name, or
 * NAME=DURATION pairs separated by commas, or a profile followed by pairs that override it:
 *   "jcop-cj2a081"   "apdu=20ms"   "jcop-cj2a081,apdu=5ms,write=2ms"   "off"
 * DURATION is a number with a unit: us, ms or s (at most 10 s). docs/performance.md, "The card
 * timing model", lists the profiles and where their figures come from. */
#ifndef CARDFORGE_TOOLS_SIM_TIMING_H
#define CARDFORGE_TOOLS_SIM_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/store.h"

typedef struct cf_timing {
  uint32_t apdu_us, ecdh_us, keygen_us, sign_us, derive_us, write_us;
} cf_timing;

/* The operations counted on the calling thread (the emulator counts them around each command). */
typedef struct cf_timing_ops {
  unsigned long ecdh, keygen, sign, derive;
} cf_timing_ops;

/* Parses the text form into *out (all zero for "off" or ""). Returns 0, or -1 with err. */
int cf_timing_parse(const char *text, cf_timing *out, char *err, size_t errlen);
bool cf_timing_enabled(const cf_timing *t);

/* Where a command starts: the clock and the operation counters. */
typedef struct cf_timing_mark {
  long long start_ns;
  cf_timing_ops ops;
  long writes;
} cf_timing_mark;

void cf_timing_begin(cf_timing_mark *m, const cf_store *store);
/* The modelled duration of the command begun at m, in microseconds. */
uint64_t cf_timing_cost_us(const cf_timing *t, const cf_timing_mark *m, const cf_store *store);
/* Sleeps until the command begun at m has taken its modelled time. */
void cf_timing_end(const cf_timing *t, const cf_timing_mark *m, const cf_store *store);

/* The operations counted so far on this thread. The counters are the linker wrappers of
 * cf_ec_ecdh_x, cf_ec_keygen, cf_ec_sign and cf_ec_pub_from_priv (CF_SIM_TIMING_WRAP in
 * tools/CMakeLists.txt): a program linked without them counts nothing. */
void cf_timing_ops_now(cf_timing_ops *out);

#endif
