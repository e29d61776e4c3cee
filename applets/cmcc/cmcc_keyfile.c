/* The master cards' key file: dense records 1..count, each attributes || value || auth tries. */
#include "cmcc_internal.h"

#include <string.h>

#include <cardforge/crypto.h>
#include <cardforge/store.h>
#include <cardforge/sw.h>

static bool decode(const uint8_t *rec, size_t len, cmcc_key *out) {
  if (!rec || len != CMCC_KEY_REC_LEN) return false;
  if (out) {
    memcpy(out->attrs, rec, CMCC_ATTR_LEN);
    memcpy(out->value, rec + CMCC_ATTR_LEN, CMCC_KEY_LEN);
    out->tries = rec[CMCC_ATTR_LEN + CMCC_KEY_LEN];
  }
  return true;
}

size_t cmcc_key_count(cf_applet *app) {
  size_t n = 0, len;
  while (n < 0xFF && cf_store_peek(app->store, CF_STORE_KEY(app->ns, CMCC_REC_KEY(n + 1)), &len))
    n++;
  return n;
}

bool cmcc_key_read(cf_applet *app, size_t n, cmcc_key *out) {
  size_t len = 0;
  if (n == 0 || n > 0xFF) return false;
  const uint8_t *rec = cf_store_peek(app->store, CF_STORE_KEY(app->ns, CMCC_REC_KEY(n)), &len);
  return decode(rec, len, out);
}

size_t cmcc_key_find(cf_applet *app, uint8_t version, uint8_t index, uint8_t type, cmcc_key *out) {
  size_t count = cmcc_key_count(app);
  cmcc_key k;
  for (size_t n = 1; n <= count; n++) {
    if (!cmcc_key_read(app, n, &k)) break;
    if (k.attrs[CMCC_ATTR_TYPE] == type && k.attrs[CMCC_ATTR_VERSION] == version &&
        k.attrs[CMCC_ATTR_INDEX] == index) {
      if (out) *out = k;
      cf_wipe(&k, sizeof k);
      return n;
    }
  }
  cf_wipe(&k, sizeof k);
  return 0;
}

size_t cmcc_key_find_type(cf_applet *app, uint8_t type, cmcc_key *out) {
  size_t count = cmcc_key_count(app), best = 0;
  int best_version = -1;
  cmcc_key k;
  for (size_t n = 1; n <= count; n++) {
    if (!cmcc_key_read(app, n, &k)) break;
    if (k.attrs[CMCC_ATTR_TYPE] == type && (int)k.attrs[CMCC_ATTR_VERSION] > best_version) {
      best_version = k.attrs[CMCC_ATTR_VERSION];
      best = n;
    }
  }
  cf_wipe(&k, sizeof k);
  if (best && out) cmcc_key_read(app, best, out);
  return best;
}

bool cmcc_key_write(cf_applet *app, size_t n, const cmcc_key *key) {
  uint8_t rec[CMCC_KEY_REC_LEN];
  memcpy(rec, key->attrs, CMCC_ATTR_LEN);
  memcpy(rec + CMCC_ATTR_LEN, key->value, CMCC_KEY_LEN);
  rec[CMCC_ATTR_LEN + CMCC_KEY_LEN] = key->tries;
  bool ok = cmcc_put(app, (uint16_t)CMCC_REC_KEY(n), rec, sizeof rec);
  cf_wipe(rec, sizeof rec);
  return ok;
}

long cmcc_key_store(cf_applet *app, const uint8_t attrs[CMCC_ATTR_LEN], const uint8_t value[CMCC_KEY_LEN]) {
  size_t count = cmcc_key_count(app), target = 0;
  cmcc_key k;
  /* The spec identifies a key by type, version, index and algorithm: a key with the same four
   * bytes takes the old one's place. */
  for (size_t n = 1; n <= count && !target; n++)
    if (cmcc_key_read(app, n, &k) && memcmp(k.attrs, attrs, 4) == 0) target = n;
  if (!target) {
    if (count >= cmcc_kind(app)->max_keys) {
      cf_wipe(&k, sizeof k);
      return 0;
    }
    target = count + 1;
  }
  memcpy(k.attrs, attrs, CMCC_ATTR_LEN);
  memcpy(k.value, value, CMCC_KEY_LEN);
  k.tries = CMCC_AUTH_TRIES;
  bool ok = cmcc_key_write(app, target, &k);
  cf_wipe(&k, sizeof k);
  return ok ? (long)target : -1;
}

