/* The Keycard's commands, a table per applet version (status-im/status-keycard, KeycardApplet.java
 * process() of tags 2.2.1, 3.0, 3.1.0 and 3.2; 3.2 processes the same instructions as 3.1.0 and
 * uses its table): what a version does not list answers 6D00. The dispatcher (keycard_applet.c)
 * checks a row's conditions before its handler runs:
 * - CF_ACCESS_SECURE_CHANNEL: the command is unwrapped first (6985 without an open channel, 6982
 *   for a bad MAC, which also closes it);
 * - CF_ACCESS_PIN: then 6985 unless the PIN was verified in this session;
 * - CF_ACCESS_CHANNEL_SETUP: the channel's own commands, each checks the channel state itself;
 * - CF_ACCESS_NONE: the handler decides. IDENTIFY CARD and GET DATA unwrap only when a channel is
 *   open, SIGN takes a PIN-less path without one, DUPLICATE KEY's entropy step comes outside the
 *   channel, FACTORY RESET needs nothing.
 * Before INIT only the before_init table applies. The class byte is not checked (as the applet). */
#include <stddef.h>

#include "keycard_internal.h"

/* 2.2.1 and 3.0 derive at DERIVE KEY time (keycard_eager.c); 3.1 at SIGN / EXPORT KEY time. */
const cf_command kc_commands_2_2_1[] = {
    {CF_CLA_ANY, KEYCARD_INS_OPEN_SECURE_CHANNEL, CF_ACCESS_CHANNEL_SETUP, kc_open_secure_channel},
    {CF_CLA_ANY, KEYCARD_INS_MUTUALLY_AUTHENTICATE, CF_ACCESS_CHANNEL_SETUP, kc_mutually_authenticate},
    {CF_CLA_ANY, KEYCARD_INS_PAIR, CF_ACCESS_CHANNEL_SETUP, kc_pair},
    {CF_CLA_ANY, KEYCARD_INS_UNPAIR, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_unpair},
    {CF_CLA_ANY, KEYCARD_INS_GET_STATUS, CF_ACCESS_SECURE_CHANNEL, kc_get_status},
    {CF_CLA_ANY, KEYCARD_INS_SET_NDEF, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_set_ndef},
    {CF_CLA_ANY, KEYCARD_INS_VERIFY_PIN, CF_ACCESS_SECURE_CHANNEL, kc_verify_pin},
    {CF_CLA_ANY, KEYCARD_INS_CHANGE_PIN, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_change_pin},
    {CF_CLA_ANY, KEYCARD_INS_UNBLOCK_PIN, CF_ACCESS_SECURE_CHANNEL, kc_unblock_pin},
    {CF_CLA_ANY, KEYCARD_INS_LOAD_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_load_key},
    {CF_CLA_ANY, KEYCARD_INS_DERIVE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_eager_derive_key},
    {CF_CLA_ANY, KEYCARD_INS_GENERATE_MNEMONIC, CF_ACCESS_SECURE_CHANNEL, kc_generate_mnemonic},
    {CF_CLA_ANY, KEYCARD_INS_REMOVE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_remove_key},
    {CF_CLA_ANY, KEYCARD_INS_GENERATE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_generate_key},
    {CF_CLA_ANY, KEYCARD_INS_DUPLICATE_KEY, CF_ACCESS_NONE, kc_duplicate_key},
    {CF_CLA_ANY, KEYCARD_INS_SIGN, CF_ACCESS_NONE, kc_eager_sign},
    {CF_CLA_ANY, KEYCARD_INS_SET_PINLESS_PATH, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN,
     kc_eager_set_pinless_path},
    {CF_CLA_ANY, KEYCARD_INS_EXPORT_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_eager_export_key},
    {0, 0, CF_ACCESS_NONE, NULL},
};

