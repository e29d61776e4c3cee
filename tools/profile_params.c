/* What each card type of the registry accepts as parameters (cardforge/params.h). The cards read
 * the values themselves (applets/ * install functions, docs/cmcc-profile.md section 3.1,
 * docs/gp.md, docs/keycard.md); this table is what the emulator checks a parameter string
 * against, lists in `cardforge sim --list-types`, and compares with an existing state file. */
#include <string.h>

#include "cardforge/params.h"

#define HEX(n, ...) .kind = CF_PARAM_HEX, .sizes = {n, __VA_ARGS__}

static const cf_param_spec loopback_params[] = {
    {.name = "mode",
     .kind = CF_PARAM_CHOICE,
     .choices = "t1|t0",
     .def = "t1",
     .meaning = "how long responses are delivered: T=1 style, or T=0 style (61XX/6CXX)"},
};

/* The version names and aliases the keycard entry itself parses (applets/keycard/keycard_version.c). */
static const cf_param_spec keycard_params[] = {
    {.name = "version",
     .kind = CF_PARAM_CHOICE,
     .choices = "3.1|3.0|2.2.1|2.2|3.1.0",
     .def = "3.1",
     .meaning = "applet version the card reports and behaves as"},
};

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
     .choices = "00|10|30|70",
     .def = "70",
     .meaning = "SCP03 option i"},
    {.name = "serial", HEX(4), .meaning = "IC serial number in CPLC, KDD and CIN (default: random)"},
};

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

#define ENTRY(type, table)                                                                                   \
  { type, table, sizeof table / sizeof table[0] }

static const struct {
  const char *type;
  const cf_param_spec *specs;
  size_t count;
} declarations[] = {
    ENTRY("loopback", loopback_params),
    ENTRY("keycard", keycard_params),
    ENTRY("gp", gp_params),
    ENTRY("kmc", kmc_params),
    ENTRY("authcard", authcard_params),
    ENTRY("workcard", workcard_params),
    ENTRY("usercard", usercard_params),
    ENTRY("sam", sam_params),
    ENTRY("terminal", terminal_params),
};

const cf_param_spec *cf_card_type_params(const char *type, size_t *count) {
  for (size_t i = 0; type != NULL && i < sizeof declarations / sizeof declarations[0]; i++) {
    if (strcmp(declarations[i].type, type) == 0) {
      if (count != NULL) *count = declarations[i].count;
      return declarations[i].specs;
    }
  }
  if (count != NULL) *count = 0;
  return NULL;
}
