/* The parameters of the gp card type (applets/gp, docs/gp.md). The card reads
 * the values themselves; this table is what the emulator checks a parameter string against, lists in
 * `cardforge sim --list-types`, and compares with an existing state file. */
#include "registry_build.h"

#define HEX(n, ...) .kind = CF_PARAM_HEX, .sizes = {n, __VA_ARGS__}

static const cf_param_spec gp_params[] = {
    {.name = "scp",
     .kind = CF_PARAM_CHOICE,
     .choices = "02|03",
     .def = "02",
     .meaning = "secure channel protocol of the initial keys (02: DES, 03: AES)"},
    {.name = "key",
     HEX(16, 24, 32),
     .secret = true,
     .def = "404142434445464748494A4B4C4D4E4F",
     .meaning = "initial ENC, MAC and DEK key"},
    {.name = "enc", HEX(16, 24, 32), .secret = true, .meaning = "initial ENC key (default: key)"},
    {.name = "mac", HEX(16, 24, 32), .secret = true, .meaning = "initial MAC key (default: key)"},
    {.name = "dek", HEX(16, 24, 32), .secret = true, .meaning = "initial DEK key (default: key)"},
    {.name = "kvn", HEX(1), .def = "FF", .meaning = "key version number of the initial keys (01-FF)"},
    {.name = "i02", .kind = CF_PARAM_CHOICE, .choices = "15|55", .def = "55", .meaning = "SCP02 option i"},
    {.name = "i03",
     .kind = CF_PARAM_CHOICE,
     .choices = "00|10|30|70|01|11|31|71",
     .def = "70",
     .meaning = "SCP03 option i (b1 = S16 mode)"},
    {.name = "serial", HEX(4), .meaning = "IC serial number in CPLC, KDD and CIN (default: random)"},
    {.name = "life",
     .kind = CF_PARAM_CHOICE,
     .choices = "01|07|0F",
     .def = "0F",
     .meaning = "card life cycle state at creation (01 OP_READY, 07 INITIALIZED, 0F SECURED)"},
};

const cf_card_type_decl cf_gp_type_params[] = {
    CF_CARD_TYPE_DECL("gp", gp_params),
};
const size_t cf_gp_type_params_count = sizeof cf_gp_type_params / sizeof cf_gp_type_params[0];
