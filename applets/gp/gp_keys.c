/* The Security Domain's key table and sequence counters, as store records.
 *
 * GP_REC_KEYS holds every key in one record, so a PUT KEY or DELETE KEY replaces the table in one
 * write: count, then per key id || kvn || type || length || value. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/store.h"
#include "gp_internal.h"

int gp_config_get(cf_applet *app, gp_config *cfg) {
  size_t len = 0;
  const uint8_t *p = cf_store_peek(app->store, CF_STORE_KEY(app->ns, GP_REC_CONFIG), &len);
  if (p == NULL || len != sizeof *cfg) return -1;
  memcpy(cfg, p, sizeof *cfg);
  return 0;
}

void gp_key_table_wipe(gp_key_table *t) {
  cf_wipe(t, sizeof *t);
}

int gp_keys_load(cf_applet *app, gp_key_table *t) {
  size_t len = 0, pos = 1;
  memset(t, 0, sizeof *t);
  const uint8_t *p = cf_store_peek(app->store, CF_STORE_KEY(app->ns, GP_REC_KEYS), &len);
  if (p == NULL) return 0; /* no keys at all */
  if (len < 1 || p[0] > GP_MAX_KEYS) return -1;
  for (size_t n = 0; n < p[0]; n++) {
    if (len - pos < 4 || p[pos + 3] > GP_MAX_KEY_LEN || len - pos - 4 < p[pos + 3]) return -1;
    gp_key *k = &t->keys[t->count++];
    k->id = p[pos];
    k->kvn = p[pos + 1];
    k->type = p[pos + 2];
    k->len = p[pos + 3];
    memcpy(k->value, p + pos + 4, k->len);
    pos += 4 + (size_t)k->len;
  }
  return pos == len ? 0 : -1;
}

int gp_keys_save(cf_applet *app, const gp_key_table *t) {
  uint8_t buf[1 + GP_MAX_KEYS * (4 + GP_MAX_KEY_LEN)];
  size_t pos = 1;
  if (t->count > GP_MAX_KEYS) return -1;
  buf[0] = (uint8_t)t->count;
  for (size_t n = 0; n < t->count; n++) {
    const gp_key *k = &t->keys[n];
    buf[pos++] = k->id;
    buf[pos++] = k->kvn;
    buf[pos++] = k->type;
    buf[pos++] = k->len;
    memcpy(buf + pos, k->value, k->len);
    pos += k->len;
  }
  int rc = cf_store_put(app->store, CF_STORE_KEY(app->ns, GP_REC_KEYS), buf, pos);
  cf_wipe(buf, sizeof buf);
  return rc == CF_STORE_OK ? 0 : -1;
}

gp_key *gp_keys_find(gp_key_table *t, uint8_t kvn, uint8_t id) {
  for (size_t n = 0; n < t->count; n++)
    if (t->keys[n].kvn == kvn && t->keys[n].id == id) return &t->keys[n];
  return NULL;
}

bool gp_keys_has_kvn(const gp_key_table *t, uint8_t kvn) {
  for (size_t n = 0; n < t->count; n++)
    if (t->keys[n].kvn == kvn) return true;
  return false;
}

uint8_t gp_keys_channel_set(gp_key_table *t, uint8_t kvn, cf_scp_keys *keys) {
  gp_key *enc = gp_keys_find(t, kvn, 1), *mac = gp_keys_find(t, kvn, 2), *dek = gp_keys_find(t, kvn, 3);
  if (!enc || !mac || !dek) return 0;
  if (enc->type != mac->type || enc->type != dek->type || enc->len != mac->len || enc->len != dek->len)
    return 0;
  if (enc->type == CF_GP_KEY_DES && enc->len != 16) return 0;
  if (enc->type == CF_GP_KEY_AES && enc->len != 16 && enc->len != 24 && enc->len != 32) return 0;
  if (enc->type != CF_GP_KEY_DES && enc->type != CF_GP_KEY_AES) return 0;
  memset(keys, 0, sizeof *keys);
  keys->kvn = kvn;
  keys->klen = enc->len;
  memcpy(keys->enc, enc->value, enc->len);
  memcpy(keys->mac, mac->value, mac->len);
  memcpy(keys->dek, dek->value, dek->len);
  return enc->type;
}

uint32_t gp_counter_get(cf_applet *app, uint8_t kvn) {
  size_t len = 0;
  const uint8_t *p = cf_store_peek(app->store, CF_STORE_KEY(app->ns, GP_REC_COUNTER_BASE + kvn), &len);
  if (p == NULL || len != 3) return 0;
  return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

int gp_counter_put(cf_applet *app, uint8_t kvn, uint32_t value) {
  uint8_t b[3] = {(uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value};
  return cf_store_put(app->store, CF_STORE_KEY(app->ns, GP_REC_COUNTER_BASE + kvn), b, 3) == CF_STORE_OK ? 0
                                                                                                         : -1;
}

int gp_counter_reset(cf_applet *app, uint8_t kvn) {
  int rc = cf_store_delete(app->store, CF_STORE_KEY(app->ns, GP_REC_COUNTER_BASE + kvn));
  return rc == CF_STORE_OK || rc == CF_STORE_NOT_FOUND ? 0 : -1;
}