uint16_t cmcc_key_use(cf_applet *app, size_t n, cmcc_key *key) {
  if (key->attrs[CMCC_ATTR_STATUS] != CMCC_KEY_USABLE) return CMCC_SW_KEY_STATE;
  if (key->attrs[CMCC_ATTR_ALG] != CMCC_ALG_3DES) return CMCC_SW_FILE_TYPE;
  const uint8_t *c = key->attrs + CMCC_ATTR_COUNTER;
  uint32_t counter = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
  if (counter & 0x80000000u) {
    uint32_t left = counter & 0x7FFFFFFFu;
    if (left == 0) return CMCC_SW_KEY_STATE;
    counter = 0x80000000u | (left - 1);
    key->attrs[CMCC_ATTR_COUNTER] = (uint8_t)(counter >> 24);
    key->attrs[CMCC_ATTR_COUNTER + 1] = (uint8_t)(counter >> 16);
    key->attrs[CMCC_ATTR_COUNTER + 2] = (uint8_t)(counter >> 8);
    key->attrs[CMCC_ATTR_COUNTER + 3] = (uint8_t)counter;
    if (!cmcc_key_write(app, n, key)) return SW_MEMORY_FAILURE;
  }
  return SW_OK;
}

bool cmcc_key_can_compute(const cmcc_key *key) {
  return (key->attrs[CMCC_ATTR_DIV] & 0x0F) <= 2;
}

bool cmcc_key_levels_ok(const cmcc_key *key, size_t levels) {
  unsigned usage = key->attrs[CMCC_ATTR_DIV] & 0x0F, max = key->attrs[CMCC_ATTR_DIV] >> 4;
  switch (usage) {
  case 0:
  case 3: /* never diversified before export */
    return levels == 0;
  case 1:
  case 4: /* always diversified */
    return levels >= 1 && levels <= max;
  case 2:
  case 5: /* either */
    return levels <= max;
  default:
    return false;
  }
}

void cmcc_key_default_attrs(uint8_t type, uint8_t attrs[CMCC_ATTR_LEN]) {
  uint8_t div = 0x00; /* master keys: no diversification, used by the card itself */
  switch (type) {
  case CMCC_KEY_TERMINAL_APP:
    div = 0x12; /* copied whole to the working card, which diversifies it per terminal */
    break;
  case CMCC_KEY_ENTERPRISE_MGMT:
    div = 0x31; /* always diversified per user card */
    break;
  case CMCC_KEY_ENTERPRISE_APP:
  case CMCC_KEY_SAM:
    div = 0x32;
    break;
  case CMCC_KEY_SAM_INIT:
    div = 0x11; /* one 16-byte level: the SAM's own master key */
    break;
  default:
    break;
  }
  memset(attrs, 0, CMCC_ATTR_LEN);
  attrs[CMCC_ATTR_TYPE] = type;
  attrs[CMCC_ATTR_VERSION] = 0x01;
  attrs[CMCC_ATTR_INDEX] = 0x01;
  attrs[CMCC_ATTR_ALG] = CMCC_ALG_3DES;
  attrs[CMCC_ATTR_DIV] = div;
  attrs[CMCC_ATTR_STATUS] = CMCC_KEY_USABLE;
}

void cmcc_key_default_value(uint8_t type, uint8_t value[CMCC_KEY_LEN]) {
  for (int i = 0; i < CMCC_KEY_LEN; i++)
    value[i] = (uint8_t)((type << 4) | i);
}
