/* Test fixture: the six China Mobile devices as emulated cards on memory stores, reached in-process
 * through cf_transport_open_card, plus an operator HSM and a key code sheet. Every key has a test
 * value different from the cards' built-in defaults, so nothing passes by accident. */
#ifndef CMCC_HOST_WORLD_H
#define CMCC_HOST_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/store.h"

typedef struct world {
  cf_store *store[CF_CMCC_ROLES];
  cf_card *card[CF_CMCC_ROLES];
  cf_transport *t[CF_CMCC_ROLES];
  cf_cmcc_hsm *hsm;
  cf_cmcc_host host;
  cf_cmcc_keysheet sheet;
} world;

/* Key values of the test world (hex). */
#define W_K01 "1F1E1D1C1B1A19181716151413121110"     /* operator KMC master key */
#define W_K02 "2F2E2D2C2B2A29282726252423222120"     /* master-card master key */
#define W_K03 "3F3E3D3C3B3A39383736353433323130"     /* authentication-card master key */
#define W_K04 "4F4E4D4C4B4A49484746454443424140"     /* operator working-card master key */
#define W_K05 "5F5E5D5C5B5A59585756555453525150"     /* working-card master key */
#define W_TIK "6F6E6D6C6B6A69686766656463626160"     /* terminal initial key */
#define W_SAMINIT "AFAEADACABAAA9A8A7A6A5A4A3A2A1A0" /* SAM initial master key */
#define W_SAMFACTOR "0011223344556677F0E1D2C3B4A59687"
#define W_SEED "0123456789ABCDEFFEDCBA9876543210"
#define W_EID "A1B2C3D4E5F6" /* the working card's enterprise ID */
#define W_PIN "87654321"     /* application PIN (02) of the three master cards */
#define W_SERIAL "8600112233445566"

/* Attributes (11 bytes, hex) of the sheet's keys and the imported ones. */
#define W_ATTR_TAK "0701010000 12AA00000000"
#define W_ATTR_EMK "0801010000 31AA00000000"
#define W_ATTR_EAK "0901010000 32AA00000000"
#define W_ATTR_SAMKEY1 "0B01010000 32AA00000000"
#define W_ATTR_SAMKEY2 "0B02010000 32AA00000000"
#define W_ATTR_NOCALC "0901020000 03AA00000000" /* usage 3: may never compute */
#define W_ATTR_TIK "0601010000 00AA00000000"
#define W_ATTR_SAMINIT "0A01010000 11AA00000000"

void hexb(const char *hex, uint8_t *out, size_t n); /* asserts exactly n bytes */

/* Creates the world; user_params: extra params of the user card ("" for none; its serial and EMK
 * are set from the sheet unless given). */
world *world_new(const char *user_params);
void world_free(world *w);
/* Replaces the card of role r by a new one with these params (its store is new, empty). */
void world_replace(world *w, cf_cmcc_role r, const char *params);

/* One card of a cmcc profile outside the world, on a fresh memory store, powered on, behind an
 * in-process transport: what a batch opens for each serial. */
typedef struct loose_card {
  cf_store *store;
  cf_card *card;
} loose_card;
cf_transport *loose_card_open(loose_card *c, const char *profile, const char *params);
void loose_card_close(loose_card *c, cf_transport *t);

/* The value the sheet gives a key (Generate Key rule). */
void world_sheet_key(const world *w, const char *attrs_hex, uint8_t value[16]);

/* Steps: PINs on KMC and auth card + External Authentication through the auth card. */
void world_open_kmc(world *w);
/* world_open_kmc + generate the sheet + import 05 (HSM) and 06, 0A (auth card) into the KMC. */
void world_enterprise(world *w);

/* Sends one raw APDU (hex) to a role, returns the status word; resp/rlen may be NULL. */
uint16_t world_send(world *w, cf_cmcc_role r, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen);
uint16_t world_send_hex(world *w, cf_cmcc_role r, const char *hex, uint8_t *resp, size_t *rlen);

/* Store snapshots: every record of a card's store. */
typedef struct snapshot {
  size_t count;
  uint32_t keys[512];
  size_t lens[512];
  uint8_t *data[512];
} snapshot;
void snapshot_take(world *w, cf_cmcc_role r, snapshot *s);
bool snapshot_equal(world *w, cf_cmcc_role r, const snapshot *s);
void snapshot_free(snapshot *s);

#endif
