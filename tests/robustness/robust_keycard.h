/* Keycard scaffolding shared by the Keycard robustness tests: template cards built with the host
 * client (keycard_client) and the transient states commands start from. */
#ifndef CF_ROBUST_KEYCARD_H
#define CF_ROBUST_KEYCARD_H

#include <stdint.h>

#include "cardforge/keycard_client.h"
#include "robust_card.h"

#define RK_PIN "123456"
#define RK_PUK "123456789012"
#define RK_MNEMONIC "legal winner thank year wave sausage worth useful legal winner thank yellow"

/* Template files written by rk_make_templates into dir:
 *   fresh.card    installed, not initialized (applet 3.1)
 *   ready.card    INIT (PIN, PUK, pairing secret), paired in slot 0, BIP39 seed loaded, path m/44'/60'/0'/0/0
 *   blocked.card  ready.card with the PIN blocked (3 wrong PINs)
 *   fresh221.card, ready221.card  the same as an applet 2.2.1 (DUPLICATE KEY, SET NDEF)
 *   dupstart.card ready221.card with a DUPLICATE KEY session started (2 pieces)
 *   dup.card      ready221.card with a DUPLICATE KEY session: START (2 pieces) + ADD ENTROPY done
 * and keeps the pairing keys (rk_channel picks the one of the card's version), the pairing secret
 * and a DUPLICATE KEY export blob of another card sharing the same entropy (rk_blob). */
void rk_make_templates(const char *dir);

extern uint8_t rk_secret[32];
extern uint8_t rk_pair_index, rk_pair_key[32];
extern uint8_t rk_entropy[2][32];
extern uint8_t rk_blob[256];
extern size_t rk_blob_len;

/* The client of the card (c->client), set by the set-ups. */
keycard_client *rk_client(rb_card *c);
int rk_select(rb_card *c);  /* SELECT */
int rk_channel(rb_card *c); /* SELECT, secure channel with the template pairing */
int rk_pin(rb_card *c);     /* channel + VERIFY PIN */
/* A command inside the channel: returns 0 and the inner status word. */
int rk_secure(rb_card *c, const uint8_t *apdu, size_t len, uint16_t *sw);
/* PIN and PUK tries through GET STATUS (SELECT, channel); -1 if there is no channel any more. */
int rk_tries(rb_card *c, int tries[4]);

#endif
