/* The Keycard package's Cash application (CashApplet, status-im/status-keycard tag 3.2): a key
 * pair of its own, made when it is installed, that signs 32-byte hashes without PIN or secure
 * channel, and IDENTIFY CARD. docs/keycard-card.md has the bytes. */
#ifndef CARDFORGE_CASH_H
#define CARDFORGE_CASH_H

#include <stdint.h>

#include "cardforge/card.h"

/* Instance AID (status-keycard-java Identifiers.CASH_INSTANCE_AID): class A000000804000103, instance 01. */
#define CASH_AID_LEN 9
extern const uint8_t cash_instance_aid[CASH_AID_LEN];

#define CASH_INS_SIGN 0xC0
#define CASH_INS_IDENTIFY_CARD 0x14
#define CASH_TLV_APPLICATION_INFO 0xA4
#define CASH_TLV_PUB_KEY 0x80
#define CASH_TLV_INT 0x02
#define CASH_TLV_PUB_DATA 0x82
#define CASH_TLV_SIGNATURE_TEMPLATE 0xA0
/* The package version the Cash application reports (KeycardApplet.APPLICATION_VERSION, tag 3.2). */
#define CASH_APPLICATION_VERSION 0x0302

/* The Cash application. Install parameters, set by the card type that holds it (the package's
 * shared memory lives with other applications of the card):
 *   wallet_ns=N  store namespace of the wallet applet, whose STORE DATA P1 02 writes the cash data
 *   ident_ns=N   store namespace of the Ident application, whose identity IDENTIFY CARD uses
 * Without one, SELECT reports no cash data / IDENTIFY CARD answers 6985. */
extern const cf_applet_ops cash_applet_ops;

#endif