const cf_command kc_commands_3_0[] = {
    {CF_CLA_ANY, KEYCARD_INS_OPEN_SECURE_CHANNEL, CF_ACCESS_CHANNEL_SETUP, kc_open_secure_channel},
    {CF_CLA_ANY, KEYCARD_INS_MUTUALLY_AUTHENTICATE, CF_ACCESS_CHANNEL_SETUP, kc_mutually_authenticate},
    {CF_CLA_ANY, KEYCARD_INS_PAIR, CF_ACCESS_CHANNEL_SETUP, kc_pair},
    {CF_CLA_ANY, KEYCARD_INS_UNPAIR, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_unpair},
    {CF_CLA_ANY, KEYCARD_INS_GET_STATUS, CF_ACCESS_SECURE_CHANNEL, kc_get_status},
    {CF_CLA_ANY, KEYCARD_INS_VERIFY_PIN, CF_ACCESS_SECURE_CHANNEL, kc_verify_pin},
    {CF_CLA_ANY, KEYCARD_INS_CHANGE_PIN, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_change_pin},
    {CF_CLA_ANY, KEYCARD_INS_UNBLOCK_PIN, CF_ACCESS_SECURE_CHANNEL, kc_unblock_pin},
    {CF_CLA_ANY, KEYCARD_INS_LOAD_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_load_key},
    {CF_CLA_ANY, KEYCARD_INS_DERIVE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_eager_derive_key},
    {CF_CLA_ANY, KEYCARD_INS_GENERATE_MNEMONIC, CF_ACCESS_SECURE_CHANNEL, kc_generate_mnemonic},
    {CF_CLA_ANY, KEYCARD_INS_REMOVE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_remove_key},
    {CF_CLA_ANY, KEYCARD_INS_GENERATE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_generate_key},
    {CF_CLA_ANY, KEYCARD_INS_SIGN, CF_ACCESS_NONE, kc_eager_sign},
    {CF_CLA_ANY, KEYCARD_INS_SET_PINLESS_PATH, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN,
     kc_eager_set_pinless_path},
    {CF_CLA_ANY, KEYCARD_INS_EXPORT_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_eager_export_key},
    {CF_CLA_ANY, KEYCARD_INS_GET_DATA, CF_ACCESS_NONE, kc_get_data},
    {CF_CLA_ANY, KEYCARD_INS_STORE_DATA, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_store_data},
    {0, 0, CF_ACCESS_NONE, NULL},
};

/* 3.1.0, and 3.2, which processes the same instructions; its handlers read the version's fields
 * (pairing slots and P2 modes, chunked NDEF, seed lengths) */
const cf_command kc_commands_3_1[] = {
    {CF_CLA_ANY, KEYCARD_INS_OPEN_SECURE_CHANNEL, CF_ACCESS_CHANNEL_SETUP, kc_open_secure_channel},
    {CF_CLA_ANY, KEYCARD_INS_MUTUALLY_AUTHENTICATE, CF_ACCESS_CHANNEL_SETUP, kc_mutually_authenticate},
    {CF_CLA_ANY, KEYCARD_INS_PAIR, CF_ACCESS_CHANNEL_SETUP, kc_pair},
    {CF_CLA_ANY, KEYCARD_INS_UNPAIR, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_unpair},
    {CF_CLA_ANY, KEYCARD_INS_IDENTIFY_CARD, CF_ACCESS_NONE, kc_identify_card},
    {CF_CLA_ANY, KEYCARD_INS_GET_STATUS, CF_ACCESS_SECURE_CHANNEL, kc_get_status},
    {CF_CLA_ANY, KEYCARD_INS_VERIFY_PIN, CF_ACCESS_SECURE_CHANNEL, kc_verify_pin},
    {CF_CLA_ANY, KEYCARD_INS_CHANGE_PIN, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_change_pin},
    {CF_CLA_ANY, KEYCARD_INS_UNBLOCK_PIN, CF_ACCESS_SECURE_CHANNEL, kc_unblock_pin},
    {CF_CLA_ANY, KEYCARD_INS_LOAD_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_load_key},
    {CF_CLA_ANY, KEYCARD_INS_DERIVE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_derive_key},
    {CF_CLA_ANY, KEYCARD_INS_GENERATE_MNEMONIC, CF_ACCESS_SECURE_CHANNEL, kc_generate_mnemonic},
    {CF_CLA_ANY, KEYCARD_INS_REMOVE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_remove_key},
    {CF_CLA_ANY, KEYCARD_INS_GENERATE_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_generate_key},
    {CF_CLA_ANY, KEYCARD_INS_SIGN, CF_ACCESS_NONE, kc_sign},
    {CF_CLA_ANY, KEYCARD_INS_SET_PINLESS_PATH, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_set_pinless_path},
    {CF_CLA_ANY, KEYCARD_INS_EXPORT_KEY, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_export_key},
    {CF_CLA_ANY, KEYCARD_INS_GET_DATA, CF_ACCESS_NONE, kc_get_data},
    {CF_CLA_ANY, KEYCARD_INS_STORE_DATA, CF_ACCESS_SECURE_CHANNEL | CF_ACCESS_PIN, kc_store_data},
    {CF_CLA_ANY, KEYCARD_INS_FACTORY_RESET, CF_ACCESS_NONE, kc_factory_reset},
    {0, 0, CF_ACCESS_NONE, NULL},
};

const cf_command kc_commands_before_init_2x[] = {
    {CF_CLA_ANY, KEYCARD_INS_INIT, CF_ACCESS_NONE, kc_init},
    {0, 0, CF_ACCESS_NONE, NULL},
};

const cf_command kc_commands_before_init_3_1[] = {
    {CF_CLA_ANY, KEYCARD_INS_INIT, CF_ACCESS_NONE, kc_init},
    {CF_CLA_ANY, KEYCARD_INS_IDENTIFY_CARD, CF_ACCESS_NONE, kc_identify_card},
    {0, 0, CF_ACCESS_NONE, NULL},
};
