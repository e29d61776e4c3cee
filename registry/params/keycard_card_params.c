/* The parameters of the keycard card type and its other name keycard-card (applets/keycard_card,
 * docs/keycard-card.md): the wallet applet's version (as for keycard-applet), the Security Domain's
 * (as for the gp card type), and the test CA that provisions the identity. */
#include "registry_build.h"

#define HEX(n, ...) .kind = CF_PARAM_HEX, .sizes = {n, __VA_ARGS__}

static const cf_param_spec keycard_card_params[] = {
    {.name = "version",
     .kind = CF_PARAM_CHOICE,
     .choices = "3.2|3.1|3.0|2.2.1",
     .aliases = "2.2=2.2.1|3.1.0=3.1",
     .def = "3.2",
     .meaning = "wallet applet version the card reports and behaves as"},
    {.name = "scp",
     .kind = CF_PARAM_CHOICE,
     .choices = "02|03",
     .def = "02",
     .meaning = "Security Domain: secure channel protocol of the initial keys (02: DES, 03: AES)"},
    {.name = "key",
     HEX(16, 24, 32),
     .secret = true,
     .def = "404142434445464748494A4B4C4D4E4F",
     .meaning = "Security Domain: initial ENC, MAC and DEK key"},
    {.name = "enc",
     HEX(16, 24, 32),
     .secret = true,
     .meaning = "Security Domain: initial ENC key (default: key)"},
    {.name = "mac",
     HEX(16, 24, 32),
     .secret = true,
     .meaning = "Security Domain: initial MAC key (default: key)"},
    {.name = "dek",
     HEX(16, 24, 32),
     .secret = true,
     .meaning = "Security Domain: initial DEK key (default: key)"},
    {.name = "kvn",
     HEX(1),
     .def = "FF",
     .meaning = "Security Domain: key version number of the initial keys"},
    {.name = "i02", .kind = CF_PARAM_CHOICE, .choices = "15|55", .def = "55", .meaning = "SCP02 option i"},
    {.name = "i03",
     .kind = CF_PARAM_CHOICE,
     .choices = "00|10|30|70",
     .def = "70",
     .meaning = "SCP03 option i"},
    {.name = "serial", HEX(4), .meaning = "IC serial number in CPLC, KDD and CIN (default: random)"},
    {.name = "ident_ca",
     HEX(32),
     .secret = true,
     .meaning = "test CA private key: the card gets an identity certificate signed by it (default: none)"},
};

const cf_card_type_decl cf_keycard_card_type_params[] = {
    CF_CARD_TYPE_DECL("keycard", keycard_card_params),
    CF_CARD_TYPE_DECL("keycard-card", keycard_card_params),
};
const size_t cf_keycard_card_type_params_count =
    sizeof cf_keycard_card_type_params / sizeof cf_keycard_card_type_params[0];
