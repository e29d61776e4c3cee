/* What a card's state file must be before the emulator serves it: a card of the requested type,
 * made with parameters that do not contradict the ones given now, and holding every record its
 * type needs (a card missing one would silently be made anew: a Keycard without its credentials
 * could be initialised again with someone else's PIN).
 *
 * The emulator records how a card was made in record 0:1 of its store (namespace 0 belongs to no
 * applet): "cardforge-card 1", "type=T", then one line per parameter given at creation, "p NAME=VALUE",
 * or for a secret "s NAME=SHA256" (the digest of the upper-case hex value, so the record adds no copy of
 * the secret). docs/storage.md describes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/card.h"
#include "cardforge/crypto.h"
#include "cardforge/params.h"
#include "cardforge/store.h"
#include "cardforge/registry.h"
#include "sim.h"

#define IDENTITY_KEY CF_STORE_KEY(0, 1)
#define IDENTITY_MAGIC "cardforge-card 1\n"
#define IDENTITY_MAX 4096

/* Upper-case hex of SHA-256(upper-case value). False (out empty) when the digest fails: a caller
 * then records nothing and agrees with nothing. */
static bool secret_digest(const char *value, size_t len, char out[65]) {
  char upper[128];
  uint8_t d[32];
  size_t n = len < sizeof upper ? len : sizeof upper;
  for (size_t i = 0; i < n; i++)
    upper[i] = (value[i] >= 'a' && value[i] <= 'f') ? (char)(value[i] - 32) : value[i];
  bool ok = cf_sha256(upper, n, d) == 0;
  cf_wipe(upper, sizeof upper);
  out[0] = '\0';
  for (size_t i = 0; ok && i < 32; i++)
    snprintf(out + 2 * i, 3, "%02X", d[i]);
  cf_wipe(d, sizeof d);
  return ok;
}

static size_t line_len(const char *s) {
  const char *nl = strchr(s, '\n');
  return nl ? (size_t)(nl - s) : strlen(s);
}

/* The value the identity records for name, or NULL; *secret tells which kind of line holds it. */
static const char *recorded(const char *identity, const char *name, bool *secret) {
  size_t nlen = strlen(name);
  for (const char *line = identity; *line != '\0'; line += line_len(line) + (line[line_len(line)] ? 1 : 0)) {
    if ((line[0] == 'p' || line[0] == 's') && line[1] == ' ' && strncmp(line + 2, name, nlen) == 0 &&
        line[2 + nlen] == '=') {
      *secret = line[0] == 's';
      return line + 3 + nlen;
    }
  }
  return NULL;
}

/* Does the parameter given now agree with how the card was made? */
static bool agrees(const cf_param_spec *spec, const char *identity, const cf_param_item *it) {
  bool secret = false;
  const char *was = recorded(identity, spec->name, &secret);
  if (was == NULL) /* not given at creation: the card took the default, if there is one */
    return spec->def && cf_params_same_value(spec, it->value, it->value_len, spec->def, strlen(spec->def));
  if (!secret) return cf_params_same_value(spec, it->value, it->value_len, was, line_len(was));
  char digest[65];
  bool same =
      secret_digest(it->value, it->value_len, digest) && line_len(was) == 64 && cf_ct_equal(digest, was, 64);
  cf_wipe(digest, sizeof digest);
  return same;
}

int cf_sim_state_check(cf_store *store, const cf_sim_card_spec *c, const char *path, bool *new_card,
                       char *err, size_t errlen) {
  size_t len = 0;
  const uint8_t *rec = cf_store_peek(store, IDENTITY_KEY, &len);
  *new_card = rec == NULL && cf_store_keys(store, NULL, 0) == 0;
  if (rec == NULL) return CF_SIM_STATE_OK; /* new, or made before cards recorded their identity */
  char identity[IDENTITY_MAX + 1];
  if (len > IDENTITY_MAX || len < sizeof IDENTITY_MAGIC - 1 ||
      memcmp(rec, IDENTITY_MAGIC, sizeof IDENTITY_MAGIC - 1) != 0) {
    snprintf(
        err, errlen,
        "reader %d: card state %s: the card's identity record is damaged (the file is corrupt); refusing it "
        "(add --fresh to erase it and make a new card)",
        c->reader, path);
    return CF_SIM_STATE_BROKEN;
  }
  memcpy(identity, rec, len);
  identity[len] = '\0';
  const char *type = strstr(identity, "\ntype=");
  size_t tlen = type ? line_len(type + 6) : 0;
  if (type == NULL || tlen != strlen(c->type) || strncmp(type + 6, c->type, tlen) != 0) {
    snprintf(
        err, errlen,
        "reader %d: card state %s holds a %.*s card, not a %s card (a file of another card type); refusing "
        "it (add --fresh to erase it and make a new card)",
        c->reader, path, type ? (int)(tlen > 40 ? 40 : tlen) : 1, type ? type + 6 : "?", c->type);
    cf_wipe(identity, sizeof identity);
    return CF_SIM_STATE_BROKEN;
  }
  size_t count = 0;
  const cf_param_spec *specs = cf_card_type_params(c->type, &count);
  const char *cursor = c->params;
  cf_param_item it;
  int rc = CF_SIM_STATE_OK;
  while (rc == CF_SIM_STATE_OK && specs != NULL && cf_params_next(&cursor, &it)) {
    const cf_param_spec *spec = cf_params_find(specs, count, it.name, it.name_len);
    if (spec == NULL || it.value == NULL || strstr(identity, "\nparams unknown\n") != NULL) continue;
    if (!agrees(spec, identity, &it)) {
      bool secret = false;
      const char *was = recorded(identity, spec->name, &secret);
      char then[96];
      if (was == NULL)
        snprintf(then, sizeof then, "it was made without %s", spec->name);
      else if (secret)
        snprintf(then, sizeof then, "it was made with another %s", spec->name);
      else
        snprintf(then, sizeof then, "it was made with %s=%.*s", spec->name,
                 (int)(line_len(was) > 40 ? 40 : line_len(was)), was);
      snprintf(err, errlen,
               "reader %d: %s contradicts the existing card in %s (%s); parameters only apply when a card is "
               "made: drop it, or add --fresh to erase the card and make a new one",
               c->reader, spec->name, path, then);
      rc = CF_SIM_STATE_CONTRADICTS;
    }
  }
  cf_wipe(identity, sizeof identity);
  return rc;
}

