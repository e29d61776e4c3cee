/* The Keycard package's NDEF application (NDEFApplet, status-im/status-keycard tag 3.2): an NFC
 * Forum Type 4 Tag (Type 4 Tag Technical Specification, mapping version 2.0) so that a phone reads
 * the NDEF message the wallet applet stores. The NDEF file is the wallet's (shared memory);
 * docs/keycard-card.md has the bytes. */
#ifndef CARDFORGE_NDEF_H
#define CARDFORGE_NDEF_H

#include <stdint.h>

#include "cardforge/card.h"

/* The NDEF Tag Application's AID (Type 4 Tag specification; status-keycard-java NDEF_INSTANCE_AID). */
#define NDEF_AID_LEN 7
extern const uint8_t ndef_instance_aid[NDEF_AID_LEN];

#define NDEF_INS_SELECT 0xA4
#define NDEF_INS_READ_BINARY 0xB0
#define NDEF_FILE_CC 0xE103   /* capability container */
#define NDEF_FILE_NDEF 0xE104 /* NDEF file: NLEN (2, big endian) || message */
#define NDEF_CC_LEN 15
/* A READ BINARY answers at most this many bytes whatever Le asks (NDEFApplet NDEF_READ_SIZE). */
#define NDEF_READ_MAX 255
extern const uint8_t ndef_capability_container[NDEF_CC_LEN];

/* The NDEF application. Install parameters, set by the card type that holds it:
 *   wallet_ns=N  store namespace of the wallet applet (the shared NDEF file lives there)
 *   file=HEX     the initial NDEF file (NLEN || message), taken when the wallet holds none yet,
 *                as the applet takes one from its install parameters (C9) when NLEN fits */
extern const cf_applet_ops ndef_applet_ops;

#endif
