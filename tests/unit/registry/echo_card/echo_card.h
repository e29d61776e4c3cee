/* A test-only card application, the one tests/unit/registry adds to a registry of its own to show
 * that a card application joins with one folder and one registry line (docs/architecture.md,
 * "Adding a card application"). It is never part of `cardforge`.
 *
 * AID F0 65 63 68 6F (F0 "echo"), selected by default. INS 01: answers TAG || command data.
 * Profile "echo", params: tag=XX (one byte in hex, default 5A). */
#ifndef CARDFORGE_TEST_ECHO_CARD_H
#define CARDFORGE_TEST_ECHO_CARD_H

#include "cardforge/card.h"

#define ECHO_CARD_INS_ECHO 0x01

extern const uint8_t echo_card_aid[5];
extern const cf_card_profile echo_card_profile;

#endif
