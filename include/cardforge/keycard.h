/* The emulated Status Keycard (card side): the applet's profile and the protocol constants that
 * tests and tools share. The protocol is documented byte by byte in docs/keycard.md. */
#ifndef CARDFORGE_KEYCARD_H
#define CARDFORGE_KEYCARD_H

#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"
#include "cardforge/store.h"

/* Profile "keycard". Param "version": one of the released applet versions, each behaving as that
 * tag of status-im/status-keycard does (command set, INIT, SELECT, status words): "2.2.1" (also
 * "2.2"), "3.0", "3.1" (also "3.1.0"), "3.2" (default). The version is fixed when the card is created;
 * docs/keycard.md has the table of differences. */
extern const cf_card_profile keycard_profile;
/* The wallet applet itself, for a card type that holds it beside other applications (the Keycard
 * as shipped, cardforge/keycard_card.h). */
extern const cf_applet_ops keycard_applet_ops;

/* Instance AID of the Keycard application. */
#define KEYCARD_AID_LEN 9
extern const uint8_t keycard_aid[KEYCARD_AID_LEN];

/* APPLICATION_VERSION of each, as SELECT reports it */
#define KEYCARD_VERSION_2_2_1 0x0202
#define KEYCARD_VERSION_3_0 0x0300
#define KEYCARD_VERSION_3_1 0x0301
#define KEYCARD_VERSION_3_2 0x0302
#define KEYCARD_DEFAULT_VERSION "3.2"

/* ---- instructions (CLA 80 unless stated) ---- */
#define KEYCARD_INS_INIT 0xFE
#define KEYCARD_INS_FACTORY_RESET 0xFD
#define KEYCARD_INS_GET_STATUS 0xF2
#define KEYCARD_INS_SET_NDEF 0xF3 /* 2.2.1 only */
#define KEYCARD_INS_OPEN_SECURE_CHANNEL 0x10
#define KEYCARD_INS_MUTUALLY_AUTHENTICATE 0x11
#define KEYCARD_INS_PAIR 0x12
#define KEYCARD_INS_UNPAIR 0x13
#define KEYCARD_INS_IDENTIFY_CARD 0x14
#define KEYCARD_INS_VERIFY_PIN 0x20
#define KEYCARD_INS_CHANGE_PIN 0x21
#define KEYCARD_INS_UNBLOCK_PIN 0x22
#define KEYCARD_INS_SIGN 0xC0
#define KEYCARD_INS_SET_PINLESS_PATH 0xC1
#define KEYCARD_INS_EXPORT_KEY 0xC2
#define KEYCARD_INS_GET_DATA 0xCA
#define KEYCARD_INS_LOAD_KEY 0xD0
#define KEYCARD_INS_DERIVE_KEY 0xD1
#define KEYCARD_INS_GENERATE_MNEMONIC 0xD2
#define KEYCARD_INS_REMOVE_KEY 0xD3
#define KEYCARD_INS_GENERATE_KEY 0xD4
#define KEYCARD_INS_DUPLICATE_KEY 0xD5
#define KEYCARD_INS_STORE_DATA 0xE2

