/* The card-type registry: every card type this build can create by name ("loopback", "keycard",
 * "gp", "kmc", ...) and the parameters each type declares.
 *
 * Which types exist is decided when the build is configured: registry/card_families.cmake has one
 * line per card family, each behind its option (CF_WITH_KEYCARD, CF_WITH_GP, CF_WITH_CMCC), and
 * the registry is generated from the enabled lines. The emulator (`cardforge sim`), the host
 * tools that create emulated cards, the fuzzers and the tests all ask this registry, so a family
 * that is turned off is absent everywhere at once. docs/architecture.md, "Adding a card
 * application". */
#ifndef CARDFORGE_REGISTRY_H
#define CARDFORGE_REGISTRY_H

#include <stddef.h>

#include "cardforge/card.h"
#include "cardforge/params.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

/* The profile named name, or NULL (also for NULL). */
const cf_card_profile *cf_card_profile_find(const char *name);

/* Every profile, in the order of the family lines (the loopback card first); *count set when
 * count is not NULL. */
const cf_card_profile *const *cf_card_profiles(size_t *count);

/* The parameters a card type declares, *count set when count is not NULL. NULL when the type
 * declares none at all (its parameter string then goes to the card unchecked). */
const cf_param_spec *cf_card_type_params(const char *type, size_t *count);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
