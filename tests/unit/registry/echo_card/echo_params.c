/* The parameters of the test-only echo card type (echo_card.h). */
#include "registry_build.h"

static const cf_param_spec echo_params[] = {
    {.name = "tag",
     .kind = CF_PARAM_HEX,
     .sizes = {1},
     .def = "5A",
     .meaning = "the byte the card puts before the data it echoes"},
};

const cf_card_type_decl cf_echo_type_params[] = {
    CF_CARD_TYPE_DECL("echo", echo_params),
};
const size_t cf_echo_type_params_count = sizeof cf_echo_type_params / sizeof cf_echo_type_params[0];
