/* Harness for the China Mobile card tests: cards on memory stores, APDUs as hex, T=0 GET RESPONSE
 * handled, store snapshots, and the host-side steps (PIN, external authentication) most tests need. */
#ifndef CMCC_TEST_UTIL_H
#define CMCC_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cardforge/card.h>
#include <cardforge/cmcc.h>
#include <cardforge/cmcc_crypto.h>
#include <cardforge/crypto.h>
#include <cardforge/store.h>

typedef struct tcard {
  cf_store *store;
  cf_card *card;
  uint8_t data[CF_CARD_MAX_RESPONSE]; /* response data of the last exchange */
  size_t len;
} tcard;

/* Creates a card of a cmcc profile on a fresh memory store and powers it on. */
void tc_open(tcard *t, const char *profile, const char *params);
void tc_close(tcard *t);
/* Power-cycles: the card is rebuilt on the same store after cf_store_power_restore. */
void tc_reboot(tcard *t, const char *profile, const char *params);

/* Sends a raw APDU; collects 61XX responses with GET RESPONSE. Returns the final SW. */
uint16_t tc_tx(tcard *t, const uint8_t *apdu, size_t len);
/* Sends one APDU exactly, no GET RESPONSE. */
uint16_t tc_tx_raw(tcard *t, const uint8_t *apdu, size_t len);
/* Hex APDU (spaces allowed). */
uint16_t tc_hex(tcard *t, const char *hex);
/* header + data: builds CLA INS P1 P2 Lc data (Lc omitted if len 0). */
uint16_t tc_cmd(tcard *t, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len);

size_t hex2bin(const char *hex, uint8_t *out, size_t cap);
/* Asserts that the last response data equals hex. */
void tc_expect_data(const tcard *t, const char *hex);

/* Default key value of a type as the cards preset it. */
void default_key(uint8_t type, uint8_t out[16]);

/* Host steps. */
uint16_t tc_verify_pin(tcard *t, uint8_t p2, const char *ascii8);
void tc_challenge(tcard *t, uint8_t cla, uint8_t out[4]);
/* Get Challenge + External Authentication with the given key value. */
uint16_t tc_ext_auth(tcard *t, uint8_t p2, const uint8_t key[16]);

/* Store snapshot: every record key and value. */
typedef struct snapshot {
  size_t n;
  uint32_t keys[512];
  uint8_t *vals[512];
  size_t lens[512];
} snapshot;
void snap_take(cf_store *s, snapshot *out);
void snap_free(snapshot *s);
/* Asserts the store still equals the snapshot. */
void snap_assert_same(cf_store *s, const snapshot *before);

#endif