/* ---- parameters ---- */
#define KEYCARD_GET_STATUS_P1_APPLICATION 0x00
#define KEYCARD_GET_STATUS_P1_KEY_PATH 0x01
#define KEYCARD_PAIR_P1_FIRST_STEP 0x00
#define KEYCARD_PAIR_P1_LAST_STEP 0x01
#define KEYCARD_PAIR_P2_ANY 0x00        /* 3.2: a free slot, else the ephemeral one */
#define KEYCARD_PAIR_P2_EPHEMERAL 0x01  /* 3.2 */
#define KEYCARD_PAIR_P2_PERSISTENT 0x02 /* 3.2: a free slot, else 6A84 */
#define KEYCARD_PAIR_SLOT_EPHEMERAL 0xFF
#define KEYCARD_CHANGE_PIN_P1_PIN 0x00
#define KEYCARD_CHANGE_PIN_P1_PUK 0x01
#define KEYCARD_CHANGE_PIN_P1_PAIRING_SECRET 0x02
#define KEYCARD_LOAD_KEY_P1_EC 0x01
#define KEYCARD_LOAD_KEY_P1_EXT_EC 0x02
#define KEYCARD_LOAD_KEY_P1_SEED 0x03
#define KEYCARD_DERIVE_P1_SOURCE_MASTER 0x00
#define KEYCARD_DERIVE_P1_SOURCE_PARENT 0x40
#define KEYCARD_DERIVE_P1_SOURCE_CURRENT 0x80
#define KEYCARD_DERIVE_P1_SOURCE_PINLESS 0xC0
#define KEYCARD_SIGN_P1_CURRENT 0x00
#define KEYCARD_SIGN_P1_DERIVE 0x01
#define KEYCARD_SIGN_P1_DERIVE_AND_MAKE_CURRENT 0x02
#define KEYCARD_SIGN_P1_PINLESS 0x03
#define KEYCARD_EXPORT_P1_CURRENT 0x00
#define KEYCARD_EXPORT_P1_DERIVE 0x01
#define KEYCARD_EXPORT_P1_DERIVE_AND_MAKE_CURRENT 0x02
#define KEYCARD_EXPORT_P2_PRIVATE 0x00
#define KEYCARD_EXPORT_P2_PUBLIC 0x01
#define KEYCARD_EXPORT_P2_EXTENDED_PUBLIC 0x02
#define KEYCARD_DATA_P1_PUBLIC 0x00
#define KEYCARD_DATA_P1_NDEF 0x01
#define KEYCARD_DATA_P1_CASH 0x02
#define KEYCARD_FACTORY_RESET_P1 0xAA
#define KEYCARD_FACTORY_RESET_P2 0x55
#define KEYCARD_DUPLICATE_P1_START 0x00
#define KEYCARD_DUPLICATE_P1_ADD_ENTROPY 0x01
#define KEYCARD_DUPLICATE_P1_EXPORT 0x02
#define KEYCARD_DUPLICATE_P1_IMPORT 0x03

/* ---- TLV tags ---- */
#define KEYCARD_TLV_SIGNATURE_TEMPLATE 0xA0
#define KEYCARD_TLV_KEY_TEMPLATE 0xA1
#define KEYCARD_TLV_STATUS_TEMPLATE 0xA3
#define KEYCARD_TLV_INFO_TEMPLATE 0xA4
#define KEYCARD_TLV_PUB_KEY 0x80
#define KEYCARD_TLV_PRIV_KEY 0x81
#define KEYCARD_TLV_CHAIN_CODE 0x82
#define KEYCARD_TLV_INT 0x02
#define KEYCARD_TLV_BOOL 0x01
#define KEYCARD_TLV_UID 0x8F
#define KEYCARD_TLV_KEY_UID 0x8E
#define KEYCARD_TLV_CAPABILITIES 0x8D

/* Capabilities byte (8D in SELECT): 2.2.1 and 3.0 have the first four, 3.1 adds factory reset. */
#define KEYCARD_CAP_SECURE_CHANNEL 0x01
#define KEYCARD_CAP_KEY_MANAGEMENT 0x02
#define KEYCARD_CAP_CREDENTIALS_MANAGEMENT 0x04
#define KEYCARD_CAP_NDEF 0x08
#define KEYCARD_CAP_FACTORY_RESET 0x10

/* ---- sizes and limits ---- */
#define KEYCARD_PIN_LEN 6
#define KEYCARD_PUK_LEN 12
#define KEYCARD_SECRET_LEN 32
#define KEYCARD_PAIRING_SLOTS 5      /* 2.2.1 .. 3.1 */
#define KEYCARD_PAIRING_SLOTS_3_2 10 /* 3.2 */
#define KEYCARD_PAIRING_SLOTS_MAX 10
#define KEYCARD_UID_LEN 16
#define KEYCARD_KEY_UID_LEN 32
#define KEYCARD_PATH_MAX_DEPTH 10
#define KEYCARD_MAX_PLAIN 223 /* largest plaintext (data + SW) a secure APDU carries */
#define KEYCARD_DEFAULT_PIN_TRIES 3
#define KEYCARD_DEFAULT_PUK_TRIES 5
#define KEYCARD_PIN_TRIES_MIN 2
#define KEYCARD_PIN_TRIES_MAX 10
#define KEYCARD_PUK_TRIES_MIN 3
#define KEYCARD_PUK_TRIES_MAX 12
#define KEYCARD_PUBLIC_DATA_MAX 127
#define KEYCARD_CASH_DATA_MAX 127
#define KEYCARD_NDEF_DATA_MAX 223 /* 2.2.1 .. 3.1: one STORE DATA / SET NDEF */
#define KEYCARD_NDEF_FILE_MAX 512 /* 3.2: the shared NDEF memory, written in chunks */

