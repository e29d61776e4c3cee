/* The card manager's registry (GP Card Specification 2.3.1, chapter 5 and 11.1): the card life cycle
 * state and each application's state, kept in one record of the Issuer Security Domain so that a
 * command changes it in its single store transaction. The instances themselves are the runtime's
 * applets; the Executable Load Files are the packages built into cardforge that this card holds an
 * instance of. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/store.h"
#include "gp_internal.h"

#define GP_REGISTRY_VERSION 1

/* Keycard: package and module AIDs of status-im/status-keycard (build.gradle, and keycard-go's
 * identifiers): wallet 01, NDEF 02, cash 03, ident 04; the NDEF instance is D2760000850101 (NFC
 * Forum Type 4 Tag application). Loopback: cardforge's own test applet (F0 "cfloop"). */
static const gp_package packages[] = {
    {.aid = {7, {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01}},
     .module_count = 4,
     .modules = {{8, {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x01}},
                 {8, {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x02}},
                 {8, {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x03}},
                 {8, {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x04}}},
     .instances = {{0, {0}}, {7, {0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01}}, {0, {0}}, {0, {0}}}},
    {.aid = {6, {0xF0, 0x63, 0x66, 0x6C, 0x6F, 0x6F}},
     .module_count = 1,
     .modules = {{7, {0xF0, 0x63, 0x66, 0x6C, 0x6F, 0x6F, 0x70}}}},
};

_Static_assert(sizeof packages / sizeof packages[0] <= GP_MAX_PACKAGES,
               "gp_registry.elf[] holds every package");

size_t gp_package_count(void) {
  return sizeof packages / sizeof packages[0];
}

const gp_package *gp_package_at(size_t index) {
  return index < gp_package_count() ? &packages[index] : NULL;
}

static bool aid_begins(const uint8_t *aid, size_t len, const gp_aid *prefix) {
  return len >= prefix->len && memcmp(aid, prefix->b, prefix->len) == 0;
}

const gp_package *gp_package_of(const cf_applet *a, const gp_aid **module) {
  for (size_t p = 0; p < gp_package_count(); p++) {
    for (size_t m = 0; m < packages[p].module_count; m++) {
      const gp_aid *inst = &packages[p].instances[m];
      if (aid_begins(a->aid, a->aid_len, &packages[p].modules[m]) ||
          (inst->len == a->aid_len && memcmp(inst->b, a->aid, inst->len) == 0)) {
        if (module) *module = &packages[p].modules[m];
        return &packages[p];
      }
    }
  }
  return NULL;
}

cf_applet *gp_find_instance(cf_applet *isd, const uint8_t *aid, size_t aid_len) {
  for (size_t n = 0; n < cf_card_applet_count(isd->card); n++) {
    cf_applet *a = cf_card_applet_at(isd->card, n);
    if (a->aid_len == aid_len && memcmp(a->aid, aid, aid_len) == 0) return a;
  }
  return NULL;
}

bool gp_package_on_card(const cf_applet *isd, const gp_package *p) {
  for (size_t n = 0; n < cf_card_applet_count(isd->card); n++) {
    const cf_applet *a = cf_card_applet_at(isd->card, n);
    if (a != isd && gp_package_of(a, NULL) == p) return true;
  }
  return false;
}

bool gp_package_listed(const cf_applet *isd, const gp_registry *r, size_t index) {
  if (index >= gp_package_count()) return false;
  if (r->elf[index] == GP_ELF_LOADED_BY_HOST) return true;
  return r->elf[index] == GP_ELF_AS_BUILT && gp_package_on_card(isd, &packages[index]);
}

int gp_wipe_namespace(cf_applet *a) {
  size_t n = cf_store_keys(a->store, NULL, 0);
  uint32_t *keys = n ? calloc(n, sizeof *keys) : NULL;
  if (n && !keys) return -1;
  n = cf_store_keys(a->store, keys, n);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    if ((keys[i] >> 16) == a->ns && cf_store_delete(a->store, keys[i]) != CF_STORE_OK) rc = -1;
  free(keys);
  return rc;
}

int gp_registry_get(cf_applet *isd, gp_registry *r) {
  size_t len = 0;
  int rc = cf_store_get(isd->store, CF_STORE_KEY(isd->ns, GP_REC_REGISTRY), r, sizeof *r, &len);
  if (rc == CF_STORE_NOT_FOUND) {
    memset(r, 0, sizeof *r);
    r->version = GP_REGISTRY_VERSION;
    r->card_state = GP_CARD_SECURED; /* the card as issued: personalised, in the field */
    return 0;
  }
  if (rc != CF_STORE_OK || len != sizeof *r || r->version != GP_REGISTRY_VERSION ||
      r->count > GP_MAX_APP_STATES)
    return -1;
  return 0;
}

int gp_registry_put(cf_applet *isd, const gp_registry *r) {
  return cf_store_put(isd->store, CF_STORE_KEY(isd->ns, GP_REC_REGISTRY), r, sizeof *r) == CF_STORE_OK ? 0
                                                                                                       : -1;
}

static size_t find_app(const gp_registry *r, const uint8_t *aid, size_t aid_len) {
  for (size_t n = 0; n < r->count; n++)
    if (r->apps[n].aid_len == aid_len && memcmp(r->apps[n].aid, aid, aid_len) == 0) return n;
  return r->count;
}

uint8_t gp_registry_app_state(const gp_registry *r, const uint8_t *aid, size_t aid_len) {
  size_t n = find_app(r, aid, aid_len);
  return n < r->count ? r->apps[n].state : GP_APP_SELECTABLE;
}

int gp_registry_set_app_state(gp_registry *r, const uint8_t *aid, size_t aid_len, uint8_t state) {
  if (aid_len > sizeof r->apps[0].aid) return -1;
  size_t n = find_app(r, aid, aid_len);
  if (n == r->count) {
    if (state == GP_APP_SELECTABLE) return 0; /* the default needs no entry */
    if (r->count >= GP_MAX_APP_STATES) return -1;
    r->count++;
    r->apps[n].aid_len = (uint8_t)aid_len;
    memcpy(r->apps[n].aid, aid, aid_len);
  }
  r->apps[n].state = state;
  if (state == GP_APP_SELECTABLE) { /* back to the default: the entry goes */
    r->apps[n] = r->apps[r->count - 1];
    memset(&r->apps[r->count - 1], 0, sizeof r->apps[0]);
    r->count--;
  }
  return 0;
}

/* GP 2.3.1 5.1.1.4/5.1.1.5: a locked or terminated card lets only the ISD be selected; 5.3.1: a
 * LOCKED application, or one not (yet) SELECTABLE, cannot be selected. A registry that cannot be read refuses
 * all but the ISD. */
bool gp_select_gate(void *isd_ptr, const cf_applet *a) {
  cf_applet *isd = isd_ptr;
  gp_registry r;
  if (a == isd) return true;
  if (gp_registry_get(isd, &r) != 0) return false;
  if (r.card_state == GP_CARD_LOCKED || r.card_state == GP_CARD_TERMINATED) return false;
  /* SELECTABLE or an application-specific state (b1..b3 set), not LOCKED; INSTALLED and deleted
   * instances are not selectable */
  uint8_t state = gp_registry_app_state(&r, a->aid, a->aid_len);
  return (state & GP_APP_LOCKED_BIT) == 0 && (state & GP_APP_SELECTABLE) == GP_APP_SELECTABLE;
}
