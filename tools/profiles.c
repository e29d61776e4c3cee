/* The registry of card profiles the emulator and tests can create by name. The loopback card is
 * always there; the Keycard, GlobalPlatform and China Mobile cards join when their modules are
 * built (CF_HAVE_*_CARD, set by tools/CMakeLists.txt). */
#include <pthread.h>
#include <string.h>

#include "cardforge/card.h"
#include "cardforge/loopback.h"
#ifdef CF_HAVE_KEYCARD_CARD
#include "cardforge/keycard.h"
#endif
#ifdef CF_HAVE_GP_CARD
#include "cardforge/gp.h"
#endif
#ifdef CF_HAVE_CMCC_CARD
#include "cardforge/cmcc.h"
#endif

#define PROFILES_MAX 32

static const cf_card_profile *registry[PROFILES_MAX];
static size_t registry_count;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void registry_add(const cf_card_profile *p) {
  if (p != NULL && registry_count < PROFILES_MAX) registry[registry_count++] = p;
}

static void registry_build(void) {
  registry_add(&loopback_profile);
#ifdef CF_HAVE_KEYCARD_CARD
  registry_add(&keycard_profile);
#endif
#ifdef CF_HAVE_GP_CARD
  registry_add(&gp_profile);
#endif
#ifdef CF_HAVE_CMCC_CARD
  for (size_t i = 0; i < cmcc_profile_count; i++)
    registry_add(cmcc_profiles[i]);
#endif
}

const cf_card_profile *const *cf_card_profiles(size_t *count) {
  pthread_once(&registry_once, registry_build);
  if (count != NULL) *count = registry_count;
  return registry;
}

const cf_card_profile *cf_card_profile_find(const char *name) {
  size_t count = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  if (name == NULL) return NULL;
  for (size_t i = 0; i < count; i++)
    if (strcmp(all[i]->name, name) == 0) return all[i];
  return NULL;
}