/* Pairing password -> pairing secret: PBKDF2-HMAC-SHA256(NFKD(password), salt, 50000, 32). */
#define KEYCARD_PAIRING_SALT "Keycard Pairing Password Salt"
#define KEYCARD_PAIRING_ITERATIONS 50000

#define KEYCARD_SW_REFERENCED_DATA_NOT_FOUND 0x6A88

/* ---- the NDEF file the wallet applet shares with the package's NDEF application ----
 * On the card the wallet (STORE DATA P1 01, 2.2.1 SET NDEF) and the NDEF Type 4 Tag application
 * (file E104) use one array (SharedMemory.ndefDataFile, status-im/status-keycard). Here it is the
 * store record 13 (KC_REC_DATA_NDEF) in the wallet applet's namespace (the wallet's cf_applet ns):
 * - 3.2: the array itself from its start (a 2-byte big-endian length NLEN, then the message),
 *   KEYCARD_NDEF_FILE_MAX bytes at most; bytes past the record's end are zero (never written);
 * - 2.2.1 .. 3.1: the bytes the last STORE DATA P1 01 / SET NDEF wrote (the applet keeps their
 *   count in the array's first byte and the NDEF application serves exactly that many).
 * wallet_ns: the namespace of the wallet applet on the card (its cf_applet ns). */
#define KEYCARD_NDEF_OK 0
#define KEYCARD_NDEF_SHORT_BUFFER (-1) /* cap < *len; nothing copied */
#define KEYCARD_NDEF_OVERRUN (-2)      /* 3.2: NLEN + 2 runs past the shared memory, see below */
#define KEYCARD_NDEF_STORE_ERROR (-3)

/* The content of file E104 as the NDEF application serves it: 3.2, the first NLEN + 2 bytes of the
 * array (*len = NLEN + 2); older versions, the record (*len its length, 0 when never written).
 * KEYCARD_NDEF_OVERRUN: chunked writes left an NLEN + 2 beyond KEYCARD_NDEF_FILE_MAX; *len is
 * NLEN + 2 and out holds the KEYCARD_NDEF_FILE_MAX bytes that exist (cap must allow them); the
 * applet's READ BINARY fails past them (an array-bounds exception, 6F00). */
int cf_keycard_ndef_read(cf_store *store, uint16_t wallet_ns, uint8_t *out, size_t cap, size_t *len);

/* For the NDEF application's install (inside the runtime's install transaction): the initial
 * file (NLEN || message, KEYCARD_NDEF_FILE_MAX bytes at most) when the record does not exist yet,
 * so a reopened card keeps what the wallet wrote. KEYCARD_NDEF_OK when written or already there. */
int cf_keycard_ndef_install(cf_store *store, uint16_t wallet_ns, const uint8_t *file, size_t len);

/* ---- the cash data the wallet applet shares with the package's Cash application ----
 * On the card SharedMemory.cashDataFile (a length byte and up to 127 bytes), written by the
 * wallet's STORE DATA P1 02 and reported by the Cash application's SELECT (tag 82). Here the
 * wallet's record, the data bytes without the length byte. Reads them into out: KEYCARD_NDEF_OK
 * with *len their count (0: none stored), KEYCARD_NDEF_SHORT_BUFFER when cap < *len (nothing
 * copied), KEYCARD_NDEF_STORE_ERROR for a record no wallet could have written. */
int cf_keycard_cash_read(cf_store *store, uint16_t wallet_ns, uint8_t *out, size_t cap, size_t *len);

#endif
