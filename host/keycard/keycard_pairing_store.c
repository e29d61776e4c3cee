/* The host's pairing store: a text file, one pairing per line,
 *   <instance UID, 32 hex digits> <pairing index, decimal> <pairing key, 64 hex digits>
 * or, for a pairing key kept in a PKCS#11 token (docs/hsm.md, "Keycard pairing keys"),
 *   <instance UID> <pairing index> pkcs11:<the token object's label>
 * which holds no key bytes.
 * A card may hold several pairings made from this host (each `keycard pair` spends a slot): each
 * has its line, so no slot the card keeps is ever forgotten here; lookups take the newest (last).
 *
 * The file is private (0600; a store that group or others may read is refused: its keys have
 * leaked) and every change is a read-modify-write under the store's lock, written to a temporary
 * file and renamed over the store (host/common/include/cardforge/file_lock.h): concurrent `cardforge`
 * processes wait for each other and none loses another's pairing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardforge/crypto.h"
#include "cardforge/file_lock.h"
#include "cardforge/hex.h"
#include "cardforge/keycard_client.h"
#include "cardforge/secret_input.h"

#define LINE_MAX_LEN 256
#define ANY_INDEX (-1)

#define TOKEN_PREFIX "pkcs11:"

typedef struct pairing_line {
  uint8_t uid[KEYCARD_CLIENT_UID_LEN];
  unsigned index;
  uint8_t key[32];
  bool in_token;
  char label[KEYCARD_CLIENT_TOKEN_LABEL_MAX + 1];
} pairing_line;

/* A token object's label as the file may record it: printable, no blanks. */
static bool label_ok(const char *label) {
  size_t n = strlen(label);
  if (n == 0 || n > KEYCARD_CLIENT_TOKEN_LABEL_MAX) return false;
  for (size_t i = 0; i < n; i++)
    if (label[i] <= 0x20 || label[i] >= 0x7F) return false;
  return true;
}

/* Parses one line; false for comments, blanks and anything malformed. */
static bool parse_line(const char *line, pairing_line *out) {
  char uid_hex[LINE_MAX_LEN], key_hex[LINE_MAX_LEN];
  unsigned index;
  bool ok = false;
  if (line[0] == '#') return false;
  out->in_token = false;
  out->label[0] = 0;
  if (sscanf(line, "%255s %u %255s", uid_hex, &index, key_hex) == 3 && index <= 255 &&
      cf_hex_decode(uid_hex, out->uid, sizeof out->uid) == KEYCARD_CLIENT_UID_LEN) {
    if (strncmp(key_hex, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) == 0) {
      const char *label = key_hex + strlen(TOKEN_PREFIX);
      if (label_ok(label)) {
        memset(out->key, 0, sizeof out->key);
        snprintf(out->label, sizeof out->label, "%s", label);
        out->in_token = ok = true;
      }
    } else if (cf_hex_decode(key_hex, out->key, sizeof out->key) == 32) {
      ok = true;
    }
    if (ok) out->index = index;
  }
  cf_wipe(key_hex, sizeof key_hex);
  return ok;
}

/* Opens the store for reading: NULL with *missing set when there is none yet, NULL with err filled
 * when it cannot be read or is readable by others. */
static FILE *open_store(const char *path, bool *missing, char *err, size_t errlen) {
  struct stat st;
  *missing = false;
  int fd = cf_secret_file_open(path, true, &st, err, errlen);
  if (fd < 0) {
    if (errno == ENOENT) {
      *missing = true;
      return NULL;
    }
    char why[300];
    snprintf(why, sizeof why, "%s", err);
    snprintf(err, errlen, "cannot use the pairing store: %s", why);
    return NULL;
  }
  FILE *f = fdopen(fd, "r");
  if (f == NULL) {
    snprintf(err, errlen, "cannot read the pairing store %s: %s", path, strerror(errno));
    close(fd);
  }
  return f;
}

static void to_pairing(const pairing_line *p, keycard_client_pairing *out) {
  out->index = (uint8_t)p->index;
  out->in_token = p->in_token;
  snprintf(out->token_label, sizeof out->token_label, "%s", p->label);
  memcpy(out->key, p->key, 32);
}

int keycard_client_pairing_list(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN],
                                keycard_client_pairing *out, size_t cap, char *err, size_t errlen) {
  bool missing;
  FILE *f = open_store(path, &missing, err, errlen);
  if (f == NULL) return missing ? 0 : -1;
  char line[LINE_MAX_LEN];
  pairing_line p;
  int n = 0;
  /* in file order: the newest pairing of a card is its last line */
  while (fgets(line, sizeof line, f)) {
    if (!parse_line(line, &p) || memcmp(p.uid, uid, KEYCARD_CLIENT_UID_LEN) != 0) continue;
    if ((size_t)n < cap) to_pairing(&p, &out[n]);
    n++;
  }
  cf_wipe(line, sizeof line);
  cf_wipe(&p, sizeof p);
  fclose(f);
  return n;
}

int keycard_client_pairing_find(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], int index,
                                keycard_client_pairing *out, char *err, size_t errlen) {
  bool missing;
  FILE *f = open_store(path, &missing, err, errlen);
  if (f == NULL) return missing ? 0 : -1;
  char line[LINE_MAX_LEN];
  pairing_line p;
  int found = 0;
  /* the newest pairing (of the slot) is the last line for this card */
  while (fgets(line, sizeof line, f)) {
    if (parse_line(line, &p) && memcmp(p.uid, uid, KEYCARD_CLIENT_UID_LEN) == 0 &&
        (index < 0 || (int)p.index == index)) {
      to_pairing(&p, out);
      found = 1;
    }
  }
  cf_wipe(line, sizeof line);
  cf_wipe(&p, sizeof p);
  fclose(f);
  return found;
}

