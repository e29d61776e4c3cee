/* China Mobile E-Card Pass key-management cards (spec "密钥母卡设备要求" v1.0.0) and the target
 * devices of the project's profile, as emulated cards.
 *
 * Profiles (cf_card_profile names): kmc (key master card), authcard (authentication card),
 * workcard (working master card), usercard (RF-SIM user card), sam (SAM card), terminal.
 * Byte layouts, defaults and every choice: docs/cmcc-profile.md. Constructions: cmcc_crypto.h. */
#ifndef CARDFORGE_CMCC_H
#define CARDFORGE_CMCC_H

#include <stddef.h>
#include <stdint.h>

#include "cardforge/card.h"

extern const cf_card_profile *const cmcc_profiles[];
extern const size_t cmcc_profile_count;

/* ---- application identifiers (project's own; D156 = national registration, China) ---- */
#define CMCC_AID_PREFIX 0xD1, 0x56, 0x00, 0x01, 0x01, 0x80
#define CMCC_AID_LEN 8
#define CMCC_AID_KMC                                                                                         \
  { CMCC_AID_PREFIX, 0x00, 0x04 }
#define CMCC_AID_WORKCARD                                                                                    \
  { CMCC_AID_PREFIX, 0x00, 0x02 }
#define CMCC_AID_AUTHCARD                                                                                    \
  { CMCC_AID_PREFIX, 0x00, 0x03 }
#define CMCC_AID_USERCARD                                                                                    \
  { CMCC_AID_PREFIX, 0x00, 0x01 }
#define CMCC_AID_SAM                                                                                         \
  { CMCC_AID_PREFIX, 0x00, 0x05 }
#define CMCC_AID_TERMINAL                                                                                    \
  { CMCC_AID_PREFIX, 0x00, 0x06 }

/* Device type code, last 3 bytes of FCI tag 9F0C (spec table 8-1-20). */
#define CMCC_DEVICE_USER_CARD 0x000001
#define CMCC_DEVICE_WORKCARD 0x000002
#define CMCC_DEVICE_AUTHCARD 0x000003
#define CMCC_DEVICE_KMC 0x000004

/* ---- master cards: classes and instructions ---- */
#define CMCC_CLA_BASIC 0xF0 /* Verify/Change/Reload PIN, Get Challenge, External Auth, SELECT */
#define CMCC_CLA_ISO 0x00   /* Get Response, Read KeyInfo */
#define CMCC_CLA_PROP 0x80  /* key and data commands */

#define CMCC_INS_VERIFY_PIN 0x20
#define CMCC_INS_CHANGE_PIN 0x24
#define CMCC_INS_RELOAD_PIN 0x26
#define CMCC_INS_GET_CHALLENGE 0x84
#define CMCC_INS_EXTERNAL_AUTH 0x82
#define CMCC_INS_SELECT 0xA4
#define CMCC_INS_GET_RESPONSE 0xC0
#define CMCC_INS_READ_KEYINFO 0xB4      /* 00 B4 recno 00 0B */
#define CMCC_INS_INIT_FOR_GENERATE 0xE1 /* KMC */
#define CMCC_INS_GENERATE_KEY 0xE2      /* KMC */
#define CMCC_INS_EXPORT_KEYS_DATA 0xC2  /* KMC */
#define CMCC_INS_COPY_EXPORT_KEY 0xC4   /* KMC */
#define CMCC_INS_IMPORT_KEY 0xD8        /* all three; P2 00 = Update Info */
#define CMCC_INS_UPDATE_INFO 0xD8
#define CMCC_INS_INST_MAC_GENERATE 0x32 /* KMC */
#define CMCC_INS_ENCRYPT_DATA 0x30      /* auth card */
#define CMCC_INS_MAC_GENERATE 0x32      /* auth card */
#define CMCC_INS_WC_EXPORT 0xC0 /* working card, CLA 80: Export Key (Lc >= 19) and Export Data (Lc 8) */

/* Verify / Change / Reload PIN P2. */
#define CMCC_PIN_MAIN 0x01
#define CMCC_PIN_APP 0x02
#define CMCC_PIN_EXPORT 0x03
#define CMCC_PIN_LEN 8
#define CMCC_PIN_TRIES 3

