/* The parameters of the six China Mobile card types (applets/cmcc, docs/cmcc-profile.md section 3.1).
 * The cards read the values themselves; this table is what the emulator checks a parameter string against,
 * lists in `cardforge sim --list-types`, and compares with an existing state file. */
#include "registry_build.h"

#define HEX(n, ...) .kind = CF_PARAM_HEX, .sizes = {n, __VA_ARGS__}

/* The three mother cards share their parameters; only the defaults of keys= and eid= differ. */
#define MASTER_PARAMS(default_keys, default_eid, eid_meaning)                                                \
  {.name = "pin1", HEX(8), .secret = true, .def = "3131313131313131", .meaning = "main PIN (8 bytes)"},      \
      {.name = "pin2", HEX(8), .secret = true, .def = "3232323232323232", .meaning = "application PIN"},     \
      {.name = "pin3", HEX(8), .secret = true, .def = "3333333333333333", .meaning = "export PIN"},          \
      {.name = "keys",                                                                                       \
       .kind = CF_PARAM_HEX_LIST,                                                                            \
       .max_item = 0x0B,                                                                                     \
       .def = default_keys,                                                                                  \
       .meaning = "key types preset at creation"},                                                           \
      {.name = "k01", HEX(16), .secret = true, .meaning = "value of preset key type 01"},                    \
      {.name = "k02", HEX(16), .secret = true, .meaning = "value of preset key type 02"},                    \
      {.name = "k03", HEX(16), .secret = true, .meaning = "value of preset key type 03"},                    \
      {.name = "k04", HEX(16), .secret = true, .meaning = "value of preset key type 04"},                    \
      {.name = "k05", HEX(16), .secret = true, .meaning = "value of preset key type 05"},                    \
      {.name = "k06", HEX(16), .secret = true, .meaning = "value of preset key type 06"},                    \
      {.name = "k07", HEX(16), .secret = true, .meaning = "value of preset key type 07"},                    \
      {.name = "k08", HEX(16), .secret = true, .meaning = "value of preset key type 08"},                    \
      {.name = "k09", HEX(16), .secret = true, .meaning = "value of preset key type 09"},                    \
      {.name = "k0A", HEX(16), .secret = true, .meaning = "value of preset key type 0A"},                    \
      {.name = "k0B", HEX(16), .secret = true, .meaning = "value of preset key type 0B"}, {                  \
    .name = "eid", HEX(6), .def = default_eid, .meaning = eid_meaning                                        \
  }

static const cf_param_spec kmc_params[] = {MASTER_PARAMS("0102", NULL, "enterprise ID (default: none)")};
static const cf_param_spec authcard_params[] = {MASTER_PARAMS("0203", NULL, "enterprise ID (default: none)")};
static const cf_param_spec workcard_params[] = {MASTER_PARAMS("0405", "112233445566", "enterprise ID")};

static const cf_param_spec usercard_params[] = {
    {.name = "serial", HEX(8), .def = "0102030405060708", .meaning = "card serial number"},
    {.name = "emk", HEX(16), .secret = true, .meaning = "enterprise management key (default: the spec's)"},
    {.name = "ck", HEX(16), .secret = true, .meaning = "the card's export key (default: emk diversified)"},
};

static const cf_param_spec sam_params[] = {
    {.name = "factor",
     HEX(16),
     .def = "0102030405060708F1F2F3F4F5F6F7F8",
     .meaning = "diversification factor"},
    {.name = "imk", HEX(16), .secret = true, .meaning = "initial master key (default: the spec's)"},
    {.name = "mk", HEX(16), .secret = true, .meaning = "the card's master key (default: imk diversified)"},
};

static const cf_param_spec terminal_params[] = {
    {.name = "tik", HEX(16), .secret = true, .meaning = "terminal initial key (default: the spec's)"},
};

const cf_card_type_decl cf_cmcc_type_params[] = {
    CF_CARD_TYPE_DECL("kmc", kmc_params),           CF_CARD_TYPE_DECL("authcard", authcard_params),
    CF_CARD_TYPE_DECL("workcard", workcard_params), CF_CARD_TYPE_DECL("usercard", usercard_params),
    CF_CARD_TYPE_DECL("sam", sam_params),           CF_CARD_TYPE_DECL("terminal", terminal_params),
};
const size_t cf_cmcc_type_params_count = sizeof cf_cmcc_type_params / sizeof cf_cmcc_type_params[0];
