/* The card-type registry (cardforge/registry.h): filled once, on first use, by the generated
 * family list of this build (registry_build.h), then read-only. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/registry.h"
#include "registry_build.h"

#define PROFILES_MAX 32
#define TYPE_DECLS_MAX 32

static const cf_card_profile *profiles[PROFILES_MAX];
static size_t profile_count;
static const cf_card_type_decl *type_decls[TYPE_DECLS_MAX];
static size_t type_decl_count;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

/* A full table is a build mistake (more families than the limits above): stop rather than lose
 * a card type without a word. */
static void registry_full(const char *what) {
  fprintf(stderr, "cardforge: card-type registry: too many %s (raise the limit in registry/registry.c)\n",
          what);
  abort();
}

void cf_registry_add_profile(const cf_card_profile *profile) {
  if (profile == NULL) return;
  if (profile_count == PROFILES_MAX) registry_full("card profiles");
  profiles[profile_count++] = profile;
}

void cf_registry_add_profiles(const cf_card_profile *const *list, size_t count) {
  for (size_t i = 0; i < count; i++)
    cf_registry_add_profile(list[i]);
}

void cf_registry_add_params(const cf_card_type_decl *decls, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (type_decl_count == TYPE_DECLS_MAX) registry_full("parameter declarations");
    type_decls[type_decl_count++] = &decls[i];
  }
}

static void registry_build(void) {
  cf_registry_add_families();
}

const cf_card_profile *const *cf_card_profiles(size_t *count) {
  pthread_once(&registry_once, registry_build);
  if (count != NULL) *count = profile_count;
  return profiles;
}

const cf_card_profile *cf_card_profile_find(const char *name) {
  size_t count = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  if (name == NULL) return NULL;
  for (size_t i = 0; i < count; i++)
    if (strcmp(all[i]->name, name) == 0) return all[i];
  return NULL;
}

const cf_param_spec *cf_card_type_params(const char *type, size_t *count) {
  pthread_once(&registry_once, registry_build);
  for (size_t i = 0; type != NULL && i < type_decl_count; i++) {
    if (strcmp(type_decls[i]->type, type) == 0) {
      if (count != NULL) *count = type_decls[i]->count;
      return type_decls[i]->specs;
    }
  }
  if (count != NULL) *count = 0;
  return NULL;
}
