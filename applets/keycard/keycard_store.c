/* The applet's store records: every handler reads and writes its persistent state through these,
 * in the applet's own namespace (card.h). They call nothing else of the applet. */
#include "cardforge/store.h"
#include "keycard_internal.h"

const uint8_t *kc_peek(const cf_applet *app, unsigned rec, size_t *len) {
  return cf_store_peek(app->store, CF_STORE_KEY(app->ns, rec), len);
}

bool kc_put(cf_applet *app, unsigned rec, const void *data, size_t len) {
  return cf_store_put(app->store, CF_STORE_KEY(app->ns, rec), data, len) == CF_STORE_OK;
}

bool kc_delete(cf_applet *app, unsigned rec) {
  int rc = cf_store_delete(app->store, CF_STORE_KEY(app->ns, rec));
  return rc == CF_STORE_OK || rc == CF_STORE_NOT_FOUND;
}

bool kc_initialized(const cf_applet *app) {
  size_t len = 0;
  return kc_peek(app, KC_REC_CREDENTIALS, &len) != NULL && len == KC_CRED_LEN;
}
