/* The loopback test card: one small application for exercising the runtime, the transport
 * (61XX / 6CXX following, extended lengths), pcscd + vpcd, and round-trip benchmarks.
 *
 * AID F0 63 66 6C 6F 6F 70 (F0 "cfloop"), selected by default. CLA 00 or 80.
 *   INS 01  echo: returns the command data (P1 P2 = 00 00).
 *   INS 02  returns P1P2 bytes (byte i = i mod 256), no command data: a case-2 command whose
 *           response length the host chooses, to exercise 61XX, 6CXX and extended Le.
 *   INS 03  data = SW1 SW2 [payload]: answers payload with that status word (SW1 60-6F or 90-9F,
 *           never 61 or 6C, which belong to the transport).
 *   INS 04  increments a persistent 32-bit counter and returns it (big-endian).
 *   INS 05  returns the number of commands processed since power-on or reset (transient,
 *           big-endian 32 bits), so a test can see that a reset cleared transient state.
 * Profile "loopback", params: mode=t1 (default) or mode=t0 (response delivery style, see
 * cf_resp_mode). */
#ifndef CARDFORGE_LOOPBACK_H
#define CARDFORGE_LOOPBACK_H

#include "cardforge/card.h"

#define LOOPBACK_INS_ECHO 0x01
#define LOOPBACK_INS_GENERATE 0x02
#define LOOPBACK_INS_STATUS 0x03
#define LOOPBACK_INS_COUNTER 0x04
#define LOOPBACK_INS_TRANSIENT 0x05

extern const uint8_t loopback_aid[7];
extern const cf_applet_ops loopback_applet_ops;
extern const cf_card_profile loopback_profile;

#endif