int cf_sim_state_record(cf_store *store, const cf_sim_card_spec *c, bool params_known) {
  char identity[IDENTITY_MAX];
  size_t n = (size_t)snprintf(identity, sizeof identity, "%stype=%s\n", IDENTITY_MAGIC, c->type);
  if (!params_known) n += (size_t)snprintf(identity + n, sizeof identity - n, "params unknown\n");
  size_t count = 0;
  const cf_param_spec *specs = cf_card_type_params(c->type, &count);
  const char *cursor = params_known ? c->params : NULL;
  cf_param_item it;
  while (specs != NULL && n < sizeof identity && cf_params_next(&cursor, &it)) {
    const cf_param_spec *spec = cf_params_find(specs, count, it.name, it.name_len);
    if (spec == NULL || it.value == NULL) continue;
    if (spec->secret) {
      char digest[65];
      if (!secret_digest(it.value, it.value_len, digest)) {
        cf_wipe(identity, sizeof identity);
        return -1;
      }
      n += (size_t)snprintf(identity + n, sizeof identity - n, "s %s=%s\n", spec->name, digest);
      cf_wipe(digest, sizeof digest);
    } else {
      n += (size_t)snprintf(identity + n, sizeof identity - n, "p %s=%.*s\n", spec->name, (int)it.value_len,
                            it.value);
    }
  }
  if (n >= sizeof identity) return -1;
  int rc = cf_store_begin(store);
  if (rc == CF_STORE_OK) rc = cf_store_put(store, IDENTITY_KEY, identity, n);
  if (rc == CF_STORE_OK) rc = cf_store_commit(store);
  if (rc != CF_STORE_OK && cf_store_in_transaction(store)) cf_store_rollback(store);
  return rc == CF_STORE_OK ? 0 : -1;
}

/* The card is made once on a copy of the records in memory: whatever its installation adds is a
 * record the file lacks. The file itself is not touched. */
int cf_sim_state_required(cf_store *store, const cf_card_profile *profile, const cf_sim_card_spec *c,
                          const char *path, char *err, size_t errlen) {
  size_t count = cf_store_keys(store, NULL, 0);
  if (count == 0) return CF_SIM_STATE_OK;
  uint32_t *keys = calloc(count, sizeof *keys), *after = NULL;
  cf_store *copy = NULL;
  int rc = CF_SIM_STATE_FAILED;
  if (keys == NULL || cf_store_keys(store, keys, count) != count ||
      cf_store_open_memory(&copy) != CF_STORE_OK || cf_store_begin(copy) != CF_STORE_OK)
    goto out;
  for (size_t i = 0; i < count; i++) {
    size_t len = 0;
    const uint8_t *v = cf_store_peek(store, keys[i], &len);
    if (v == NULL || cf_store_put(copy, keys[i], v, len) != CF_STORE_OK) goto out;
  }
  if (cf_store_commit(copy) != CF_STORE_OK) goto out;
  cf_card *card = profile->create(copy, c->params);
  if (card == NULL) { /* the real creation reports it */
    rc = CF_SIM_STATE_OK;
    goto out;
  }
  cf_card_free(card);
  size_t now = cf_store_keys(copy, NULL, 0);
  after = calloc(now ? now : 1, sizeof *after);
  if (after == NULL || cf_store_keys(copy, after, now) != now) goto out;
  rc = CF_SIM_STATE_OK;
  for (size_t i = 0, j = 0; i < now; i++) {
    while (j < count && keys[j] < after[i])
      j++;
    if (j < count && keys[j] == after[i]) continue;
    snprintf(
        err, errlen,
        "reader %d: card state %s lacks record %04X:%04X that a %s card needs (it would silently become a "
        "new card); refusing it (restore the file, or add --fresh to erase it and make a new card)",
        c->reader, path, (unsigned)(after[i] >> 16), (unsigned)(after[i] & 0xFFFF), c->type);
    rc = CF_SIM_STATE_BROKEN;
    break;
  }
out:
  if (rc == CF_SIM_STATE_FAILED)
    snprintf(err, errlen, "%s: cannot check the card's records (out of memory)", path);
  cf_store_close(copy);
  free(keys);
  free(after);
  return rc;
}