int keycard_client_pairing_get(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t *index,
                               uint8_t key[32], char *err, size_t errlen) {
  keycard_client_pairing p;
  int found = keycard_client_pairing_find(path, uid, -1, &p, err, errlen);
  if (found > 0) {
    *index = p.index;
    memcpy(key, p.key, 32); /* zeros for a key in a token */
  }
  cf_wipe(&p, sizeof p);
  return found;
}

/* The change one write makes: drop the lines of uid (all of them, or the one of drop_index), then
 * add the new pairing when key is not NULL. */
typedef struct store_change {
  const char *path;
  const uint8_t *uid;
  int drop_index; /* ANY_INDEX: every line of uid */
  uint8_t index;
  const uint8_t *key;
  const char *token_label; /* instead of key: the pairing key is this token object */
} store_change;

static bool dropped(const store_change *ch, const pairing_line *p) {
  if (memcmp(p->uid, ch->uid, KEYCARD_CLIENT_UID_LEN) != 0) return false;
  return ch->drop_index == ANY_INDEX || (int)p->index == ch->drop_index;
}

static int write_changed(void *ctx, FILE *out, char *err, size_t errlen) {
  const store_change *ch = ctx;
  bool missing;
  int rc = 0;
  FILE *in = open_store(ch->path, &missing, err, errlen);
  if (in == NULL && !missing) return -1;
  char line[LINE_MAX_LEN];
  pairing_line p;
  if (in) {
    /* every other line as it was, comments and lines this version cannot read included */
    while (rc == 0 && fgets(line, sizeof line, in)) {
      if (parse_line(line, &p) && dropped(ch, &p)) continue;
      if (fputs(line, out) < 0) rc = -1;
    }
    if (ferror(in)) {
      snprintf(err, errlen, "cannot read the pairing store %s: %s", ch->path, strerror(errno));
      rc = -1;
    }
    fclose(in);
  }
  if (rc == 0 && (ch->key || ch->token_label)) {
    char uid_hex[2 * KEYCARD_CLIENT_UID_LEN + 1], key_hex[65];
    cf_hex_encode(ch->uid, KEYCARD_CLIENT_UID_LEN, uid_hex);
    if (ch->token_label) {
      if (fprintf(out, "%s %u %s%s\n", uid_hex, ch->index, TOKEN_PREFIX, ch->token_label) < 0) rc = -1;
    } else {
      cf_hex_encode(ch->key, 32, key_hex);
      if (fprintf(out, "%s %u %s\n", uid_hex, ch->index, key_hex) < 0) rc = -1;
      cf_wipe(key_hex, sizeof key_hex);
    }
  }
  cf_wipe(line, sizeof line);
  cf_wipe(&p, sizeof p);
  return rc;
}

static int change_store(const store_change *ch, char *err, size_t errlen) {
  cf_state_lock lk;
  if (cf_state_lock_take(ch->path, &lk, err, errlen) != 0) return -1;
  int rc = cf_state_replace(ch->path, false, write_changed, (void *)ch, err, errlen);
  cf_state_lock_release(&lk);
  return rc;
}

int keycard_client_pairing_put(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t index,
                               const uint8_t *key, char *err, size_t errlen) {
  /* the ephemeral slot lives until the wallet is deselected: a saved line could never open */
  if (key && index == KEYCARD_CLIENT_EPHEMERAL_SLOT) {
    snprintf(err, errlen, "an ephemeral pairing (slot FF) is never saved");
    return -1;
  }
  /* a new pairing replaces only a line of the same slot (the card reuses freed slots) */
  store_change ch = {
      .path = path, .uid = uid, .drop_index = key ? index : ANY_INDEX, .index = index, .key = key};
  return change_store(&ch, err, errlen);
}

int keycard_client_pairing_put_token(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN],
                                     uint8_t index, const char *label, char *err, size_t errlen) {
  if (index == KEYCARD_CLIENT_EPHEMERAL_SLOT) {
    snprintf(err, errlen, "an ephemeral pairing (slot FF) is never saved");
    return -1;
  }
  if (!label_ok(label)) {
    snprintf(err, errlen, "a token label of 1 to %d printable characters without blanks",
             KEYCARD_CLIENT_TOKEN_LABEL_MAX);
    return -1;
  }
  store_change ch = {.path = path, .uid = uid, .drop_index = index, .index = index, .token_label = label};
  return change_store(&ch, err, errlen);
}

int keycard_client_pairing_forget(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], int index,
                                  char *err, size_t errlen) {
  store_change ch = {.path = path, .uid = uid, .drop_index = index < 0 ? ANY_INDEX : index};
  return change_store(&ch, err, errlen);
}

int keycard_client_pairing_count(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], char *err,
                                 size_t errlen) {
  bool missing;
  FILE *f = open_store(path, &missing, err, errlen);
  if (f == NULL) return missing ? 0 : -1;
  char line[LINE_MAX_LEN];
  pairing_line p;
  int n = 0;
  while (fgets(line, sizeof line, f))
    if (parse_line(line, &p) && memcmp(p.uid, uid, KEYCARD_CLIENT_UID_LEN) == 0) n++;
  cf_wipe(line, sizeof line);
  cf_wipe(&p, sizeof p);
  fclose(f);
  return n;
}
