/* The Keycard as it ships: one card holding this project's GlobalPlatform Issuer Security Domain
 * and the four applications of the im.status.keycard package of status-im/status-keycard tag 3.2
 * (the wallet applet at 3.2, Cash, NDEF, Ident), with the memory the package's applications share.
 * Card type "keycard" (also "keycard-card", its earlier name); docs/keycard-card.md describes it. The
 * wallet applet alone is the card type "keycard-applet" (cardforge/keycard.h). Parameters (first
 * creation only):
 *   version=       the wallet applet's version, 2.2.1|3.0|3.1|3.2 (default 3.2)
 *   scp=, key=, enc=, mac=, dek=, kvn=, i02=, i03=, serial=  the Security Domain's, as for "gp"
 *   ident_ca=HEX   a test CA's private key (32 bytes, secret): the card gets an identity key and a
 *                  certificate signed by it, as a provisioning station gives them; without it the
 *                  Ident application is unprovisioned and IDENTIFY CARD answers 6985
 * The NDEF application is installed with an empty NDEF file, as the tag's install task does. */
#ifndef CARDFORGE_KEYCARD_CARD_H
#define CARDFORGE_KEYCARD_CARD_H

#include "cardforge/card.h"

extern const cf_card_profile keycard_card_profile;       /* "keycard" */
extern const cf_card_profile keycard_card_alias_profile; /* "keycard-card": the same card */

/* Store namespaces of the applications (the order they are added in, fixed for a card's life). */
enum {
  KEYCARD_CARD_NS_WALLET = 1,
  KEYCARD_CARD_NS_NDEF = 2,
  KEYCARD_CARD_NS_CASH = 3,
  KEYCARD_CARD_NS_IDENT = 4,
  KEYCARD_CARD_NS_ISD = 5,
};

#endif
