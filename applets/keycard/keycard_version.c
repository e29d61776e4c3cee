/* The released applet versions this card can be, one row each. Every field is a difference found
 * between the tags 2.2.1, 3.0, 3.1.0 and 3.2 of status-im/status-keycard (KeycardApplet.java and
 * SecureChannel.java in src/main/java/im/status/keycard); docs/keycard.md cites each. */
#include <string.h>

#include "cardforge/apdu.h"
#include "keycard_internal.h"

/* 2.2.1 and 3.0 announce the four original capabilities; 3.1.0 adds factory reset */
#define KC_CAPS_2X_30                                                                                        \
  (KEYCARD_CAP_SECURE_CHANNEL | KEYCARD_CAP_KEY_MANAGEMENT | KEYCARD_CAP_CREDENTIALS_MANAGEMENT |            \
   KEYCARD_CAP_NDEF)

static const kc_version kc_versions[] = {
    {
        .name = "2.2.1",
        .number = KEYCARD_VERSION_2_2_1,
        .capabilities = KC_CAPS_2X_30,
        .channel_key_rotation = true,
        .pairing_slots = 5,
        .seed_min = 64,
        .commands = kc_commands_2_2_1,
        .commands_before_init = kc_commands_before_init_2x,
    },
    {
        .name = "3.0",
        .number = KEYCARD_VERSION_3_0,
        .capabilities = KC_CAPS_2X_30,
        .verify_pin_format = true,
        .channel_key_rotation = true,
        .pairing_slots = 5,
        .seed_min = 64,
        .commands = kc_commands_3_0,
        .commands_before_init = kc_commands_before_init_2x,
    },
    {
        .name = "3.1",
        .number = KEYCARD_VERSION_3_1,
        .capabilities = KC_CAPS_2X_30 | KEYCARD_CAP_FACTORY_RESET,
        .init_options = true,
        .alt_pin = true,
        .verify_pin_format = true,
        .export_extended_public = true,
        .pairing_slots = 5,
        .seed_min = 64,
        .commands = kc_commands_3_1,
        .commands_before_init = kc_commands_before_init_3_1,
    },
    {
        /* tag 3.2 (APPLICATION_VERSION 0302): PAIRING_MAX_CLIENT_COUNT 10, PAIR_P2_* and
         * PAIR_SLOT_EPHEMERAL, NDEF_MAX_SIZE 512 with STORE DATA P1 01 at P2 * 4,
         * BIP32_MIN_SEED_SIZE 16; capabilities, INIT and the command set as 3.1.0 */
        .name = "3.2",
        .number = KEYCARD_VERSION_3_2,
        .capabilities = KC_CAPS_2X_30 | KEYCARD_CAP_FACTORY_RESET,
        .init_options = true,
        .alt_pin = true,
        .verify_pin_format = true,
        .export_extended_public = true,
        .pairing_slots = KEYCARD_PAIRING_SLOTS_3_2,
        .ephemeral_pairing = true,
        .ndef_chunked = true,
        .seed_min = 16,
        .commands = kc_commands_3_1,
        .commands_before_init = kc_commands_before_init_3_1,
    },
};

/* Other spellings accepted for a version: the tag's own name and the project's earlier "2.2". */
static const struct {
  const char *alias;
  const char *name;
} kc_version_aliases[] = {{"2.2", "2.2.1"}, {"3.1.0", "3.1"}};

const kc_version *kc_version_by_name(const char *name) {
  for (size_t i = 0; i < sizeof kc_version_aliases / sizeof kc_version_aliases[0]; i++)
    if (strcmp(name, kc_version_aliases[i].alias) == 0) name = kc_version_aliases[i].name;
  for (size_t i = 0; i < sizeof kc_versions / sizeof kc_versions[0]; i++)
    if (strcmp(name, kc_versions[i].name) == 0) return &kc_versions[i];
  return NULL;
}

const kc_version *kc_version_by_number(uint16_t number) {
  for (size_t i = 0; i < sizeof kc_versions / sizeof kc_versions[0]; i++)
    if (kc_versions[i].number == number) return &kc_versions[i];
  return NULL;
}

/* The card's version is a record written when the card is created; a card without one (never
 * the case once installed) is the default version. */
const kc_version *kc_version_of(const cf_applet *app) {
  size_t len = 0;
  const uint8_t *v = kc_peek(app, KC_REC_CONFIG, &len);
  const kc_version *ver = v && len == 2 ? kc_version_by_number(cf_be16(v)) : NULL;
  return ver ? ver : kc_version_by_name(KEYCARD_DEFAULT_VERSION);
}