/* External Authentication P2 -> key type, per card:
 *   KMC:       01 -> type 01 (operator KMC master key), 02 -> type 02 (master-card master key)
 *   auth card: 00 -> type 03 (authentication-card master key)
 *   work card: 01 -> type 04 (operator working-card master key), 02 -> type 05 (working-card master key)
 * A P2 in 00..02 that the card does not have answers 6A81; P2 > 02 or P1 != 00 answers 6A86. */
#define CMCC_AUTH_P2_AUTHCARD 0x00
#define CMCC_AUTH_P2_OPERATOR 0x01
#define CMCC_AUTH_P2_SECOND 0x02
#define CMCC_AUTH_TRIES 5

/* Import Key P2 (80 D8 00 P2 24): 00 = Update Info, 01 = level-1 keys, 02 = level-2 keys. */
#define CMCC_IMPORT_P2_INFO 0x00
#define CMCC_IMPORT_P2_LEVEL1 0x01
#define CMCC_IMPORT_P2_LEVEL2 0x02
#define CMCC_IMPORT_LC 0x24

/* CopyExport Key P2. */
#define CMCC_COPY_P2_WORKCARD 0x00
#define CMCC_COPY_P2_PLATFORM 0x01

/* Update Info data types. */
#define CMCC_INFO_ENTERPRISE_ID 0x01
#define CMCC_ENTERPRISE_ID_LEN 6

/* Export Keys&Data / Inst_MAC Generate P1 bits. */
#define CMCC_P1_EXPORT_KEY_FACTOR16 0x01 /* export (MAC) key factors are 16 bytes */
#define CMCC_P1_KEY_FACTOR16 0x02        /* exported keys' factors are 16 bytes (Export only) */
#define CMCC_P1_EXPORT_KEY_DIV_MASK 0x0C /* 00 = standard 3DES; others reserved (6A86) */
#define CMCC_P1_KEY_DIV_MASK 0x30        /* 00 = standard 3DES; others reserved (6A86) */
#define CMCC_P1_NO_SESSION_KEY 0x40
#define CMCC_P1_MAC_99 0x80

/* ---- key types (byte 1 of the attributes) ---- */
#define CMCC_KEY_OPERATOR_KMC 0x01    /* 移动母卡主控密钥 */
#define CMCC_KEY_MASTER_CARD 0x02     /* 母卡主控密钥 (second master key) */
#define CMCC_KEY_AUTHCARD 0x03        /* 母卡认证卡主控密钥 */
#define CMCC_KEY_OPERATOR_WORK 0x04   /* 移动工作母卡主控密钥 */
#define CMCC_KEY_WORKCARD 0x05        /* 工作母卡主控密钥 */
#define CMCC_KEY_TERMINAL_INIT 0x06   /* 终端初始密钥 */
#define CMCC_KEY_TERMINAL_APP 0x07    /* 终端应用密钥 */
#define CMCC_KEY_ENTERPRISE_MGMT 0x08 /* 企业管理密钥 */
#define CMCC_KEY_ENTERPRISE_APP 0x09  /* 企业应用密钥 */
#define CMCC_KEY_SAM_INIT 0x0A        /* SAM 卡初始主控密钥 */
#define CMCC_KEY_SAM 0x0B             /* other SAM keys */

/* Attribute byte offsets (Read KeyInfo response, Generate Key data, key records). */
#define CMCC_ATTR_TYPE 0
#define CMCC_ATTR_VERSION 1
#define CMCC_ATTR_INDEX 2
#define CMCC_ATTR_ALG 3
#define CMCC_ATTR_IE 4  /* high nibble import-key index, low nibble export-key index */
#define CMCC_ATTR_DIV 5 /* high nibble: max diversification levels; low nibble: usage 0..5 */
#define CMCC_ATTR_STATUS 6
#define CMCC_ATTR_COUNTER 7 /* 4 bytes: bit 31 = counting enabled, bits 30..0 = uses left */
#define CMCC_ALG_3DES 0x00
#define CMCC_KEY_USABLE 0xAA

