/* The parameters of the keycard-applet card type, the wallet applet alone (applets/keycard,
 * docs/keycard.md). The card reads
 * the values themselves; this table is what the emulator checks a parameter string against, lists in
 * `cardforge sim --list-types`, and compares with an existing state file. */
#include "registry_build.h"

/* The version names and aliases the keycard entry itself parses (applets/keycard/keycard_version.c). */
static const cf_param_spec keycard_params[] = {
    {.name = "version",
     .kind = CF_PARAM_CHOICE,
     .choices = "3.2|3.1|3.0|2.2.1",
     .aliases = "2.2=2.2.1|3.1.0=3.1",
     .def = "3.2",
     .meaning = "applet version the card reports and behaves as"},
};

const cf_card_type_decl cf_keycard_type_params[] = {
    CF_CARD_TYPE_DECL("keycard-applet", keycard_params),
};
const size_t cf_keycard_type_params_count = sizeof cf_keycard_type_params / sizeof cf_keycard_type_params[0];
