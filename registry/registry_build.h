/* How the registry is filled: the generated list of the build's card families
 * (cf_registry_add_families, written by registry/card_registry.cmake from the enabled
 * cf_card_family lines) calls these once, before the first lookup. */
#ifndef CARDFORGE_REGISTRY_BUILD_H
#define CARDFORGE_REGISTRY_BUILD_H

#include <stddef.h>

#include "cardforge/card.h"
#include "cardforge/params.h"

/* The parameters of one card type; a family's PARAMS file defines
 * `const cf_card_type_decl cf_<family>_type_params[]` and `const size_t cf_<family>_type_params_count`. */
typedef struct cf_card_type_decl {
  const char *type;
  const cf_param_spec *specs;
  size_t count;
} cf_card_type_decl;

#define CF_CARD_TYPE_DECL(type, table)                                                                       \
  { type, table, sizeof table / sizeof table[0] }

void cf_registry_add_profile(const cf_card_profile *profile);
void cf_registry_add_profiles(const cf_card_profile *const *profiles, size_t count);
void cf_registry_add_params(const cf_card_type_decl *decls, size_t count);

/* Generated: adds the profiles and declarations of every enabled family. */
void cf_registry_add_families(void);

#endif