/* ---- status words the spec defines beyond sw.h ---- */
#define CMCC_SW_AUTH_FAIL(n) (0x6300 | ((n)&0x0F)) /* ext auth failed, n tries left (6300 = none) */
#define CMCC_SW_PIN_BLOCKED 0x6985                 /* spec table 8-1-3: PIN file locked */
#define CMCC_SW_RANDOM_INVALID 0x6984              /* challenge fetched but voided */
#define CMCC_SW_DIV_LEVEL 0x6473                   /* wrong diversification levels */
#define CMCC_SW_EXPORT_KEY_MISSING 0x6474
#define CMCC_SW_RECORD_NOT_FOUND 0x6475 /* key file full (Import Key) */
#define CMCC_SW_KEY_NOT_FOUND 0x6476    /* also: Generate Key type not allowed */
#define CMCC_SW_KEY_TYPE 0x6476
#define CMCC_SW_DECRYPT_KEY_MISSING 0x6478
#define CMCC_SW_EXPORTED_KEY_MISSING 0x6479 /* also the auth card's "key not found" */
#define CMCC_SW_FILE_NOT_FOUND 0x6480
#define CMCC_SW_KEY_STATE 0x6484     /* key status not AA or its use counter exhausted */
#define CMCC_SW_USE_CONDITION 0x6485 /* key usage attribute forbids this computation */
#define CMCC_SW_FILE_TYPE 0x9408     /* key type not allowed in that role; algorithm not 3DES */
#define CMCC_SW_APP_LOCKED 0x9303
#define CMCC_SW_BAD_MAC 0x6988
#define CMCC_SW_ALREADY_EXISTS 0x6A89 /* target cards: sub-application exists */

/* ---- target devices (project-defined; docs/cmcc-profile.md "Target devices") ---- */
#define CMCC_TGT_CLA_SECURE 0x84
/* common to user card, SAM and terminal */
#define CMCC_TGT_INS_GET_CHALLENGE 0x84 /* 00 84 00 00 04 -> 4-byte random, valid for the next command */
#define CMCC_TGT_INS_INTERNAL_AUTH 0x88 /* 00 88 P1 P2 08 <8 bytes> -> 3DES-ECB under a stored key */
#define CMCC_TGT_INS_READ 0xB0          /* 00 B0 P1 00 -> stored data, no secrets */
#define CMCC_TGT_INS_VERIFY_MAC 0x82    /* 84 82 P1 P2 Lc data || MAC: 9000 / 6988 under a stored key */
#define CMCC_TGT_INS_GET_DATA 0xCA      /* 00 CA 00 tag Le -> the value of a data object (no secret) */
#define CMCC_TGT_DO_SERIAL 0xC1         /* GET DATA tag: user card serial (8 bytes) */
#define CMCC_TGT_DO_FACTOR 0xC2         /* GET DATA tag: SAM diversification factor (16 bytes) */
#define CMCC_UC_SERIAL_LEN 8
#define CMCC_SAM_FACTOR_LEN 16
/* user card: 84 INS subapp 00 Lc cipher || MAC, MAC key = session(diversify8(EMK, serial), R) */
#define CMCC_UC_INS_CREATE_SUBAPP 0xE0
#define CMCC_UC_INS_UPDATE_SUBAPP_DATA 0xD6
#define CMCC_UC_INS_UPDATE_SUBAPP_KEYS 0xD4
#define CMCC_UC_MAX_SUBAPPS 8
#define CMCC_UC_MAX_KEYS 8      /* per sub-application */
#define CMCC_UC_MAX_DATA 64     /* bytes of sub-application data */
#define CMCC_TGT_KEY_ATTR_LEN 2 /* target key attributes: key id || key version */
/* SAM: 84 D4 00 00 Lc cipher || MAC, MAC key = diversify16(SAM initial master key, factor16), no
 * session key; plaintext = n x (key id || version || value); key id 00 = the SAM master key. */
#define CMCC_SAM_INS_WRITE_KEY 0xD4
#define CMCC_SAM_MAX_KEYS 16
/* terminal (CLA 80): drives the working card's Export Key / Export Data (spec 4.1.7) */
#define CMCC_TERM_INS_PREPARE_EXPORT_KEY 0x50  /* data wc_random(4) idx(1) ver(1) -> Export Key data */
#define CMCC_TERM_INS_LOAD_KEY 0x52            /* data = working card's Export Key response */
#define CMCC_TERM_INS_PREPARE_EXPORT_DATA 0x54 /* -> Export Data data: T(4) || MAC3 */
#define CMCC_TERM_INS_LOAD_DATA 0x56           /* data = working card's Export Data response */
#define CMCC_TERM_MAX_KEYS 8
#define CMCC_TERM_KEY_HEADER_LEN 2 /* terminal key header: sub-application index || key version */

#endif
