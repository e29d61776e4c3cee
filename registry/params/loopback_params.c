/* The parameters of the loopback card type (applets/loopback/loopback.c reads them). The card reads
 * the values themselves; this table is what the emulator checks a parameter string against, lists in
 * `cardforge sim --list-types`, and compares with an existing state file. */
#include "registry_build.h"

static const cf_param_spec loopback_params[] = {
    {.name = "mode",
     .kind = CF_PARAM_CHOICE,
     .choices = "t1|t0",
     .def = "t1",
     .meaning = "how long responses are delivered: T=1 style, or T=0 style (61XX/6CXX)"},
};

const cf_card_type_decl cf_loopback_type_params[] = {
    CF_CARD_TYPE_DECL("loopback", loopback_params),
};
const size_t cf_loopback_type_params_count =
    sizeof cf_loopback_type_params / sizeof cf_loopback_type_params[0];
