/* A minimal Keycard host for the applet's tests: APDUs through cf_card_transmit on an in-memory
 * card, the one-shot ECDH encryption of INIT, PAIR, and the secure channel written from the
 * protocol description (independent of the card's code and of the real host library). */
#ifndef KC_HOST_H
#define KC_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/store.h"

#define KCH_PIN "000000"
#define KCH_PUK "123456789012"
#define KCH_BAD 0xFFFF /* the host could not make sense of the response */

typedef struct kch {
  cf_store *store;
  cf_card *card;
  /* from SELECT */
  uint8_t card_pub[65];
  bool initialized;
  uint8_t select[512];
  size_t select_len;
  /* pairing */
  uint8_t pairing_key[32];
  uint8_t pairing_index;
  /* session */
  bool sc;
  uint8_t enc[32], mac[32], iv[16];
  /* last response: data (plain, or unwrapped) and status word (inner one for wrapped commands) */
  uint8_t data[1024];
  size_t len;
  uint16_t sw;
  uint16_t outer_sw;
} kch;

/* The pairing secret derived from the password "KeycardTest" (computed once). */
const uint8_t *kch_test_secret(void);

void kch_new(kch *h, const char *params);
void kch_free(kch *h);
/* Warm reset: the applet forgets its transient state (and so does the host session). */
void kch_reset(kch *h);

uint16_t kch_send(kch *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len);
uint16_t kch_select(kch *h);
/* INIT with PIN, PUK, secret and optional extra plaintext (limits, alternate PIN). */
uint16_t kch_init(kch *h, const char *pin, const char *puk, const uint8_t secret[32], const uint8_t *extra,
                  size_t extra_len);
/* Sends plaintext one-shot encrypted (INIT, DUPLICATE KEY ADD ENTROPY). */
uint16_t kch_one_shot(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *plain, size_t len);
uint16_t kch_pair(kch *h, const uint8_t secret[32]);
/* PAIR with a P2 mode on the first step (3.2: 00 any, 01 ephemeral, 02 persistent). */
uint16_t kch_pair_p2(kch *h, const uint8_t secret[32], uint8_t mode);
/* OPEN SECURE CHANNEL + MUTUALLY AUTHENTICATE with the current pairing. */
uint16_t kch_open(kch *h);
/* A command through the secure channel; returns the inner status word (or the plain one). */
uint16_t kch_cmd(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len);
/* For commands the card rejects before unwrapping them (unknown INS, PAIR, a SIGN P1 out of
 * range): the wrapped answer is encrypted with the IV before the command, as the applet does. */
uint16_t kch_cmd_not_unwrapped(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len);
/* Like kch_cmd but flips one bit of the MAC (the card must answer a plain 6982). */
uint16_t kch_cmd_bad_mac(kch *h, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t len);

/* New card, INIT (default PIN/PUK, test secret), SELECT, PAIR, open channel. */
void kch_ready(kch *h, const char *params);
/* kch_ready + VERIFY PIN. */
void kch_ready_pin(kch *h, const char *params);
/* SELECT + open channel again (after a reset). */
void kch_reopen(kch *h);

/* GET STATUS P1 00 fields. */
void kch_status(kch *h, int *pin, int *puk, bool *key);

/* A digest of every record in the store, to check that a command changed nothing. */
void kch_snapshot(kch *h, uint8_t out[32]);

/* Hex to bytes for test vectors (aborts on bad input). */
size_t kch_hex(const char *hex, uint8_t *out, size_t cap);

#endif
